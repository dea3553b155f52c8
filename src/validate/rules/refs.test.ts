import { describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../config/schema.ts';
import { deployment, obj, only, run } from './fixtures.ts';

const externalDns = (values: Record<string, unknown>) =>
  obj('argoproj.io/v1alpha1', 'Application', 'external-dns', 'argocd', {
    spec: {
      sources: [
        { repoURL: 'https://kubernetes-sigs.github.io/external-dns/', chart: 'external-dns', targetRevision: '1.21.1', helm: { valuesObject: values } },
        { repoURL: 'https://git.example.org/infra.git', path: 'rendered/manifests/external-dns' },
      ],
    },
  });

const ingress = (name: string, namespace: string, hosts: string[], annotations: Record<string, string> = {}, tls = true) =>
  obj('networking.k8s.io/v1', 'Ingress', name, namespace, {
    spec: {
      ...(tls && { tls: [{ hosts, secretName: `${name}-tls` }] }),
      rules: hosts.map((host) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }] } })),
    },
  }, annotations);

const clusterIssuer = (name: string) => obj('cert-manager.io/v1', 'ClusterIssuer', name, undefined, { spec: { selfSigned: {} } });

describe('ref/ingress-domain', () => {
  it('passes a host under the domain filter of the external-dns Application', () => {
    expect(only(run([externalDns({ domainFilters: ['example.org'] }), ingress('web', 'prod', ['web.example.org'])]), 'ref/ingress-domain')).toEqual([]);
  });

  it('fails a rule host and an annotated host outside it, naming the host and the filter', () => {
    const findings = only(
      run([
        externalDns({ domainFilters: ['example.org'] }),
        ingress('web', 'prod', ['web.example.com'], { 'external-dns.alpha.kubernetes.io/hostname': 'www.other.net' }),
      ]),
      'ref/ingress-domain',
    );
    expect(findings.map((f) => [f.severity, f.path])).toEqual([
      ['error', '/metadata/annotations/external-dns.alpha.kubernetes.io~1hostname'],
      ['error', '/spec/rules/0/host'],
    ]);
    expect(findings[1]!.message).toContain('"web.example.com" is outside the domains external-dns publishes ("example.org"');
    expect(findings[1]!.hint).toContain('"example.org"');
  });

  it('matches suffixes at label boundaries and honours excludeDomains and --domain-filter args', () => {
    const objects = [
      externalDns({ domainFilters: ['example.org'], excludeDomains: ['internal.example.org'], extraArgs: ['--domain-filter=example.net'] }),
      ingress('a', 'prod', ['badexample.org']),
      ingress('b', 'prod', ['x.internal.example.org']),
      ingress('c', 'prod', ['api.example.net']),
      ingress('d', 'prod', ['example.org']),
    ];
    expect(only(run(objects), 'ref/ingress-domain').map((f) => f.object)).toEqual(['Ingress/prod/a', 'Ingress/prod/b']);
  });

  it('reads a plain external-dns Deployment and falls back to the cluster domain without one', () => {
    const dns = deployment('external-dns', 'external-dns', {
      containers: [{ name: 'external-dns', image: 'registry.k8s.io/external-dns/external-dns:v0.15.0', args: ['--domain-filter', 'example.org'] }],
    });
    expect(only(run([dns, ingress('web', 'prod', ['web.example.org'])]), 'ref/ingress-domain')).toEqual([]);
    expect(only(run([dns, ingress('web', 'prod', ['web.example.com'])]), 'ref/ingress-domain')).toHaveLength(1);

    const cluster = { domain: 'example.org', apps: [{ name: 'web' }], components: {}, postgres: { servers: [], databases: [] } } as unknown as ClusterConfig;
    const labelled = ingress('web', 'prod', ['web.example.com']);
    labelled.metadata.labels = { 'plinth.dev/app': 'web' };
    const [f] = only(run([labelled], cluster), 'ref/ingress-domain');
    expect(f).toMatchObject({ severity: 'error', path: '/spec/rules/0/host' });
    expect(f!.hint).toContain('apps[0].host');
    expect(only(run([ingress('web', 'prod', ['web.example.org'])], cluster), 'ref/ingress-domain')).toEqual([]);
  });

  it('says a host was not checked when nothing tells which domains are published', () => {
    const findings = only(run([ingress('web', 'prod', ['web.example.org'])]), 'ref/ingress-domain');
    expect(findings.map((f) => f.severity)).toEqual(['info']);
    expect(findings[0]!.message).toContain('not checked');
  });
});

describe('ref/ingress-issuer', () => {
  it('passes a cluster-issuer annotation naming a ClusterIssuer in the objects', () => {
    expect(only(run([clusterIssuer('letsencrypt-prod'), ingress('web', 'prod', ['a.example.org'], { 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' })]), 'ref/ingress-issuer')).toEqual([]);
  });

  it('fails a missing ClusterIssuer with a did-you-mean', () => {
    const [f, ...rest] = only(run([clusterIssuer('letsencrypt-prod'), ingress('web', 'prod', ['a.example.org'], { 'cert-manager.io/cluster-issuer': 'letsencrypt-prd' })]), 'ref/ingress-issuer');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', path: '/metadata/annotations/cert-manager.io~1cluster-issuer' });
    expect(f!.message).toContain('did you mean "letsencrypt-prod"');
  });

  it('scopes an Issuer to the Ingress namespace', () => {
    const issuer = obj('cert-manager.io/v1', 'Issuer', 'local', 'other', { spec: { selfSigned: {} } });
    const annotated = ingress('web', 'prod', ['a.example.org'], { 'cert-manager.io/issuer': 'local' });
    const [f] = only(run([issuer, annotated]), 'ref/ingress-issuer');
    expect(f!.message).toContain('it is in "other"');
    const same = obj('cert-manager.io/v1', 'Issuer', 'local', 'prod', { spec: { selfSigned: {} } });
    expect(only(run([same, annotated]), 'ref/ingress-issuer')).toEqual([]);
  });

  it('leaves an external issuer group as not checked', () => {
    const annotated = ingress('web', 'prod', ['a.example.org'], { 'cert-manager.io/issuer': 'x', 'cert-manager.io/issuer-kind': 'AWSPCAIssuer', 'cert-manager.io/issuer-group': 'awspca.cert-manager.io' });
    expect(only(run([annotated]), 'ref/ingress-issuer').map((f) => f.severity)).toEqual(['info']);
  });
});

describe('ref/certificate-issuer', () => {
  const cert = (issuerRef: Record<string, string>) => obj('cert-manager.io/v1', 'Certificate', 'c', 'prod', { spec: { secretName: 'c-tls', dnsNames: ['a.example.org'], issuerRef } });

  it('passes an existing ClusterIssuer and a same-namespace Issuer (the default kind)', () => {
    expect(only(run([clusterIssuer('ca'), cert({ name: 'ca', kind: 'ClusterIssuer' })]), 'ref/certificate-issuer')).toEqual([]);
    expect(only(run([obj('cert-manager.io/v1', 'Issuer', 'ca', 'prod'), cert({ name: 'ca' })]), 'ref/certificate-issuer')).toEqual([]);
  });

  it('fails an Issuer of another namespace and a missing ClusterIssuer', () => {
    expect(only(run([obj('cert-manager.io/v1', 'Issuer', 'ca', 'other'), cert({ name: 'ca' })]), 'ref/certificate-issuer')).toMatchObject([{ severity: 'error', path: '/spec/issuerRef/name' }]);
    expect(only(run([cert({ name: 'ca', kind: 'ClusterIssuer' })]), 'ref/certificate-issuer')).toMatchObject([{ severity: 'error' }]);
  });
});

describe('ref/secret-store', () => {
  const es = (namespace: string, secretStoreRef: Record<string, string>) =>
    obj('external-secrets.io/v1', 'ExternalSecret', 'creds', namespace, { spec: { secretStoreRef, data: [{ secretKey: 'k', remoteRef: { key: 'x' } }] } });
  const css = (name: string, conditions?: unknown[]) => obj('external-secrets.io/v1', 'ClusterSecretStore', name, undefined, { spec: { provider: { fake: {} }, ...(conditions && { conditions }) } });
  const ss = (name: string, namespace: string) => obj('external-secrets.io/v1', 'SecretStore', name, namespace, { spec: { provider: { fake: {} } } });

  it('passes a ClusterSecretStore and a SecretStore in the same namespace (the default kind)', () => {
    expect(only(run([css('plinth-secrets'), es('prod', { kind: 'ClusterSecretStore', name: 'plinth-secrets' })]), 'ref/secret-store')).toEqual([]);
    expect(only(run([ss('vault', 'prod'), es('prod', { name: 'vault' })]), 'ref/secret-store')).toEqual([]);
  });

  it('fails a SecretStore in another namespace: a store there does not count', () => {
    const [f] = only(run([ss('vault', 'other'), es('prod', { kind: 'SecretStore', name: 'vault' })]), 'ref/secret-store');
    expect(f).toMatchObject({ severity: 'error', path: '/spec/secretStoreRef/name', object: 'ExternalSecret/prod/creds' });
    expect(f!.message).toContain('it is in "other"');
  });

  it('fails a missing ClusterSecretStore and one whose conditions leave the namespace out', () => {
    expect(only(run([es('prod', { kind: 'ClusterSecretStore', name: 'nope' })]), 'ref/secret-store')).toMatchObject([{ severity: 'error' }]);
    const limited = css('plinth-secrets', [{ namespaces: ['kargo'] }, { namespaceRegexes: ['^team-'] }]);
    expect(only(run([limited, es('prod', { kind: 'ClusterSecretStore', name: 'plinth-secrets' })]), 'ref/secret-store')).toMatchObject([{ severity: 'error' }]);
    expect(only(run([limited, es('team-a', { kind: 'ClusterSecretStore', name: 'plinth-secrets' })]), 'ref/secret-store')).toEqual([]);
    expect(only(run([limited, es('kargo', { kind: 'ClusterSecretStore', name: 'plinth-secrets' })]), 'ref/secret-store')).toEqual([]);
  });

  it('checks per-entry sourceRef.storeRef too', () => {
    const entry = obj('external-secrets.io/v1', 'ExternalSecret', 'creds', 'prod', {
      spec: { dataFrom: [{ sourceRef: { storeRef: { kind: 'SecretStore', name: 'missing' } }, extract: { key: 'x' } }] },
    });
    expect(only(run([entry]), 'ref/secret-store')).toMatchObject([{ path: '/spec/dataFrom/0/sourceRef/storeRef/name' }]);
  });
});

describe('ref/app-database, ref/app-cache, ref/app-topic', () => {
  const declared = [
    obj('postgresql.cnpg.io/v1', 'Database', 'db-object', 'databases', { spec: { name: 'mswa', owner: 'mswa', cluster: { name: 'main' } } }),
    obj('postgresql.cnpg.io/v1', 'Cluster', 'main', 'databases', { spec: { instances: 1, storage: { size: '1Gi' }, walStorage: { size: '1Gi' } } }),
    obj('valkey.io/v1alpha1', 'ValkeyCluster', 'sessions', 'valkey', { spec: {} }),
    obj('cluster.redpanda.com/v1alpha2', 'Topic', 'videos', 'redpanda', { spec: { partitions: 3 } }),
    obj('cluster.redpanda.com/v1alpha2', 'Topic', 'events-object', 'redpanda', { spec: { overwriteTopicName: 'events' } }),
  ];
  const app = (annotations: Record<string, string>) => deployment('api', 'prod', { annotations });

  it('passes references to a Database by spec.name, a ValkeyCluster and Topics by their Kafka name', () => {
    const findings = run([...declared, app({ 'plinth.dev/database': 'mswa', 'plinth.dev/cache': 'sessions', 'plinth.dev/topics': 'videos, events' })]);
    expect(findings.filter((f) => f.rule.startsWith('ref/app-'))).toEqual([]);
  });

  it('fails undeclared ones, each at its annotation, with a did-you-mean', () => {
    const findings = run([...declared, app({ 'plinth.dev/database': 'db-object', 'plinth.dev/cache': 'session', 'plinth.dev/topics': 'videos,uploads' })]);
    expect(only(findings, 'ref/app-database')).toMatchObject([{ severity: 'error', path: '/metadata/annotations/plinth.dev~1database' }]);
    expect(only(findings, 'ref/app-cache')[0]!.message).toContain('did you mean "sessions"');
    expect(only(findings, 'ref/app-topic').map((f) => f.message)).toEqual([expect.stringContaining('topic "uploads" is not declared')]);
  });

  it('gives the config path in the hint when validating a config', () => {
    const cluster = { domain: 'example.org', apps: [{ name: 'web' }, { name: 'api' }], components: {}, postgres: { servers: [], databases: [] } } as unknown as ClusterConfig;
    const labelled = deployment('api', 'prod', { annotations: { 'plinth.dev/cache': 'nope' }, labels: { 'plinth.dev/app': 'api' } });
    expect(only(run([labelled], cluster), 'ref/app-cache')[0]!.hint).toContain('apps[1].cache');
  });
});

describe('ref/database-cluster', () => {
  it('passes a Database naming a Cluster in its namespace and fails one in another', () => {
    const db = obj('postgresql.cnpg.io/v1', 'Database', 'app', 'databases', { spec: { name: 'app', owner: 'app', cluster: { name: 'main' } } });
    expect(only(run([db, obj('postgresql.cnpg.io/v1', 'Cluster', 'main', 'databases')]), 'ref/database-cluster')).toEqual([]);
    expect(only(run([db, obj('postgresql.cnpg.io/v1', 'Cluster', 'main', 'other')]), 'ref/database-cluster')).toMatchObject([{ severity: 'error', path: '/spec/cluster/name' }]);
  });
});

describe('ref/scaledobject-target and ref/scaledobject-topic', () => {
  const topic = obj('cluster.redpanda.com/v1alpha2', 'Topic', 'videos', 'redpanda', { spec: {} });
  const scaled = (namespace: string, target: string, topicName?: string) =>
    obj('keda.sh/v1alpha1', 'ScaledObject', 'worker', namespace, {
      spec: {
        scaleTargetRef: { name: target },
        maxReplicaCount: 1,
        triggers: [{ type: 'kafka', metadata: { bootstrapServers: 'redpanda:9093', consumerGroup: 'worker', ...(topicName && { topic: topicName }) } }],
      },
    });

  it('passes a Deployment in the same namespace and a declared topic', () => {
    expect(run([topic, deployment('worker', 'prod'), scaled('prod', 'worker', 'videos')]).filter((f) => f.rule.startsWith('ref/scaledobject'))).toEqual([]);
  });

  it('fails a target in another namespace and an undeclared topic', () => {
    const findings = run([topic, deployment('worker', 'other'), scaled('prod', 'worker', 'video')]);
    expect(only(findings, 'ref/scaledobject-target')).toMatchObject([{ severity: 'error', path: '/spec/scaleTargetRef/name' }]);
    expect(only(findings, 'ref/scaledobject-target')[0]!.message).toContain('it is in "other"');
    expect(only(findings, 'ref/scaledobject-topic')).toMatchObject([{ severity: 'error', path: '/spec/triggers/0/metadata/topic' }]);
    expect(only(findings, 'ref/scaledobject-topic')[0]!.message).toContain('did you mean "videos"');
  });

  it('looks the target up by the kind and group of scaleTargetRef', () => {
    const sts = obj('apps/v1', 'StatefulSet', 'worker', 'prod', { spec: { template: { spec: { containers: [] } } } });
    const target = (ref: Record<string, string>) => obj('keda.sh/v1alpha1', 'ScaledObject', 'worker', 'prod', { spec: { scaleTargetRef: ref, triggers: [] } });
    expect(only(run([sts, target({ name: 'worker', kind: 'StatefulSet', apiVersion: 'apps/v1' })]), 'ref/scaledobject-target')).toEqual([]);
    expect(only(run([sts, target({ name: 'worker' })]), 'ref/scaledobject-target')).toHaveLength(1);
    expect(only(run([sts, target({ name: 'worker', kind: 'StatefulSet', apiVersion: 'example.org/v1' })]), 'ref/scaledobject-target')).toHaveLength(1);
  });

  it('reports a kafka trigger without a topic as not checked', () => {
    expect(only(run([topic, deployment('worker', 'prod'), scaled('prod', 'worker')]), 'ref/scaledobject-topic').map((f) => f.severity)).toEqual(['info']);
  });
});
