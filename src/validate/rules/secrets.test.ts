import { describe, expect, it } from 'vitest';
import { deployment, goodContainer, obj, only, run } from './fixtures.ts';

/** A Deployment in `prod` reading `secret`/`key` through env, plus whatever else the test adds. */
const reader = (secret: string, key = 'password', extra: Record<string, unknown> = {}) =>
  deployment('api', 'prod', {
    containers: [goodContainer('api', { env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: secret, key } } }], ...extra })],
  });

const stringSecret = (name: string, namespace: string, fields = ['password'], data: Record<string, string> = {}) =>
  obj('secretgenerator.mittwald.de/v1alpha1', 'StringSecret', name, namespace, { spec: { data, fields: fields.map((fieldName) => ({ fieldName, length: '32' })) } });

const clusterSecret = (name: string, matchNamespace: string[] | undefined, source: { name: string; namespace: string; keys?: string[] }, avoidNamespaces?: string[]) =>
  ({
    ...obj('clustersecret.io/v1', 'ClusterSecret', name),
    ...(matchNamespace && { matchNamespace }),
    ...(avoidNamespaces && { avoidNamespaces }),
    data: { valueFrom: { secretKeyRef: source } },
  });

const refs = (findings: ReturnType<typeof run>) => findings.filter((f) => f.rule === 'ref/secret' || f.rule === 'ref/secret-key');

describe('ref/secret: producers in the pod namespace', () => {
  it('accepts each kind of producer in the namespace', () => {
    const producers = [
      obj('v1', 'Secret', 'db', 'prod', { type: 'Opaque' }),
      obj('external-secrets.io/v1', 'ExternalSecret', 'es-object', 'prod', { spec: { target: { name: 'db' }, data: [{ secretKey: 'password', remoteRef: { key: 'x' } }] } }),
      stringSecret('db', 'prod'),
      obj('secretgenerator.mittwald.de/v1alpha1', 'BasicAuth', 'db', 'prod', { spec: { username: 'u' } }),
      obj('secretgenerator.mittwald.de/v1alpha1', 'SSHKeyPair', 'db', 'prod', { spec: {} }),
      obj('bitnami.com/v1alpha1', 'SealedSecret', 'db', 'prod', { spec: { encryptedData: { password: 'AgB...' } } }),
      clusterSecret('db', ['^prod$'], { name: 'db', namespace: 'databases' }),
    ];
    for (const producer of producers) expect(refs(run([producer, reader('db')])), producer.kind).toEqual([]);
  });

  it('takes an ExternalSecret target name from its own name by default', () => {
    const es = obj('external-secrets.io/v1', 'ExternalSecret', 'db', 'prod', { spec: { data: [{ secretKey: 'password', remoteRef: { key: 'x' } }] } });
    expect(refs(run([es, reader('db')]))).toEqual([]);
    const merge = obj('external-secrets.io/v1', 'ExternalSecret', 'db', 'prod', { spec: { target: { creationPolicy: 'Merge' }, data: [] } });
    expect(refs(run([merge, reader('db')])).map((f) => f.severity)).toEqual(['warning']);
  });

  it('knows operator-written Secrets: cert-manager certificates and CloudNativePG app credentials', () => {
    const cert = obj('cert-manager.io/v1', 'Certificate', 'c', 'prod', { spec: { secretName: 'web-tls', issuerRef: { name: 'x', kind: 'ClusterIssuer' } } });
    const volume = (secretName: string) => deployment('web', 'prod', { pod: { volumes: [{ name: 'tls', secret: { secretName } }] } });
    expect(refs(run([cert, volume('web-tls')]))).toEqual([]);
    const pg = obj('postgresql.cnpg.io/v1', 'Cluster', 'main', 'prod', { spec: { walStorage: { size: '1Gi' } } });
    expect(refs(run([pg, reader('main-app')]))).toEqual([]);
    expect(refs(run([pg, reader('main-superuser')])).map((f) => f.severity)).toEqual(['warning']);
  });

  it('warns when nothing produces the Secret, naming it and the namespace', () => {
    const [f, ...rest] = refs(run([reader('db')]));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ rule: 'ref/secret', severity: 'warning', path: '/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef/name' });
    expect(f!.message).toBe('nothing in the objects produces Secret "db" in namespace "prod"');
    expect(f!.hint).toContain('a ClusterSecret matching "prod"');
  });

  it('fails a Secret produced only in another namespace: a producer there does not count', () => {
    const [f] = refs(run([stringSecret('db', 'databases'), reader('db')]));
    expect(f).toMatchObject({ rule: 'ref/secret', severity: 'error' });
    expect(f!.message).toContain('produced in namespace "databases" but not in namespace "prod"');
  });

  it('applies ClusterSecret namespace patterns: anchored at the start, avoidNamespaces, default all', () => {
    const source = { name: 'db', namespace: 'databases' };
    expect(refs(run([stringSecret('db', 'databases'), clusterSecret('db', ['^staging$'], source), reader('db')])).map((f) => f.severity)).toEqual(['error']);
    expect(refs(run([stringSecret('db', 'databases'), clusterSecret('db', ['pro'], source), reader('db')]))).toEqual([]);
    expect(refs(run([stringSecret('db', 'databases'), clusterSecret('db', ['rod'], source), reader('db')])).map((f) => f.severity)).toEqual(['error']);
    expect(refs(run([stringSecret('db', 'databases'), clusterSecret('db', undefined, source), reader('db')]))).toEqual([]);
    expect(refs(run([stringSecret('db', 'databases'), clusterSecret('db', undefined, source, ['prod']), reader('db')])).map((f) => f.severity)).toEqual(['error']);
  });

  it('pairs manifests that set no namespace with each other, not with a namespaced producer', () => {
    const bare = (o: ReturnType<typeof obj>) => ({ ...o, metadata: { name: o.metadata.name } });
    const local = bare(deployment('api', 'x', { containers: [goodContainer('api', { envFrom: [{ secretRef: { name: 'db' } }] })] }));
    expect(refs(run([bare(stringSecret('db', 'x')), local]))).toEqual([]);
    const [f] = refs(run([stringSecret('db', 'prod'), local]));
    expect(f).toMatchObject({ severity: 'error', message: 'Secret "db" is produced in namespace "prod" but not in the namespace of the manifests without one, where it is read' });
  });

  it('follows envFrom, projected volumes and image pull secrets, and skips optional references', () => {
    const pod = obj('v1', 'Pod', 'p', 'prod', {
      spec: {
        containers: [goodContainer('p', { envFrom: [{ secretRef: { name: 'a' } }, { secretRef: { name: 'opt', optional: true } }] })],
        volumes: [{ name: 'v', projected: { sources: [{ secret: { name: 'b' } }] } }],
        imagePullSecrets: [{ name: 'c' }],
      },
    });
    expect(refs(run([pod])).map((f) => f.path)).toEqual([
      '/spec/containers/0/envFrom/0/secretRef/name',
      '/spec/imagePullSecrets/0/name',
      '/spec/volumes/0/projected/sources/0/secret/name',
    ]);
  });
});

describe('ref/secret-key', () => {
  it('fails a key the producer is known not to write, and passes when it does', () => {
    const [f] = refs(run([stringSecret('db', 'prod', ['password'], { username: 'app' }), reader('db', 'passwd')]));
    expect(f).toMatchObject({ rule: 'ref/secret-key', severity: 'error', path: '/spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef/key' });
    expect(f!.message).toContain('writes "password", "username"');
    expect(refs(run([stringSecret('db', 'prod', ['password'], { username: 'app' }), reader('db', 'username')]))).toEqual([]);
  });

  it('never names Secret values, only keys', () => {
    const secret = obj('v1', 'Secret', 'db', 'prod', { stringData: { password: 'hunter2-very-secret' } });
    const messages = run([secret, reader('db', 'nope')]).map((f) => `${f.message} ${f.hint}`).join('\n');
    expect(messages).toContain('"password"');
    expect(messages).not.toContain('hunter2');
  });

  it('checks the keys a ClusterSecret copies', () => {
    const copy = clusterSecret('db', ['^prod$'], { name: 'db', namespace: 'databases', keys: ['password'] });
    expect(refs(run([stringSecret('db', 'databases'), copy, reader('db', 'username')])).map((f) => f.rule)).toEqual(['ref/secret-key']);
  });
});

describe('ref/clustersecret-source', () => {
  it('passes a source produced in its namespace with the listed keys', () => {
    const copy = clusterSecret('db', ['^prod$'], { name: 'db', namespace: 'databases', keys: ['username', 'password'] });
    expect(run([stringSecret('db', 'databases', ['password'], { username: 'u' }), copy]).filter((f) => f.object === 'ClusterSecret/db')).toEqual([]);
  });

  it('fails a source that is only in another namespace, warns on one produced nowhere, fails a missing key', () => {
    const copy = clusterSecret('db', ['^prod$'], { name: 'db', namespace: 'databases', keys: ['password'] });
    expect(only(run([stringSecret('db', 'valkey'), copy]), 'ref/clustersecret-source')).toMatchObject([{ severity: 'error', path: '/data/valueFrom/secretKeyRef/name' }]);
    expect(only(run([copy]), 'ref/clustersecret-source')).toMatchObject([{ severity: 'warning' }]);
    const keys = clusterSecret('db', ['^prod$'], { name: 'db', namespace: 'databases', keys: ['token'] });
    expect(only(run([stringSecret('db', 'databases'), keys]), 'ref/secret-key')).toMatchObject([{ severity: 'error', path: '/data/valueFrom/secretKeyRef/keys' }]);
  });

  it('does not count the ClusterSecret itself as its source, and reports an invalid pattern', () => {
    const self = clusterSecret('db', ['.*'], { name: 'db', namespace: 'databases' });
    expect(only(run([self]), 'ref/clustersecret-source').map((f) => f.severity)).toEqual(['warning']);
    // Nor as a producer in its own source namespace, for a pod there.
    const inSource = deployment('api', 'databases', { containers: [goodContainer('api', { envFrom: [{ secretRef: { name: 'db' } }] })] });
    expect(only(run([self, inSource]), 'ref/secret').map((f) => f.severity)).toEqual(['warning']);
    const invalid = clusterSecret('db', ['(unclosed'], { name: 'db', namespace: 'databases' });
    expect(only(run([stringSecret('db', 'databases'), invalid]), 'ref/clustersecret-source')).toMatchObject([{ severity: 'error', path: '/matchNamespace' }]);
  });
});

describe('ref/secret for Ingress TLS', () => {
  const ingress = (annotations?: Record<string, string>, namespace = 'prod') =>
    obj('networking.k8s.io/v1', 'Ingress', 'web', namespace, { spec: { tls: [{ hosts: ['a.example.org'], secretName: 'web-tls' }], rules: [{ host: 'a.example.org' }] } }, annotations);

  it('passes a TLS Secret cert-manager issues from the annotation or a Certificate', () => {
    expect(only(run([ingress({ 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' })]), 'ref/secret')).toEqual([]);
    const cert = obj('cert-manager.io/v1', 'Certificate', 'web', 'prod', { spec: { secretName: 'web-tls', issuerRef: { name: 'x', kind: 'ClusterIssuer' } } });
    expect(only(run([cert, ingress()]), 'ref/secret')).toEqual([]);
  });

  it('warns when nothing issues it, and fails a Certificate in another namespace', () => {
    expect(only(run([ingress()]), 'ref/secret')).toMatchObject([{ severity: 'warning', path: '/spec/tls/0/secretName' }]);
    const cert = obj('cert-manager.io/v1', 'Certificate', 'web', 'other', { spec: { secretName: 'web-tls', issuerRef: { name: 'x', kind: 'ClusterIssuer' } } });
    expect(only(run([cert, ingress()]), 'ref/secret')).toMatchObject([{ severity: 'error' }]);
  });
});
