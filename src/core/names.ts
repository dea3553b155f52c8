// Kubernetes' own name rules, per kind, as the API server applies them
// (k8s.io/apimachinery pkg/util/validation/validation.go: IsDNS1123Subdomain, IsDNS1123Label, IsDNS1035Label;
// k8s.io/apimachinery pkg/api/validation/path/name.go: IsValidPathSegmentName, which RBAC names use;
// kubernetes pkg/apis/core/validation/validation.go: ValidateServiceName = NameIsDNS1035Label,
// ValidateNamespaceName = NameIsDNSLabel; everything else, custom resources included, NameIsDNSSubdomain).

export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label' | 'path-segment';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

export function nameRuleFor(kind: string, apiVersion = ''): NameRule {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  if (group === '' && kind === 'Namespace') return 'dns1123-label';
  if (group === '' && kind === 'Service') return 'dns1035-label';
  if (group === 'rbac.authorization.k8s.io' && RBAC_KINDS.has(kind)) return 'path-segment';
  return 'dns1123-subdomain';
}

const EXAMPLES: Record<NameRule, string> = {
  'dns1123-subdomain': 'lowercase letters, digits, "-" and ".", at most 253, starting and ending alphanumeric, e.g. "my-config"',
  'dns1123-label': 'lowercase letters, digits and "-", at most 63, starting and ending alphanumeric, e.g. "my-namespace"',
  'dns1035-label': 'lowercase letters, digits and "-", at most 63, starting with a letter and ending alphanumeric, e.g. "my-service"',
  'path-segment': 'any name except "." and "..", without "/" or "%", e.g. "my-role"',
};

/** What is wrong with a name under a rule, or undefined when Kubernetes would accept it. */
export function nameRuleProblem(rule: NameRule, name: string): string | undefined {
  if (typeof name !== 'string' || name === '') return 'must not be empty';
  const ok =
    rule === 'path-segment'
      ? name !== '.' && name !== '..' && !/[/%]/.test(name)
      : rule === 'dns1123-subdomain'
        ? name.length <= 253 && DNS1123_SUBDOMAIN.test(name)
        : name.length <= 63 && (rule === 'dns1123-label' ? DNS1123_LABEL : DNS1035_LABEL).test(name);
  return ok ? undefined : `${JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name)} is not a valid name: ${EXAMPLES[rule]}`;
}

/** What is wrong with an object's metadata.name for its kind, or undefined. */
export function objectNameProblem(kind: string, apiVersion: string, name: string): string | undefined {
  return nameRuleProblem(nameRuleFor(kind, apiVersion), name);
}

/** What is wrong with a metadata.namespace value (a DNS-1123 label), or undefined. */
export function namespaceNameProblem(namespace: string): string | undefined {
  return nameRuleProblem('dns1123-label', namespace);
}
