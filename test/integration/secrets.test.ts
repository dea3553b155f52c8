import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { SECRETS_NAMESPACE } from '../../src/core/conventions.ts';
import { renderTree } from '../../src/core/render.ts';
import { readCrds } from '../../src/commands/live.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { memberKubeconfig } from '../../src/access/kubeconfig.ts';
import { connect, KubeError, type LiveCluster } from '../../src/kube/client.ts';
import { readStore, INPUT_LABEL } from '../../src/secrets/store.ts';
import { minimalCluster, runCli, tempDir, UPSTREAM, type CliResult } from '../helpers.ts';
import { startControlPlane, type TestCluster } from './control-plane.ts';
import { useControlPlane } from './live.ts';

const first = useControlPlane();
let second: TestCluster | undefined;
afterAll(async () => {
  await second?.stop();
});

/** Values no command may print or write anywhere but the store and the encrypted backup. */
const run = randomBytes(4).toString('hex');
const sentinel = (n: string) => `SENTINEL-${run}-${n}`;
const SENTINELS: string[] = [];
const value = (n: string) => {
  const v = sentinel(n);
  SENTINELS.push(v);
  return v;
};

/**
 * Every registered component, so every input and every Role/ClusterRole Plinth can render is in play:
 * CloudNativePG with backups (one more input) and a DevPod member.
 */
const dir = await tempDir('plinth-secrets-');
const home = await tempDir('plinth-secrets-home-');
const config = minimalCluster();
for (const id of Object.keys(registry)) config.components[id] ??= {};
config.components['cloudnative-pg'] = { backup: { destinationPath: 's3://pg-backups/test', endpointURL: 'https://s3.example.org' } };
config.components.devpod = { members: ['alice'] };
config.components.logging = { bucket: 'cluster-logs' };
config.components.runners = { sets: [{ name: 'linux', githubConfigUrl: 'https://github.com/acme' }] };
config.components.sso = { github: { org: 'acme' } };
// App inputs beside the components': web's API key; the api's JWT key in both stages, its SMTP login per stage.
config.apps[0].secrets = [{ name: 'maps', purpose: 'the maps API key', keys: { MAPS_API_KEY: 'the key' } }];
config.apps[1].stages = ['staging', 'production'];
config.apps[1].secrets = [
  { name: 'jwt', purpose: 'signs sessions', keys: { JWT_SECRET: 'the signing key' } },
  { name: 'smtp', purpose: 'sends mail', stages: ['staging', 'production'], keys: { username: 'the user', password: 'the password' }, delivery: { file: '/etc/api/smtp' } },
];
const APP_INPUTS = ['api-jwt', 'api-production-smtp', 'api-staging-smtp', 'web-maps'];
await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config, null, 2));
/** Files the test itself writes into the config directory: the user's, not Plinth's. */
const testFiles = new Set(['plinth.config.json']);

const outputs: { args: string[]; result: CliResult }[] = [];
/** The real CLI process, with HOME and TMPDIR in a scratch directory, so anything Plinth writes is found. */
async function cli(args: string[], options: { input?: string; env?: Record<string, string>; kubeconfig?: string } = {}): Promise<CliResult> {
  const kubeconfig = options.kubeconfig ?? first.control.kubeconfig;
  const live = ['secrets', 'bootstrap'].includes(args[0]!) && args[1] !== 'list' && !args.includes('--dry-run');
  const full = [...args, ...(live ? ['--kubeconfig', kubeconfig] : [])];
  const result = await runCli(full, { cwd: dir, input: options.input, env: { HOME: home, TMPDIR: home, ...options.env } });
  outputs.push({ args: full, result });
  return result;
}
const parse = (result: CliResult) => JSON.parse(result.stdout);
const secretRef = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: SECRETS_NAMESPACE } });
const decoded = (secret: K8sObject | undefined) =>
  Object.fromEntries(Object.entries((secret?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
/** The store as raw base64 data, so a changed byte anywhere shows. */
const storeOf = async (live: LiveCluster) =>
  Object.fromEntries([...(await readStore(live))].map(([name, keys]) => [name, Object.fromEntries([...keys].map(([k, v]) => [k, v.toString('base64')]))]));

let identityFile: string;
let identity: string;

describe('plinth secrets on a live cluster', () => {
  it('list prints every declared input with its keys and readers, offline', async () => {
    const result = await cli(['secrets', 'list', '--json']);
    expect(result.code).toBe(0);
    const { inputs, problems } = parse(result);
    expect(problems).toEqual([]);
    expect(inputs.map((i: { name: string }) => i.name)).toEqual(expect.arrayContaining(['argocd-repo-credentials', 'designate-credentials', 'grafana-discord-webhook', 'kargo-admin', 'postgres-backup-s3', 'sso-github-oauth', 'runners-github-app']));
    const designate = inputs.find((i: { name: string }) => i.name === 'designate-credentials');
    expect(designate.components).toEqual(['designate-webhook', 'external-dns']);
    expect(designate.consumers.map((c: { ref: string }) => c.ref)).toEqual([
      'ExternalSecret/cert-manager/designate-credentials',
      'ExternalSecret/external-dns/external-dns-clouds-yaml',
    ]);
    expect(inputs.map((i: { name: string }) => i.name)).toEqual(expect.arrayContaining(APP_INPUTS));
    // Each app input is read by its own app's ExternalSecret in each stage that has it, for exactly its keys.
    const consumers = (name: string) => inputs.find((i: { name: string }) => i.name === name).consumers;
    expect(consumers('api-jwt')).toEqual([
      { ref: 'ExternalSecret/production/api-jwt', keys: ['JWT_SECRET'] },
      { ref: 'ExternalSecret/staging/api-jwt', keys: ['JWT_SECRET'] },
    ]);
    expect(consumers('api-staging-smtp')).toEqual([{ ref: 'ExternalSecret/staging/api-smtp', keys: ['password', 'username'] }]);
    expect(consumers('web-maps')).toEqual([{ ref: 'ExternalSecret/production/web-maps', keys: ['MAPS_API_KEY'] }]);
    const text = await cli(['secrets', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('designate-credentials  (designate-webhook, external-dns)');
    expect(text.stdout).toContain('api-staging-smtp  (app:api)\n  sends mail (stage staging)');
    expect(text.stdout).toContain('  - OS_APPLICATION_CREDENTIAL_SECRET: application credential secret');
  });

  it('check fails while inputs are missing; set writes one key at a time without touching the others', async () => {
    const { live } = first;
    const missing = await cli(['secrets', 'check', '--json']);
    expect(missing.code).toBe(1);
    const before = parse(missing);
    expect(before.ok).toBe(false);
    expect(before.inputs.every((i: { status: string }) => i.status === 'missing')).toBe(true);
    expect(before.missing).toBe(before.inputs.length);

    const set1 = await cli(['secrets', 'set', 'designate-credentials', 'OS_AUTH_URL'], { input: `${value('auth-url')}\n` });
    expect(set1.stderr).toBe('');
    expect(set1.code).toBe(0);
    expect(set1.stdout).toMatch(/^✓ created designate-credentials OS_AUTH_URL on https:\/\/\S+\n$/);
    const set2 = await cli(['secrets', 'set', 'designate-credentials', 'OS_APPLICATION_CREDENTIAL_SECRET', '--json'], { input: value('app-secret') });
    expect(set2.code).toBe(0);
    expect(parse(set2)).toMatchObject({ name: 'designate-credentials', key: 'OS_APPLICATION_CREDENTIAL_SECRET', action: 'updated', declared: true });

    const secret = await live.get(secretRef('designate-credentials'));
    expect(decoded(secret)).toEqual({ OS_AUTH_URL: sentinel('auth-url'), OS_APPLICATION_CREDENTIAL_SECRET: sentinel('app-secret') });
    expect(secret!.metadata.labels).toEqual({ [INPUT_LABEL]: 'designate-credentials' });
    expect(secret!.metadata.annotations).toBeUndefined();
    // The store namespace was created as the render has it: locked down and never pruned by Argo CD.
    const namespace = await live.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRETS_NAMESPACE } });
    expect(namespace!.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(namespace!.metadata.annotations!['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');

    const partial = parse(await cli(['secrets', 'check', '--json']));
    const designate = partial.inputs.find((i: { name: string }) => i.name === 'designate-credentials');
    expect(designate.status).toBe('incomplete');
    expect(designate.keys).toEqual([
      { key: 'OS_AUTH_URL', status: 'set' },
      { key: 'OS_REGION_NAME', status: 'missing' },
      { key: 'OS_APPLICATION_CREDENTIAL_ID', status: 'missing' },
      { key: 'OS_APPLICATION_CREDENTIAL_SECRET', status: 'set' },
    ]);
  });

  it('set and check cover an app input exactly like a component input', async () => {
    const { live } = first;
    const set = await cli(['secrets', 'set', 'api-staging-smtp', 'password', '--json'], { input: value('smtp-staging-password') });
    expect(set.code).toBe(0);
    expect(parse(set)).toMatchObject({ name: 'api-staging-smtp', key: 'password', action: 'created', declared: true });
    expect(decoded(await live.get(secretRef('api-staging-smtp')))).toEqual({ password: sentinel('smtp-staging-password') });
    const check = parse(await cli(['secrets', 'check', '--json']));
    expect(check.inputs.find((i: { name: string }) => i.name === 'api-staging-smtp')).toEqual({
      name: 'api-staging-smtp',
      status: 'incomplete',
      keys: [{ key: 'username', status: 'missing' }, { key: 'password', status: 'set' }],
      undeclaredKeys: [],
    });
    expect(check.inputs.find((i: { name: string }) => i.name === 'api-jwt').status).toBe('missing');
    const typo = await cli(['secrets', 'set', 'api-jtw', 'JWT_SECRET'], { input: value('typo-app') });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean "api-jwt"?');
  });

  it('set refuses an unknown name or key with a did-you-mean (exit 2) and writes nothing, unless forced', async () => {
    const { live } = first;
    const name = await cli(['secrets', 'set', 'desginate-credentials', 'OS_AUTH_URL'], { input: value('typo-name') });
    expect(name.code).toBe(2);
    expect(name.stderr).toBe(
      'error: no enabled component declares secret input "desginate-credentials"\n  hint: did you mean "designate-credentials"? (see plinth secrets list; --force writes it anyway)\n',
    );
    expect(await live.get(secretRef('desginate-credentials'))).toBeUndefined();
    const key = await cli(['secrets', 'set', 'designate-credentials', 'OS_REGION', '--json'], { input: value('typo-key') });
    expect(key.code).toBe(2);
    expect(parse(key).error).toMatchObject({ type: 'UsageError', message: 'secret input "designate-credentials" declares no key "OS_REGION"' });
    expect(parse(key).error.hint).toMatch(/^did you mean "OS_REGION_NAME"\?/);
    expect(Object.keys(decoded(await live.get(secretRef('designate-credentials'))))).not.toContain('OS_REGION');

    const empty = await cli(['secrets', 'set', 'kargo-admin', 'passwordHash'], { input: '\n' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the value for kargo-admin passwordHash is empty; nothing was written');

    const forced = await cli(['secrets', 'set', 'designate-credentials', 'OS_PASSWORD', '--force'], { input: value('forced') });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('(not declared: written with --force)');
  });

  it('import writes the known variables of a .env file and reports unknown, empty and missing ones', async () => {
    const { live } = first;
    const env = [
      '# the old bootstrap .env',
      `designate-credentials.OS_REGION_NAME=${value('region')}`,
      `export designate-credentials.OS_APPLICATION_CREDENTIAL_ID="${value('app-id')}"`,
      `kargo-admin.passwordHash='${value('hash')}'`,
      `kargo-admin.password=${value('unknown-key')}`,
      `OS_USERNAME=${value('unknown-var')}`,
      'argocd-repo-credentials.token=',
    ].join('\n');
    await writeFile(join(dir, 'old.env'), env);
    testFiles.add('old.env');

    const dry = await cli(['secrets', 'import', 'old.env', '--dry-run', '--json']);
    expect(dry.code).toBe(1);
    expect(parse(dry).mapped.map((m: { variable: string }) => m.variable)).toEqual([
      'designate-credentials.OS_REGION_NAME',
      'designate-credentials.OS_APPLICATION_CREDENTIAL_ID',
      'kargo-admin.passwordHash',
    ]);
    expect(await live.get(secretRef('kargo-admin'))).toBeUndefined();
    const dryText = await cli(['secrets', 'import', 'old.env', '--dry-run']);
    expect(dryText.stdout).toContain('3 variables of old.env would be written (dry run):\n  + designate-credentials OS_REGION_NAME  from designate-credentials.OS_REGION_NAME');

    const imported = await cli(['secrets', 'import', 'old.env', '--json']);
    expect(imported.code).toBe(1);
    const result = parse(imported);
    expect(result.written).toEqual([
      { name: 'designate-credentials', keys: ['OS_APPLICATION_CREDENTIAL_ID', 'OS_REGION_NAME'], action: 'updated' },
      { name: 'kargo-admin', keys: ['passwordHash'], action: 'created' },
    ]);
    expect(result.unknown.map((u: { variable: string; hint: string }) => [u.variable, u.hint])).toEqual([
      ['kargo-admin.password', 'did you mean "passwordHash"?'],
      ['OS_USERNAME', expect.stringMatching(/^write it as NAME\.KEY/)],
    ]);
    expect(result.empty.map((e: { variable: string }) => e.variable)).toEqual(['argocd-repo-credentials.token']);
    expect(result.missing).toContainEqual({ name: 'argocd-repo-credentials', key: 'token', inStore: false });
    expect(result.missing).toContainEqual({ name: 'designate-credentials', key: 'OS_AUTH_URL', inStore: true });

    expect(decoded(await live.get(secretRef('designate-credentials')))).toEqual({
      OS_AUTH_URL: sentinel('auth-url'),
      OS_REGION_NAME: sentinel('region'),
      OS_APPLICATION_CREDENTIAL_ID: sentinel('app-id'),
      OS_APPLICATION_CREDENTIAL_SECRET: sentinel('app-secret'),
      OS_PASSWORD: sentinel('forced'),
    });
    expect(decoded(await live.get(secretRef('kargo-admin')))).toEqual({ passwordHash: sentinel('hash') });

    const text = await cli(['secrets', 'import', 'old.env']);
    expect(text.stdout).toContain('  ? OS_USERNAME: OS_USERNAME does not name a secret input');
    expect(text.stdout).toContain('Still missing:\n  ✗ api-jwt JWT_SECRET\n');
    expect(text.stdout).toContain('\n  ✗ argocd-repo-credentials token\n');
    expect(text.stdout).toContain('\n  ✗ web-maps MAPS_API_KEY');
  });

  it('check passes once every declared key is set, and reports stale keys and unknown Secrets', async () => {
    const { live } = first;
    // Made by hand (kubectl create secret generic --from-file), with a binary key the escrow must carry unchanged.
    await live.create({
      ...secretRef('retired-input'),
      type: 'Opaque',
      data: { old: Buffer.from(value('retired')).toString('base64'), blob: Buffer.from([0xff, 0x00, 0xfe, 0x80]).toString('base64') },
    });
    const declared = parse(await cli(['secrets', 'list', '--json'])).inputs as { name: string; keys: { key: string }[] }[];
    const stillMissing = parse(await cli(['secrets', 'check', '--json'])).inputs.filter((i: { status: string }) => i.status !== 'complete');
    expect(stillMissing.length).toBeGreaterThan(0);
    for (const input of stillMissing as { name: string; keys: { key: string; status: string }[] }[]) {
      for (const key of input.keys.filter((k) => k.status !== 'set')) {
        expect((await cli(['secrets', 'set', input.name, key.key], { input: value(`${input.name}-${key.key}`) })).code).toBe(0);
      }
    }
    const complete = await cli(['secrets', 'check', '--json']);
    expect(complete.stderr).toBe('');
    expect(complete.code).toBe(0);
    const result = parse(complete);
    expect(result).toMatchObject({ ok: true, missing: 0, stale: 2, problems: [] });
    expect(result.inputs.map((i: { name: string }) => i.name)).toEqual(declared.map((d) => d.name));
    expect(result.inputs.find((i: { name: string }) => i.name === 'designate-credentials').undeclaredKeys).toEqual(['OS_PASSWORD']);
    expect(result.unknown).toEqual([{ name: 'retired-input', keys: ['blob', 'old'] }]);
    const text = await cli(['secrets', 'check']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`0 missing, 2 stale`);
    expect(text.stdout).toContain('! key OS_PASSWORD is not declared (stale?)');
    expect(text.stdout).toContain('! retired-input  in the store, declared by no enabled component (keys: blob, old)');
  });

  it('backs the store up encrypted to an age recipient, in a file of mode 0600', async () => {
    identity = await generateIdentity();
    identityFile = join(dir, 'escrow-key.txt');
    await writeFile(identityFile, `# public key: ${await identityToRecipient(identity)}\n${identity}\n`, { mode: 0o600 });
    testFiles.add('escrow-key.txt');
    const recipient = await identityToRecipient(identity);

    const noRecipient = await cli(['secrets', 'backup', '--to', 'store.age']);
    expect(noRecipient.code).toBe(2);
    const backup = await cli(['secrets', 'backup', '--to', 'store.age', '--recipient', recipient, '--json']);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const result = parse(backup);
    expect(result.recipients).toBe(1);
    expect(result.inputs.map((i: { name: string }) => i.name)).toEqual(Object.keys(await storeOf(first.live)).sort());
    expect((await stat(join(dir, 'store.age'))).mode & 0o777).toBe(0o600);
    const bytes = await readFile(join(dir, 'store.age'));
    expect(bytes.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    expect(bytes.toString('utf8')).toContain(`-> X25519 `);
    // Written again: replaced in place, still 0600.
    expect((await cli(['secrets', 'backup', '--to', 'store.age', '--recipient', recipient])).code).toBe(0);
    expect((await stat(join(dir, 'store.age'))).mode & 0o777).toBe(0o600);
  });

  it('bootstrap --secrets-from restores every input, value for value, into a second, fresh control plane before it syncs', async () => {
    second = await startControlPlane();
    const fresh = await connect({ kubeconfig: second.kubeconfig });
    expect(await fresh.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRETS_NAMESPACE } })).toBeUndefined();

    const other = await generateIdentity();
    await writeFile(join(dir, 'other-key.txt'), `${other}\n`, { mode: 0o600 });
    testFiles.add('other-key.txt');
    const wrong = await cli(['secrets', 'restore', '--from', 'store.age', '--identity', 'other-key.txt'], { kubeconfig: second.kubeconfig });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('store.age was not encrypted to the given identity');
    expect(wrong.stderr).not.toContain(other);
    expect(await fresh.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRETS_NAMESPACE } })).toBeUndefined();
    // bootstrap decrypts first: with the wrong key it stops before touching the cluster.
    const wrongBootstrap = await cli(['bootstrap', '--secrets-from', 'store.age', '--identity', 'other-key.txt'], { kubeconfig: second.kubeconfig });
    expect(wrongBootstrap.code).toBe(1);
    expect(wrongBootstrap.stderr).toContain('store.age was not encrypted to the given identity');
    expect(await fresh.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } })).toBeUndefined();

    // The control plane runs no Helm: Argo CD's CRDs go in as the chart's install would (bootstrap --crds takes only the chart's own).
    for (const crd of await readCrds(join(UPSTREAM, 'crds', 'argo-cd'))) await fresh.apply(crd);
    const bootstrap = await cli(
      ['bootstrap', '--timeout', '180', '--secrets-from', 'store.age', '--identity', 'escrow-key.txt', '--json'],
      { kubeconfig: second.kubeconfig },
    );
    expect(bootstrap.stderr).toBe('');
    expect(bootstrap.code).toBe(0);
    const result = parse(bootstrap);
    const expected = await storeOf(first.live);
    expect(result.restoredSecrets.map((r: { name: string }) => r.name)).toEqual(Object.keys(expected).sort());
    expect(await storeOf(fresh)).toEqual(expected);
    expect(expected['retired-input']!.blob).toBe('/wD+gA==');
    // App inputs travel with the rest, value for value.
    for (const name of APP_INPUTS) expect(Object.keys(expected[name] ?? {}).length, name).toBeGreaterThan(0);
    expect(Buffer.from(expected['api-staging-smtp']!.password!, 'base64').toString()).toBe(sentinel('smtp-staging-password'));
    // Nothing is left to provide: the checklist says so instead of listing inputs.
    expect(result.checklist.some((item: string) => item.startsWith('provide secret input'))).toBe(false);
    expect(result.checklist).toContain(`all ${parse(await cli(['secrets', 'list', '--json'])).inputs.length} secret inputs are in the store (plinth secrets check)`);
    const namespace = await fresh.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SECRETS_NAMESPACE } });
    expect(namespace!.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('restricted');

    // restore on its own, with the key from the environment: idempotent, every value still identical.
    const restore = await cli(['secrets', 'restore', '--from', 'store.age', '--json'], { kubeconfig: second.kubeconfig, env: { PLINTH_AGE_IDENTITY: identity } });
    expect(restore.code).toBe(0);
    expect(parse(restore)).toMatchObject({ createdNamespace: false });
    expect(parse(restore).restored.every((r: { action: string }) => r.action === 'updated')).toBe(true);
    const restoreText = await cli(['secrets', 'restore', '--from', 'store.age', '--identity', 'escrow-key.txt'], { kubeconfig: second.kubeconfig });
    expect(restoreText.stdout).toMatch(/^✓ \d+ inputs from store\.age restored to https/);
    expect(await storeOf(fresh)).toEqual(expected);
    const check = await cli(['secrets', 'check', '--json'], { kubeconfig: second.kubeconfig });
    expect(check.code).toBe(0);
  });
});

describe('the store namespace is locked down', () => {
  const review = async (live: LiveCluster, user: string, groups: string[], verb: string, resource = 'secrets', name?: string, namespace = SECRETS_NAMESPACE) => {
    const response = await live.create({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: { name: '' }, // a review must have empty metadata
      spec: { user, groups, resourceAttributes: { namespace, verb, resource, ...(name && { name }) } },
    });
    return (response.status as { allowed: boolean }).allowed;
  };
  const serviceAccount = (namespace: string, name: string) => ({
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  });
  const canRead = async (live: LiveCluster, subject: { user: string; groups: string[] }, namespace = SECRETS_NAMESPACE) => {
    const verbs = [];
    for (const verb of ['get', 'list', 'watch']) if (await review(live, subject.user, subject.groups, verb, 'secrets', undefined, namespace)) verbs.push(verb);
    return verbs;
  };

  it('lets only the store reader read it, whatever else Plinth renders is bound to (devpod included)', async () => {
    const { live } = first;
    const resolved = await loadCluster(dir, undefined, registry);
    const tree = renderTree(resolved, registry);
    const rbacKinds = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'ServiceAccount'];
    const rbac = tree.objects.map((o) => o.object).filter((o) => rbacKinds.includes(o.kind));
    const roles = rbac.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole');
    expect(roles.map((r) => `${r.kind}/${r.metadata.name}`)).toContain('ClusterRole/plinth-devpod');
    const namespaces = new Set(rbac.map((o) => o.metadata.namespace).filter((n): n is string => !!n));
    for (const o of tree.objects.map((x) => x.object).filter((x) => x.kind === 'Namespace')) await live.apply(o);
    for (const namespace of namespaces) await live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    for (const o of rbac) await live.apply(o);

    // Every subject of every binding Plinth renders, bound as rendered.
    const bindings = rbac.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
    const subjects = bindings.flatMap((b) => (b.subjects as { kind: string; name: string; namespace?: string }[]).map((s) => ({ ...s, binding: `${b.kind}/${b.metadata.name}` })));
    expect(subjects.map((s) => `${s.namespace}:${s.name}`)).toContain('devpod-alice:alice');
    const readers: string[] = [];
    for (const s of subjects) {
      expect(s.kind).toBe('ServiceAccount');
      if ((await canRead(live, serviceAccount(s.namespace!, s.name))).length > 0) readers.push(`${s.namespace}:${s.name}`);
    }
    expect(readers).toEqual(['plinth-secrets:secret-store-reader']);
    // The positive control: the reader can do exactly what External Secrets needs.
    expect(await canRead(live, serviceAccount(SECRETS_NAMESPACE, 'secret-store-reader'))).toEqual(['get', 'list', 'watch']);
    // The devpod member manages secrets in their own namespace, and only there.
    expect(await canRead(live, serviceAccount('devpod-alice', 'alice'), 'devpod-alice')).toEqual(['get', 'list', 'watch']);
    expect(await canRead(live, serviceAccount('devpod-alice', 'alice'))).toEqual([]);
    for (const verb of ['create', 'update', 'patch', 'delete']) expect(await review(live, serviceAccount('devpod-alice', 'alice').user, serviceAccount('devpod-alice', 'alice').groups, verb)).toBe(false);

    // Each rendered role bound to a fresh identity where it is meant to be used: a Role in its own
    // namespace, a ClusterRole through a RoleBinding in a member namespace (as devpod binds it).
    const probeNamespace = 'devpod-alice';
    const allowedToRead: string[] = [];
    for (const role of roles) {
      const probe = `probe-${role.kind.toLowerCase()}-${role.metadata.name}`.slice(0, 63);
      const namespace = role.kind === 'Role' ? role.metadata.namespace! : probeNamespace;
      await live.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: probe, namespace } });
      await live.apply({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: probe, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: role.kind, name: role.metadata.name },
        subjects: [{ kind: 'ServiceAccount', name: probe, namespace }],
      });
      if ((await canRead(live, serviceAccount(namespace, probe))).length > 0) allowedToRead.push(`${role.kind}/${role.metadata.name}`);
    }
    // Only the reader's own Role grants it, and the rendered bindings give that Role to the reader alone.
    expect(allowedToRead).toEqual(['Role/secret-store-reader']);

    // The controller may mint a token for the reader (that is how it reads the store), for no one else.
    const controller = serviceAccount('external-secrets', 'external-secrets');
    expect(await canRead(live, controller)).toEqual([]);
    expect(await review(live, controller.user, controller.groups, 'create', 'serviceaccounts/token', 'secret-store-reader')).toBe(true);
    expect(await review(live, controller.user, controller.groups, 'create', 'serviceaccounts/token', 'default')).toBe(false);
    expect(await review(live, serviceAccount('devpod-alice', 'alice').user, serviceAccount('devpod-alice', 'alice').groups, 'create', 'serviceaccounts/token', 'secret-store-reader')).toBe(false);
    // Each app's reader in a stage may get its own inputs by name, and nothing else: not another stage's, not another app's, no list.
    const reader = (stage: string, app: string) => serviceAccount(stage, `${app}-secrets`);
    const gets = async (subject: { user: string; groups: string[] }) => {
      const allowed: string[] = [];
      for (const name of [...APP_INPUTS, 'designate-credentials', 'kargo-admin']) if (await review(live, subject.user, subject.groups, 'get', 'secrets', name)) allowed.push(name);
      return allowed;
    };
    expect(await gets(reader('production', 'api'))).toEqual(['api-jwt', 'api-production-smtp']);
    expect(await gets(reader('staging', 'api'))).toEqual(['api-jwt', 'api-staging-smtp']);
    expect(await gets(reader('production', 'web'))).toEqual(['web-maps']);
    // Another app's namespace identity, even the app's own pods' ServiceAccount, is denied them.
    expect(await gets(reader('staging', 'web'))).toEqual([]);
    expect(await gets(serviceAccount('production', 'api'))).toEqual([]);
    expect(await gets(serviceAccount('production', 'worker'))).toEqual([]);
    for (const app of ['api', 'web']) expect(await canRead(live, reader('production', app))).toEqual([]);
    expect(await gets(serviceAccount(SECRETS_NAMESPACE, 'secret-store-reader'))).toEqual([...APP_INPUTS, 'designate-credentials', 'kargo-admin']);
    // The controller mints each app reader's token in its own namespace only.
    expect(await review(live, controller.user, controller.groups, 'create', 'serviceaccounts/token', 'api-secrets', 'staging')).toBe(true);
    expect(await review(live, controller.user, controller.groups, 'create', 'serviceaccounts/token', 'api', 'staging')).toBe(false);

    // Any signed-in user, and cluster admins for contrast.
    expect(await canRead(live, { user: 'someone', groups: ['system:authenticated'] })).toEqual([]);
    expect(await canRead(live, { user: 'admin', groups: ['system:masters'] })).toEqual(['get', 'list', 'watch']);
  });
});

describe('an app reader, signed in as itself', () => {
  it('gets exactly its own inputs from the store, and is refused any other and the listing', async () => {
    const { live } = first;
    // The rendered RBAC is applied by the test above; the token is minted as the ESO controller would mint it.
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api-secrets', namespace: 'staging' } };
    const { token } = (await live.createSubresource(sa, 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } })).status as { token: string };
    const kubeconfig = join(await tempDir('plinth-reader-'), 'reader.kubeconfig');
    await writeFile(kubeconfig, memberKubeconfig({ cluster: 'test', server: live.server, certificateAuthority: live.certificateAuthority(), user: 'api-secrets', namespace: 'staging', token }), { mode: 0o600 });
    const reader = await connect({ kubeconfig });
    const status = async (name: string) => {
      try {
        return (await reader.get(secretRef(name))) ? 200 : 404;
      } catch (error) {
        if (error instanceof KubeError) return error.status;
        throw error;
      }
    };
    expect(decoded(await reader.get(secretRef('api-staging-smtp')))).toEqual(decoded(await live.get(secretRef('api-staging-smtp'))));
    expect(await status('api-jwt')).toBe(200);
    for (const other of ['api-production-smtp', 'web-maps', 'designate-credentials']) expect(await status(other), other).toBe(403);
    await expect(reader.list('v1', 'Secret', { namespace: SECRETS_NAMESPACE })).rejects.toMatchObject({ status: 403 });
  });
});

describe('no secret value leaks', () => {
  it('appears in no command output, rendered file, or file Plinth wrote besides the encrypted backup', async () => {
    const { live } = first;
    const render = await cli(['render']);
    expect(render.code).toBe(0);
    await cli(['secrets', 'list']);
    await cli(['secrets', 'check']);
    await cli(['secrets', 'backup', '--to', 'again.age', '--recipients-file', 'recipients.txt', '--json']).then(async (r) => {
      // recipients.txt does not exist yet: the error names the file, nothing else.
      expect(r.code).toBe(2);
      await writeFile(join(dir, 'recipients.txt'), `# escrow\n${await identityToRecipient(identity)}\n`);
      testFiles.add('recipients.txt');
      expect((await cli(['secrets', 'backup', '--to', 'again.age', '--recipients-file', 'recipients.txt'])).code).toBe(0);
    });

    // The leak test cannot pass by testing nothing: many values, every command, text and JSON.
    expect(new Set(SENTINELS).size).toBeGreaterThan(10);
    const commands = new Set(outputs.map((o) => (o.args[0] === 'secrets' ? `secrets ${o.args[1]}` : o.args[0])));
    for (const command of ['secrets list', 'secrets check', 'secrets set', 'secrets import', 'secrets backup', 'secrets restore', 'bootstrap']) expect(commands).toContain(command);
    expect(outputs.filter((o) => o.args.includes('--json')).length).toBeGreaterThan(5);
    const forms = (s: string) => [s, Buffer.from(s).toString('base64')];
    for (const { args, result } of outputs) {
      for (const s of SENTINELS.flatMap(forms)) {
        expect(result.stdout, `stdout of ${args.join(' ')}`).not.toContain(s);
        expect(result.stderr, `stderr of ${args.join(' ')}`).not.toContain(s);
      }
    }

    // Files in the config directory and in HOME/TMPDIR of every run: the test's own, the backups, the tree.
    const backups = new Set(['store.age', 'again.age']);
    const written: string[] = [];
    for (const root of [dir, home]) {
      for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
        if (!entry.isFile()) continue;
        const path = relative(dir, join(entry.parentPath, entry.name));
        if (root === dir && testFiles.has(path)) continue;
        written.push(root === dir ? path : `~/${relative(home, join(entry.parentPath, entry.name))}`);
        const bytes = await readFile(join(entry.parentPath, entry.name));
        for (const s of SENTINELS.flatMap(forms)) expect(bytes.includes(s), `${path} holds a secret value`).toBe(false);
      }
    }
    // Besides the backups and the tree, only Node's compile cache (bytecode of Plinth's own modules, in TMPDIR),
    // whose files were scanned for the values above like every other file.
    const compileCache = (f: string) => f.startsWith('~/node-compile-cache/');
    expect(written.filter((f) => !backups.has(f) && !f.startsWith('rendered/') && !compileCache(f))).toEqual([]);
    expect(written.filter((f) => f.startsWith('rendered/')).length).toBeGreaterThan(10);

    // Nor in the metadata of the store's Secrets (labels, annotations, managed fields), or any ConfigMap or Event.
    const metadata = (await live.list('v1', 'Secret', { namespace: SECRETS_NAMESPACE })).map((s) => s.metadata);
    const elsewhere = [...(await live.list('v1', 'ConfigMap')), ...(await live.list('v1', 'Event'))];
    const text = JSON.stringify([metadata, elsewhere]);
    for (const s of SENTINELS.flatMap(forms)) expect(text).not.toContain(s);
  });
});
