import { describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../config/schema.ts';
import { deployment, goodContainer, obj, ofRules, only, run } from './fixtures.ts';
import { normalizeRepository, optOuts, POLICIES, repositoryOf } from './policies.ts';

const policies = (findings: ReturnType<typeof run>) => ofRules(findings, 'policy/');
const container = (overrides: Record<string, unknown>, drop: string[] = []) => {
  const c = goodContainer('app', overrides);
  for (const key of drop) delete c[key];
  return c;
};

describe('a compliant workload', () => {
  it('passes every policy', () => {
    expect(policies(run([deployment('app', 'prod')]))).toEqual([]);
  });
});

describe('policy/resources', () => {
  it('fails missing requests and memory limit on containers and init containers of every workload kind', () => {
    const bare = container({ resources: {} });
    const cases = [
      deployment('d', 'prod', { containers: [bare] }),
      obj('apps/v1', 'StatefulSet', 's', 'prod', { spec: { template: { spec: { containers: [bare] } } } }),
      obj('apps/v1', 'DaemonSet', 'ds', 'prod', { spec: { template: { spec: { containers: [bare] } } } }),
      obj('batch/v1', 'Job', 'j', 'prod', { spec: { template: { spec: { containers: [bare], restartPolicy: 'Never' } } } }),
      obj('batch/v1', 'CronJob', 'cj', 'prod', { spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [bare] } } } } } }),
      obj('v1', 'Pod', 'p', 'prod', { spec: { containers: [bare] } }),
    ];
    const paths = only(run(cases), 'policy/resources').map((f) => `${f.object} ${f.path}`);
    expect(paths).toEqual([
      'Deployment/prod/d /spec/template/spec/containers/0/resources/limits',
      'Deployment/prod/d /spec/template/spec/containers/0/resources/requests',
      'StatefulSet/prod/s /spec/template/spec/containers/0/resources/limits',
      'StatefulSet/prod/s /spec/template/spec/containers/0/resources/requests',
      'DaemonSet/prod/ds /spec/template/spec/containers/0/resources/limits',
      'DaemonSet/prod/ds /spec/template/spec/containers/0/resources/requests',
      'Job/prod/j /spec/template/spec/containers/0/resources/limits',
      'Job/prod/j /spec/template/spec/containers/0/resources/requests',
      'CronJob/prod/cj /spec/jobTemplate/spec/template/spec/containers/0/resources/limits',
      'CronJob/prod/cj /spec/jobTemplate/spec/template/spec/containers/0/resources/requests',
      'Pod/prod/p /spec/containers/0/resources/limits',
      'Pod/prod/p /spec/containers/0/resources/requests',
    ]);
    const init = deployment('d', 'prod', { pod: { initContainers: [container({ name: 'migrate', resources: { requests: { cpu: '1' } } })] } });
    expect(only(run([init]), 'policy/resources').map((f) => f.message)).toEqual(['container "migrate" has no memory limit', 'container "migrate" requests no memory']);
  });

  it('gives the app config path in the hint when validating a config', () => {
    const cluster = { domain: 'example.org', apps: [{ name: 'web' }], components: {}, postgres: { servers: [], databases: [] } } as unknown as ClusterConfig;
    const app = deployment('web', 'prod', { containers: [container({ resources: {} })], labels: { 'plinth.dev/app': 'web' } });
    expect(only(run([app], cluster), 'policy/resources').map((f) => f.hint)).toEqual([
      expect.stringContaining('set apps[0].resources.limits (memory)'),
      expect.stringContaining('set apps[0].resources.requests (cpu, memory)'),
    ]);
  });
});

describe('hints with a config', () => {
  it('name the component that renders an object', () => {
    const cluster = { domain: 'example.org', apps: [], components: { grafana: { options: {}, common: {} } }, postgres: { servers: [], databases: [] } } as unknown as ClusterConfig;
    const owned = deployment('d', 'grafana', { containers: [container({ resources: {} })], labels: { 'plinth.dev/component': 'grafana' } });
    const hints = only(run([owned], cluster), 'policy/resources').map((f) => f.hint);
    expect(hints).toHaveLength(2);
    for (const hint of hints) expect(hint).toContain('it is rendered by components["grafana"]');
    expect(only(run([owned]), 'policy/resources').map((f) => f.hint).join()).not.toContain('components[');
  });
});

describe('opt-outs', () => {
  const bare = container({ resources: {} });

  it('an annotation with a reason skips the policy', () => {
    expect(policies(run([deployment('d', 'prod', { containers: [bare], annotations: { 'plinth.dev/allow-resources': 'sized by the vendor operator' } })]))).toEqual([]);
  });

  it('an empty reason is a finding at the policy severity, and the policy still applies', () => {
    const findings = only(run([deployment('d', 'prod', { containers: [bare], annotations: { 'plinth.dev/allow-resources': ' ' } })]), 'policy/resources');
    expect(findings.map((f) => f.path)).toEqual([
      '/metadata/annotations/plinth.dev~1allow-resources',
      '/spec/template/spec/containers/0/resources/limits',
      '/spec/template/spec/containers/0/resources/requests',
    ]);
    expect(findings[0]).toMatchObject({ severity: 'error', message: 'plinth.dev/allow-resources gives no reason, so it does not opt out of policy/resources' });
  });

  it('an annotation naming no policy is a warning with a did-you-mean', () => {
    const [f] = only(run([deployment('d', 'prod', { annotations: { 'plinth.dev/allow-resource': 'x' } })]), 'policy/unknown-opt-out');
    expect(f).toMatchObject({ severity: 'warning' });
    expect(f!.message).toContain('did you mean "resources"');
  });

  it('every policy has an opt-out that works', () => {
    for (const { name } of POLICIES) {
      const annotations = { [`plinth.dev/allow-${name}`]: 'tested' };
      expect(policies(run([deployment('d', 'prod', { annotations })])), name).toEqual([]);
    }
  });
});

describe('policy/probes', () => {
  it('fails long-running workloads without probes, not Jobs or init containers', () => {
    const noProbes = container({}, ['livenessProbe', 'readinessProbe']);
    const findings = only(run([
      deployment('d', 'prod', { containers: [noProbes], pod: { initContainers: [noProbes] } }),
      obj('batch/v1', 'Job', 'j', 'prod', { spec: { template: { spec: { containers: [noProbes], restartPolicy: 'Never' } } } }),
      obj('v1', 'Pod', 'once', 'prod', { spec: { restartPolicy: 'Never', containers: [noProbes] } }),
    ]), 'policy/probes');
    expect(findings.map((f) => [f.severity, f.path])).toEqual([
      ['warning', '/spec/template/spec/containers/0/livenessProbe'],
      ['warning', '/spec/template/spec/containers/0/readinessProbe'],
    ]);
  });
});

describe('policy/run-as-non-root and policy/read-only-root-filesystem', () => {
  it('accepts runAsNonRoot from the pod securityContext', () => {
    const c = container({ securityContext: { readOnlyRootFilesystem: true } });
    expect(policies(run([deployment('d', 'prod', { containers: [c], pod: { securityContext: { runAsNonRoot: true } } })]))).toEqual([]);
  });

  it('fails unset, false, a container overriding the pod, and UID 0', () => {
    const findings = only(run([
      deployment('unset', 'prod', { containers: [container({ securityContext: { readOnlyRootFilesystem: true } })] }),
      deployment('override', 'prod', { containers: [container({ securityContext: { runAsNonRoot: false, readOnlyRootFilesystem: true } })], pod: { securityContext: { runAsNonRoot: true } } }),
      deployment('uid0', 'prod', { containers: [container({ securityContext: { runAsNonRoot: true, runAsUser: 0, readOnlyRootFilesystem: true } })] }),
    ]), 'policy/run-as-non-root');
    expect(findings.map((f) => [f.object, f.path])).toEqual([
      ['Deployment/prod/unset', '/spec/template/spec/containers/0/securityContext/runAsNonRoot'],
      ['Deployment/prod/override', '/spec/template/spec/containers/0/securityContext/runAsNonRoot'],
      ['Deployment/prod/uid0', '/spec/template/spec/containers/0/securityContext/runAsUser'],
    ]);
    expect(findings.every((f) => f.severity === 'error')).toBe(true);
  });

  it('warns on a writable root filesystem', () => {
    const findings = only(run([deployment('d', 'prod', { containers: [container({ securityContext: { runAsNonRoot: true } })] })]), 'policy/read-only-root-filesystem');
    expect(findings).toMatchObject([{ severity: 'warning', path: '/spec/template/spec/containers/0/securityContext/readOnlyRootFilesystem' }]);
  });
});

describe('policy/image-tag', () => {
  const image = (value: string) => deployment('d', 'prod', { containers: [container({ image: value })] });

  it('passes tags and digests, and a registry port is not a tag', () => {
    for (const value of ['nginx:1.27', 'ghcr.io/a/b@sha256:abc', 'registry:5000/team/app:2.0'])
      expect(only(run([image(value)]), 'policy/image-tag'), value).toEqual([]);
  });

  it('fails untagged and :latest images, naming the image', () => {
    const findings = only(run([image('registry:5000/team/app'), image('nginx:latest')]), 'policy/image-tag');
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringContaining('"registry:5000/team/app", which has no tag'),
      expect.stringContaining('"nginx:latest", tagged :latest'),
    ]);
  });

  it('exempts repositories a Kargo Warehouse subscribes to, however the name is spelled', () => {
    const warehouse = obj('kargo.akuity.io/v1alpha1', 'Warehouse', 'w', 'kargo-app', { spec: { subscriptions: [{ image: { repoURL: 'docker.io/library/nginx' } }, { image: { repoURL: 'ghcr.io/org/app' } }] } });
    expect(only(run([warehouse, image('nginx'), image('ghcr.io/org/app'), image('ghcr.io/org/other')]), 'policy/image-tag').map((f) => f.message)).toEqual([
      expect.stringContaining('"ghcr.io/org/other"'),
    ]);
  });

  it('normalizes repositories', () => {
    expect(repositoryOf('localhost:5000/app:1@sha256:x')).toBe('localhost:5000/app');
    expect(normalizeRepository('nginx')).toBe('docker.io/library/nginx');
    expect(normalizeRepository('bitnami/redis')).toBe('docker.io/bitnami/redis');
    expect(normalizeRepository('index.docker.io/library/nginx')).toBe('docker.io/library/nginx');
    expect(normalizeRepository('GHCR.io/Org/App')).toBe('ghcr.io/org/app');
  });
});

describe('policy/secret-data', () => {
  it('passes a Secret without data and fails data and stringData, naming keys and never values', () => {
    expect(only(run([obj('v1', 'Secret', 'empty', 'prod', { type: 'kubernetes.io/service-account-token' })]), 'policy/secret-data')).toEqual([]);
    const findings = only(run([obj('v1', 'Secret', 's', 'prod', { data: { token: 'c2VjcmV0LXZhbHVl' }, stringData: { password: 'plain-secret-value' } })]), 'policy/secret-data');
    expect(findings.map((f) => [f.severity, f.path])).toEqual([['error', '/data'], ['error', '/stringData']]);
    const text = findings.map((f) => `${f.message} ${f.hint}`).join(' ');
    expect(text).toContain('"token"');
    expect(text).not.toContain('c2VjcmV0LXZhbHVl');
    expect(text).not.toContain('plain-secret-value');
  });
});

describe('policy/ingress-tls', () => {
  const ingress = (hosts: string[], tlsHosts: string[] | undefined, annotations?: Record<string, string>) =>
    obj('networking.k8s.io/v1', 'Ingress', 'web', 'prod', {
      spec: {
        ...(tlsHosts && { tls: [{ hosts: tlsHosts, secretName: 'web-tls' }] }),
        rules: hosts.map((host) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } })),
      },
    }, annotations);

  it('passes hosts covered exactly or by a one-label wildcard, and an Ingress with no host', () => {
    expect(only(run([ingress(['a.example.org', 'b.example.org'], ['a.example.org', '*.example.org'])]), 'policy/ingress-tls')).toEqual([]);
    expect(only(run([ingress([], undefined)]), 'policy/ingress-tls')).toEqual([]);
  });

  it('fails an Ingress without TLS, an uncovered host, and an annotated external-dns host', () => {
    expect(only(run([ingress(['a.example.org'], undefined)]), 'policy/ingress-tls')).toMatchObject([{ severity: 'error', path: '/spec/tls' }]);
    expect(only(run([ingress(['a.b.example.org'], ['*.example.org'])]), 'policy/ingress-tls')).toMatchObject([{ path: '/spec/rules/0/host' }]);
    const annotated = only(run([ingress(['a.example.org'], ['a.example.org'], { 'external-dns.alpha.kubernetes.io/hostname': 'www.example.org' })]), 'policy/ingress-tls');
    expect(annotated.map((f) => f.message)).toEqual([expect.stringContaining('"www.example.org" has no TLS')]);
  });
});

describe('policy/postgres-wal-volume and policy/postgres-backup', () => {
  const pg = (spec: Record<string, unknown>) => obj('postgresql.cnpg.io/v1', 'Cluster', 'main', 'databases', { spec: { instances: 2, storage: { size: '10Gi' }, ...spec } });

  it('passes a Cluster with walStorage and backups declared in any supported way', () => {
    expect(policies(run([pg({ walStorage: { size: '2Gi' }, backup: { barmanObjectStore: { destinationPath: 's3://b' } } })]))).toEqual([]);
    expect(policies(run([pg({ walStorage: { size: '2Gi' }, plugins: [{ name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true }] })]))).toEqual([]);
    const scheduled = obj('postgresql.cnpg.io/v1', 'ScheduledBackup', 'nightly', 'databases', { spec: { schedule: '0 0 3 * * *', cluster: { name: 'main' } } });
    expect(policies(run([pg({ walStorage: { size: '2Gi' } }), scheduled]))).toEqual([]);
  });

  it('fails a Cluster without walStorage (error) and without backups (warning)', () => {
    const otherNamespace = obj('postgresql.cnpg.io/v1', 'ScheduledBackup', 'nightly', 'elsewhere', { spec: { schedule: '0 0 3 * * *', cluster: { name: 'main' } } });
    const findings = policies(run([pg({}), otherNamespace]));
    expect(findings.map((f) => [f.rule, f.severity, f.path])).toEqual([
      ['policy/postgres-backup', 'warning', '/spec/backup'],
      ['policy/postgres-wal-volume', 'error', '/spec/walStorage'],
    ]);
  });
});

describe('policy/pdb', () => {
  const pdb = (namespace: string, matchLabels: Record<string, string>) => obj('policy/v1', 'PodDisruptionBudget', 'pdb', namespace, { spec: { maxUnavailable: 1, selector: { matchLabels } } });

  it('passes a replicated Deployment whose pods a PodDisruptionBudget selects, and a single replica without one', () => {
    expect(only(run([deployment('api', 'prod', { replicas: 2 }), pdb('prod', { app: 'api' })]), 'policy/pdb')).toEqual([]);
    expect(only(run([deployment('api', 'prod', { replicas: 1 })]), 'policy/pdb')).toEqual([]);
  });

  it('fails without a matching PodDisruptionBudget: other labels or another namespace do not count', () => {
    const findings = only(run([deployment('api', 'prod', { replicas: 3 }), pdb('prod', { app: 'web' }), pdb('other', { app: 'api' })]), 'policy/pdb');
    expect(findings).toMatchObject([{ severity: 'warning', path: '/spec/template/metadata/labels' }]);
    expect(findings[0]!.message).toContain('runs 3 replicas');
    expect(findings[0]!.message).toContain('pdb selects other pods');
  });

  it('counts a KEDA ScaledObject maximum above 1 (default 100) as replicated', () => {
    const scaled = (max?: number) => obj('keda.sh/v1alpha1', 'ScaledObject', 'api', 'prod', { spec: { scaleTargetRef: { name: 'api' }, ...(max !== undefined && { maxReplicaCount: max }), triggers: [] } });
    expect(only(run([deployment('api', 'prod'), scaled(5)]), 'policy/pdb')[0]!.message).toContain('scales up to 5 replicas');
    expect(only(run([deployment('api', 'prod'), scaled()]), 'policy/pdb')).toHaveLength(1);
    expect(only(run([deployment('api', 'prod'), scaled(1)]), 'policy/pdb')).toEqual([]);
  });

  it('matches selectors with matchExpressions', () => {
    const expr = obj('policy/v1', 'PodDisruptionBudget', 'pdb', 'prod', { spec: { maxUnavailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'web'] }] } } });
    expect(only(run([deployment('api', 'prod', { replicas: 2 }), expr]), 'policy/pdb')).toEqual([]);
    const notIn = obj('policy/v1', 'PodDisruptionBudget', 'pdb', 'prod', { spec: { maxUnavailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api'] }] } } });
    expect(only(run([deployment('api', 'prod', { replicas: 2 }), notIn]), 'policy/pdb')).toHaveLength(1);
  });
});

describe('policy/cluster-admin-binding', () => {
  const rbac = 'rbac.authorization.k8s.io/v1';
  const binding = (kind: string, name: string, namespace: string | undefined, roleRef: Record<string, string>, subjects: Record<string, string>[], annotations?: Record<string, string>) =>
    obj(rbac, kind, name, namespace, { roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef }, subjects }, annotations);
  const sa = { kind: 'ServiceAccount', name: 'deployer', namespace: 'ci' };

  it('fails a ClusterRoleBinding or RoleBinding to the cluster-admin ClusterRole, naming who gets it', () => {
    const findings = only(run([
      binding('ClusterRoleBinding', 'ci-admin', undefined, { kind: 'ClusterRole', name: 'cluster-admin' }, [sa, { kind: 'User', name: 'alice' }]),
      binding('RoleBinding', 'ns-admin', 'apps', { kind: 'ClusterRole', name: 'cluster-admin' }, [sa]),
    ]), 'policy/cluster-admin-binding');
    expect(findings.map((f) => `${f.object} ${f.path} ${f.severity}`)).toEqual([
      'ClusterRoleBinding/ci-admin /roleRef/name error',
      'RoleBinding/apps/ns-admin /roleRef/name error',
    ]);
    expect(findings[0]!.message).toBe('ClusterRoleBinding "ci-admin" grants cluster-admin (every verb on every resource, Secrets and RBAC included) to ServiceAccount ci/deployer, User alice');
    expect(findings[1]!.message).toContain('grants cluster-admin in "apps"');
    expect(findings[0]!.hint).toContain('plinth.dev/allow-cluster-admin-binding: "<why nothing smaller works>"');
  });

  it('fails a binding of the system:masters group, at the subject', () => {
    const findings = only(run([binding('ClusterRoleBinding', 'masters-view', undefined, { kind: 'ClusterRole', name: 'view' }, [sa, { kind: 'Group', name: 'system:masters' }])]), 'policy/cluster-admin-binding');
    expect(findings.map((f) => f.path)).toEqual(['/subjects/1/name']);
    expect(findings[0]!.message).toContain('binds the group system:masters');
  });

  it('passes narrower bindings, a Role named cluster-admin, and an opt-out with a reason', () => {
    expect(only(run([
      binding('ClusterRoleBinding', 'view', undefined, { kind: 'ClusterRole', name: 'view' }, [sa]),
      binding('RoleBinding', 'local', 'apps', { kind: 'Role', name: 'cluster-admin' }, [sa]),
      binding('ClusterRoleBinding', 'bootstrap', undefined, { kind: 'ClusterRole', name: 'cluster-admin' }, [sa], { 'plinth.dev/allow-cluster-admin-binding': 'installs operators whose CRDs and RBAC are not known in advance' }),
    ]), 'policy/cluster-admin-binding')).toEqual([]);
    const blank = only(run([binding('ClusterRoleBinding', 'b', undefined, { kind: 'ClusterRole', name: 'cluster-admin' }, [sa], { 'plinth.dev/allow-cluster-admin-binding': '' })]), 'policy/cluster-admin-binding');
    expect(blank.map((f) => f.path)).toEqual(['/metadata/annotations/plinth.dev~1allow-cluster-admin-binding', '/roleRef/name']);
  });
});

describe('policy/rbac-wildcard', () => {
  const role = (kind: string, name: string, rules: Record<string, string[]>[], annotations?: Record<string, string>) =>
    obj('rbac.authorization.k8s.io/v1', kind, name, kind === 'Role' ? 'apps' : undefined, { rules }, annotations);

  it('fails each rule with "*" in verbs, resources or apiGroups, at the first wildcard field', () => {
    const findings = only(run([
      role('ClusterRole', 'everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
      role('Role', 'secrets', [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }, { apiGroups: [''], resources: ['secrets'], verbs: ['*'] }]),
      role('ClusterRole', 'certs', [{ apiGroups: ['cert-manager.io'], resources: ['*'], verbs: ['get', 'list'] }]),
    ]), 'policy/rbac-wildcard');
    expect(findings.map((f) => `${f.object} ${f.path}`)).toEqual(['ClusterRole/everything /rules/0/apiGroups', 'Role/apps/secrets /rules/1/verbs', 'ClusterRole/certs /rules/0/resources']);
    expect(findings[0]!.message).toBe('ClusterRole "everything" rule 0 grants "*" in apiGroups, resources, verbs: every API group, every resource, every verb, including those added later');
    expect(findings[1]!.hint).toContain('list the verbs the workload uses on "secrets"');
    expect(findings[1]!.hint).toContain('plinth.dev/allow-rbac-wildcard: "<why the set cannot be listed>"');
  });

  it('passes listed rules and an opt-out with a reason', () => {
    expect(only(run([
      role('ClusterRole', 'reader', [{ apiGroups: ['', 'apps'], resources: ['pods', 'deployments'], verbs: ['get', 'list', 'watch'] }]),
      role('ClusterRole', 'gc', [{ apiGroups: ['*'], resources: ['*'], verbs: ['delete'] }], { 'plinth.dev/allow-rbac-wildcard': 'the garbage collector deletes whatever kind it finds orphaned' }),
    ]), 'policy/rbac-wildcard')).toEqual([]);
  });
});

describe('policy/privileged', () => {
  const namespace = (name: string, level: string, annotations?: Record<string, string>) =>
    obj('v1', 'Namespace', name, undefined, {}, annotations, { 'pod-security.kubernetes.io/enforce': level });

  it('fails a namespace that admits privileged pods without a reason, and passes one with it or a stricter level', () => {
    const findings = only(run([
      namespace('ci', 'privileged'),
      namespace('builds', 'privileged', { 'plinth.dev/allow-privileged': 'docker builds need a Docker daemon' }),
      namespace('runners', 'baseline'),
      namespace('blank', 'privileged', { 'plinth.dev/allow-privileged': ' ' }),
    ]), 'policy/privileged');
    expect(findings.map((f) => [f.object, f.severity, f.path])).toEqual([
      ['Namespace/ci', 'error', '/metadata/labels/pod-security.kubernetes.io~1enforce'],
      // A blank reason opts out of nothing: reported as such, and the policy still applies.
      ['Namespace/blank', 'error', '/metadata/annotations/plinth.dev~1allow-privileged'],
      ['Namespace/blank', 'error', '/metadata/labels/pod-security.kubernetes.io~1enforce'],
    ]);
    expect(findings[0]!.hint).toContain('plinth.dev/allow-privileged: "<what needs it>"');
    expect(optOuts([{ file: 'ns.yaml', document: 1, object: namespace('builds', 'privileged', { 'plinth.dev/allow-privileged': 'docker builds need a Docker daemon' }) }])).toEqual([
      { file: 'ns.yaml', document: 1, object: 'Namespace/builds', policy: 'policy/privileged', reason: 'docker builds need a Docker daemon' },
    ]);
  });
});

describe('optOuts', () => {
  it('lists each opt-out that has a reason, with its object and file, so none passes unseen', () => {
    const subjects = [
      deployment('d', 'prod', { annotations: { 'plinth.dev/allow-probes': ' batch worker, no port ', 'plinth.dev/allow-pdb': '', 'plinth.dev/allow-nothing': 'x' } }),
      obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'gc', undefined, {}, { 'plinth.dev/allow-rbac-wildcard': 'deletes any kind' }),
    ].map((object, i) => ({ file: `f${i}.yaml`, document: 1, object }));
    expect(optOuts(subjects)).toEqual([
      { file: 'f0.yaml', document: 1, object: 'Deployment/prod/d', policy: 'policy/probes', reason: 'batch worker, no port' },
      { file: 'f1.yaml', document: 1, object: 'ClusterRole/gc', policy: 'policy/rbac-wildcard', reason: 'deletes any kind' },
    ]);
  });
});
