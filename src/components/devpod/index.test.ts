import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../errors.ts';
import { quantityValue } from '../../config/schema.ts';
import { renderWith, testRegistry, rejectionOf } from '../../../test/components.ts';
import { minimalCluster } from '../../../test/helpers.ts';
import { customResourceProblems } from '../../../test/upstream.ts';
import {
  DEVPOD_RULES,
  devpod,
  memberNamespace,
  memberNamespaceObjects,
  options as devpodOptions,
  type PolicyRule,
} from './index.ts';

const registry = testRegistry(devpod);
const render = (options: Record<string, unknown> = {}) => renderWith(registry, { 'argo-cd': {}, devpod: options });
const objectAt = (tree: ReturnType<typeof render>, file: string) => {
  const found = tree.objects.find((o) => o.file === file);
  expect(found, file).toBeDefined();
  return found!.object as Record<string, any>;
};

function issuesOf(options: unknown): ConfigIssue[] {
  const config = minimalCluster();
  config.components['cert-manager'].solver = 'http01';
  config.components.devpod = options;
  return rejectionOf(config, registry);
}

/** Core resources that exist only inside a namespace; anything else could reach past the member's namespace. */
const NAMESPACED = new Set([
  'pods', 'pods/exec', 'pods/attach', 'pods/portforward', 'pods/log', 'services', 'persistentvolumeclaims',
  'configmaps', 'secrets', 'events', 'serviceaccounts', 'deployments', 'replicasets',
]);
const FORBIDDEN_VERBS = new Set(['escalate', 'bind', 'impersonate', '*']);
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** Why a rule would let a member step outside their namespace or their limits; empty when it cannot. */
function ruleProblems(rules: readonly PolicyRule[]): string[] {
  const problems: string[] = [];
  for (const rule of rules) {
    for (const group of rule.apiGroups) {
      if (group === '*' || group === 'rbac.authorization.k8s.io') problems.push(`api group ${group}`);
    }
    for (const resource of rule.resources) {
      if (!NAMESPACED.has(resource)) problems.push(`resource ${resource}`);
      if ((resource === 'resourcequotas' || resource === 'limitranges') && rule.verbs.some((v) => WRITE_VERBS.has(v)))
        problems.push(`writes ${resource}`);
    }
    for (const verb of rule.verbs) if (FORBIDDEN_VERBS.has(verb)) problems.push(`verb ${verb}`);
    if ('nonResourceURLs' in rule || 'resourceNames' in rule) problems.push('unexpected rule field');
  }
  return problems;
}

describe('devpod', () => {
  it('renders only the ClusterRole, through a manifests-only Application, when nobody is onboarded', () => {
    const tree = render();
    expect([...tree.files.keys()].filter((f) => f.includes('devpod'))).toEqual([
      'apps/devpod.yaml',
      'manifests/devpod/clusterrole-plinth-devpod.yaml',
    ]);
    const app = objectAt(tree, 'apps/devpod.yaml');
    expect(app.spec.destination.namespace).toBe('devpod');
    expect(app.spec.sources).toEqual([{ repoURL: 'https://git.example.org/infra.git', targetRevision: 'main', path: 'rendered/manifests/devpod' }]);
    const role = objectAt(tree, 'manifests/devpod/clusterrole-plinth-devpod.yaml');
    expect(role.metadata.name).toBe('plinth-devpod');
    expect(role.metadata.namespace).toBeUndefined();
    expect(role.rules).toEqual(DEVPOD_RULES);
    const component = tree.components.find((c) => c.id === 'devpod')!;
    expect(component.chart).toBeUndefined();
    expect(component.needs).toEqual([]);
    expect(component.health.map((h) => `${h.kind}/${h.name}`)).toEqual(['ClusterRole/plinth-devpod']);
  });

  it('grants what the DevPod provider does in a namespace: workspace pod, PVC, pull secret, exec and port-forward', () => {
    const verbsOf = (resource: string) => DEVPOD_RULES.filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs).sort();
    expect(verbsOf('pods')).toEqual(['create', 'delete', 'get', 'list', 'patch', 'watch']);
    for (const sub of ['pods/exec', 'pods/attach', 'pods/portforward']) expect(verbsOf(sub)).toEqual(['create', 'get']);
    expect(verbsOf('pods/log')).toEqual(['get', 'list', 'watch']);
    for (const resource of ['persistentvolumeclaims', 'secrets', 'services', 'configmaps'])
      expect(verbsOf(resource)).toEqual(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
    for (const resource of ['deployments', 'replicasets', 'events', 'serviceaccounts']) expect(verbsOf(resource)).toEqual(['get', 'list', 'watch']);
  });

  it('grants nothing cluster-scoped, no RBAC, no escalate/bind/impersonate, no wildcard, no quota or limit writes', () => {
    expect(ruleProblems(DEVPOD_RULES)).toEqual([]);
    for (const rule of DEVPOD_RULES) {
      expect(rule.apiGroups.every((g) => g === '' || g === 'apps')).toBe(true);
      expect(rule.resources).not.toContain('*');
      expect(rule.resources).not.toContain('namespaces');
      expect(rule.resources).not.toContain('resourcequotas');
      expect(rule.resources).not.toContain('limitranges');
    }
  });

  it('catches a role that would let a member out (the check can fail)', () => {
    expect(
      ruleProblems([
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ['create', 'bind'] },
        { apiGroups: [''], resources: ['namespaces', 'nodes'], verbs: ['get'] },
        { apiGroups: [''], resources: ['resourcequotas'], verbs: ['patch'] },
        { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
        { apiGroups: ['*'], resources: ['pods'], verbs: ['*'] },
      ]),
    ).toEqual([
      'api group rbac.authorization.k8s.io',
      'resource rolebindings',
      'verb bind',
      'resource namespaces',
      'resource nodes',
      'resource resourcequotas',
      'writes resourcequotas',
      'resource users',
      'verb impersonate',
      'api group *',
      'verb *',
    ]);
  });

  it('gives each member an isolated, budgeted namespace and a service account bound to the role', () => {
    const tree = render({ members: ['alice'] });
    const ns = 'devpod-alice';
    const labels = { 'plinth.dev/devpod-member': 'alice', 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'devpod' };
    const namespace = objectAt(tree, 'manifests/devpod/namespace-devpod-alice.yaml');
    expect(namespace.metadata.labels).toEqual({
      ...labels,
      'pod-security.kubernetes.io/enforce': 'baseline',
      'pod-security.kubernetes.io/warn': 'baseline',
    });
    const account = objectAt(tree, `manifests/devpod/serviceaccount-${ns}-alice.yaml`);
    expect(account.metadata).toMatchObject({ name: 'alice', namespace: ns, labels });
    const binding = objectAt(tree, `manifests/devpod/rolebinding-${ns}-plinth-devpod.yaml`);
    expect(binding.metadata.namespace).toBe(ns);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'plinth-devpod' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'alice', namespace: ns }]);
    const quota = objectAt(tree, `manifests/devpod/resourcequota-${ns}-devpod.yaml`);
    expect(quota.spec.hard).toEqual({
      'requests.cpu': '4',
      'limits.cpu': '4',
      'requests.memory': '8Gi',
      'limits.memory': '8Gi',
      'requests.storage': '20Gi',
      pods: '10',
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    });
    const limits = objectAt(tree, `manifests/devpod/limitrange-${ns}-devpod.yaml`);
    expect(limits.spec.limits).toEqual([
      { type: 'Container', default: { cpu: '2', memory: '4Gi' }, defaultRequest: { cpu: '250m', memory: '512Mi' } },
    ]);
    const policy = objectAt(tree, `manifests/devpod/networkpolicy-${ns}-devpod-isolation.yaml`);
    expect(policy.spec.podSelector).toEqual({});
    expect(policy.metadata.annotations).toEqual({ 'plinth.dev/allow-egress-internet': 'a member works from the pod: packages, git and registries on the internet' });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: {} }] }]);
    expect(policy.spec.egress).toEqual([
      { to: [{ podSelector: {} }] },
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'] } }] },
    ]);
    expect(tree.components.find((c) => c.id === 'devpod')!.health.map((h) => `${h.kind}/${h.namespace ?? ''}/${h.name}`)).toEqual([
      'ClusterRole//plinth-devpod',
      'ServiceAccount/devpod-alice/alice',
    ]);
  });

  it('applies quota, container defaults, platform namespaces and pod security from the options', () => {
    const parsed = devpodOptions.parse({
      quota: { cpu: '8', memory: '16Gi', pods: 4, storage: '50Gi' },
      containerDefaults: { limits: { cpu: '3' }, requests: { memory: '1Gi' } },
      platformNamespaces: ['databases', 'redpanda'],
      podSecurity: 'privileged',
    });
    const objects = memberNamespaceObjects('bob', parsed);
    const byKind = (kind: string) => objects.find((o) => o.kind === kind) as Record<string, any>;
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'Namespace//devpod-bob',
      'ServiceAccount/devpod-bob/bob',
      'RoleBinding/devpod-bob/plinth-devpod',
      'ResourceQuota/devpod-bob/devpod',
      'LimitRange/devpod-bob/devpod',
      'NetworkPolicy/devpod-bob/devpod-isolation',
    ]);
    expect(byKind('Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(byKind('ResourceQuota').spec.hard).toMatchObject({ 'limits.cpu': '8', 'requests.memory': '16Gi', 'requests.storage': '50Gi', pods: '4' });
    expect(byKind('LimitRange').spec.limits[0]).toEqual({
      type: 'Container',
      default: { cpu: '3', memory: '4Gi' },
      defaultRequest: { cpu: '250m', memory: '1Gi' },
    });
    expect(byKind('NetworkPolicy').spec.egress.at(-1)).toEqual({
      to: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'databases' } } },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'redpanda' } } },
      ],
    });
    expect(memberNamespace('bob')).toBe('devpod-bob');
  });

  it('renders one namespace per member', () => {
    const tree = render({ members: ['alice', 'bob'] });
    expect(tree.objects.filter((o) => o.object.kind === 'Namespace').map((o) => o.object.metadata.name)).toEqual(['devpod-alice', 'devpod-bob']);
  });

  it('reports bad options with their path', () => {
    expect(issuesOf({ members: ['Alice'] })).toEqual([
      {
        path: 'components.devpod.members[0]',
        message: '"Alice" must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric',
      },
    ]);
    expect(issuesOf({ members: ['a'.repeat(57)] })).toEqual([
      { path: 'components.devpod.members[0]', message: `must be at most 56 characters, got string "${'a'.repeat(57)}"` },
    ]);
    expect(issuesOf({ containerDefaults: { requests: { cpu: '3' } } })).toEqual([
      {
        path: 'components.devpod.containerDefaults.requests.cpu',
        message: '"3" exceeds the default limit 2; Kubernetes rejects a LimitRange whose default request is above its default limit',
      },
    ]);
    expect(issuesOf({ containerDefaults: { limits: { memory: 'much' } } })).toEqual([
      { path: 'components.devpod.containerDefaults.limits.memory', message: '"much" must be a Kubernetes quantity such as "500m", "256Mi" or "20Gi"' },
    ]);
    expect(issuesOf({ quota: { memory: '8 GB' } })).toEqual([
      { path: 'components.devpod.quota.memory', message: '"8 GB" must be a Kubernetes quantity such as "500m", "256Mi" or "20Gi"' },
    ]);
    expect(issuesOf({ podSecurity: 'restricted' })).toEqual([
      { path: 'components.devpod.podSecurity', message: 'must be one of "baseline", "privileged"' },
    ]);
  });

  it('compares quantities across units', () => {
    expect(quantityValue('500m')).toBe(0.5);
    expect(quantityValue('1Gi')).toBe(1024 * quantityValue('1Mi'));
    expect(quantityValue('1G') < quantityValue('1Gi')).toBe(true);
    expect(quantityValue('8 GB')).toBeNaN();
  });

  it('renders only built-in kinds, which the custom resource check passes', async () => {
    const tree = render({ members: ['alice'] });
    expect(await customResourceProblems(tree.objects)).toEqual([]);
    expect(tree.objects.some((o) => o.object.kind === 'Secret')).toBe(false);
  });
});
