import { describe, expect, it } from 'vitest';
import { nameRuleFor, nameRuleProblem, namespaceNameProblem, objectNameProblem } from './names.ts';

describe('nameRuleFor', () => {
  it('picks the rule the API server applies to each kind', () => {
    expect(nameRuleFor('ConfigMap', 'v1')).toBe('dns1123-subdomain');
    expect(nameRuleFor('Namespace', 'v1')).toBe('dns1123-label');
    expect(nameRuleFor('Service', 'v1')).toBe('dns1035-label');
    expect(nameRuleFor('Role', 'rbac.authorization.k8s.io/v1')).toBe('path-segment');
    expect(nameRuleFor('ClusterRoleBinding', 'rbac.authorization.k8s.io/v1')).toBe('path-segment');
    // Only the core group's Service and Namespace are special; a custom resource of the same kind is not.
    expect(nameRuleFor('Service', 'serving.knative.dev/v1')).toBe('dns1123-subdomain');
    expect(nameRuleFor('Namespace', 'example.org/v1')).toBe('dns1123-subdomain');
    expect(nameRuleFor('Role', 'example.org/v1')).toBe('dns1123-subdomain');
  });
});

describe('objectNameProblem', () => {
  it('accepts names Kubernetes accepts', () => {
    expect(objectNameProblem('ConfigMap', 'v1', 'my-config')).toBeUndefined();
    expect(objectNameProblem('ConfigMap', 'v1', 'a.b-c.d')).toBeUndefined();
    expect(objectNameProblem('ConfigMap', 'v1', 'a'.repeat(253))).toBeUndefined();
    expect(objectNameProblem('Service', 'v1', 'web-2')).toBeUndefined();
    expect(objectNameProblem('Role', 'rbac.authorization.k8s.io/v1', 'system:controller:Foo_bar')).toBeUndefined();
  });

  it('refuses every name that would climb out of a directory', () => {
    for (const name of ['../escaped', '../../../../etc/passwd', 'a/b', '..', '.'])
      expect(objectNameProblem('ConfigMap', 'v1', name), name).toMatch(/is not a valid name: lowercase letters, digits, "-" and "\."/);
    for (const name of ['..', '.', 'a/b', '../x', 'a%2Fb'])
      expect(objectNameProblem('Role', 'rbac.authorization.k8s.io/v1', name), name).toBe(
        `${JSON.stringify(name)} is not a valid name: any name except "." and "..", without "/" or "%", e.g. "my-role"`,
      );
  });

  it('applies each rule: case, length, first character, dots', () => {
    expect(objectNameProblem('ConfigMap', 'v1', 'My-Config')).toBe(
      '"My-Config" is not a valid name: lowercase letters, digits, "-" and ".", at most 253, starting and ending alphanumeric, e.g. "my-config"',
    );
    expect(objectNameProblem('ConfigMap', 'v1', 'a'.repeat(254))).toMatch(/^"a{77}\.\.\." is not a valid name/);
    expect(objectNameProblem('ConfigMap', 'v1', '-x')).toBeDefined();
    expect(objectNameProblem('ConfigMap', 'v1', 'x-')).toBeDefined();
    expect(objectNameProblem('Service', 'v1', '1web')).toBe(
      '"1web" is not a valid name: lowercase letters, digits and "-", at most 63, starting with a letter and ending alphanumeric, e.g. "my-service"',
    );
    expect(objectNameProblem('Service', 'v1', 'a.b')).toBeDefined();
    expect(objectNameProblem('Service', 'v1', 'a'.repeat(64))).toBeDefined();
    expect(objectNameProblem('Namespace', 'v1', 'a.b')).toBeDefined();
    expect(objectNameProblem('ConfigMap', 'v1', '')).toBe('must not be empty');
    expect(objectNameProblem('ConfigMap', 'v1', 'naïve')).toBeDefined();
  });
});

describe('namespaceNameProblem', () => {
  it('takes DNS-1123 labels only', () => {
    expect(namespaceNameProblem('kube-system')).toBeUndefined();
    expect(namespaceNameProblem('a'.repeat(63))).toBeUndefined();
    expect(namespaceNameProblem('a'.repeat(64))).toBeDefined();
    expect(namespaceNameProblem('../../x')).toBe(
      '"../../x" is not a valid name: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric, e.g. "my-namespace"',
    );
    expect(namespaceNameProblem('team.a')).toBeDefined();
  });

  it('says the same as nameRuleProblem with the label rule', () => {
    expect(namespaceNameProblem('Bad')).toBe(nameRuleProblem('dns1123-label', 'Bad'));
  });
});
