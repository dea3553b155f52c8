import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import { declarations, renderProblems } from '../secrets/declarations.ts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { minimalCluster, runCli, tempDir } from '../../test/helpers.ts';
import { customResourceProblems } from '../../test/upstream.ts';
import { configIssues } from '../../test/components.ts';

/** The seed's team with inputs: the API's JWT (shared by its stages) and SMTP (per stage, as files); web's API key. */
function team(change: (config: Record<string, any>) => void = () => {}) {
  const config = minimalCluster();
  config.apps[0].secrets = [{ name: 'api-key', purpose: 'calls the maps API', keys: { MAPS_API_KEY: 'the key' } }];
  config.apps[1].stages = ['staging', 'production'];
  config.apps[1].secrets = [
    { name: 'jwt', purpose: 'signs sessions', howToGet: 'openssl rand -hex 32', keys: { JWT_SECRET: 'the signing key' } },
    {
      name: 'smtp',
      purpose: 'sends mail',
      stages: ['staging', 'production'],
      keys: { username: 'the relay user', password: { description: 'the relay password', howToGet: 'the mail provider console' } },
      delivery: { file: '/etc/api/smtp' },
    },
  ];
  change(config);
  return config;
}

const render = (config: Record<string, any>): RenderedTree => renderTree(resolveCluster(config, registry), registry);
const find = (tree: RenderedTree, kind: string, name: string, namespace: string) =>
  tree.objects.find((o) => o.object.kind === kind && o.object.metadata.name === name && o.object.metadata.namespace === namespace)?.object as Record<string, any>;

describe('app secret inputs', () => {
  const config = team();
  const tree = render(config);
  const resolved = resolveCluster(config, registry).config;

  it('declares each input in the store, one per stage when stage-scoped, with its keys, purpose and how to get it', () => {
    const declared = declarations(tree, resolved).filter((d) => d.components.some((c) => c.startsWith('app:')));
    expect(declared.map((d) => [d.name, d.components, d.keys.map((k) => k.key)])).toEqual([
      ['api-jwt', ['app:api'], ['JWT_SECRET']],
      ['api-production-smtp', ['app:api'], ['username', 'password']],
      ['api-staging-smtp', ['app:api'], ['username', 'password']],
      ['web-api-key', ['app:web'], ['MAPS_API_KEY']],
    ]);
    const smtp = declared.find((d) => d.name === 'api-staging-smtp')!;
    expect(smtp.purpose).toBe('sends mail (stage staging)');
    expect(smtp.keys[1]!.description).toBe('the relay password (how to get it: the mail provider console)');
    expect(declared.find((d) => d.name === 'api-jwt')!.howToGet).toBe('openssl rand -hex 32');
    expect(declared.find((d) => d.name === 'api-jwt')!.consumers).toEqual([
      { ref: 'ExternalSecret/production/api-jwt', keys: ['JWT_SECRET'] },
      { ref: 'ExternalSecret/staging/api-jwt', keys: ['JWT_SECRET'] },
    ]);
    expect(renderProblems(tree, resolved)).toEqual([]);
  });

  it('renders one ExternalSecret per stage reading exactly its keys through the app reader SecretStore', () => {
    const external = find(tree, 'ExternalSecret', 'api-smtp', 'staging');
    expect(external.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: { kind: 'SecretStore', name: 'api-secrets' },
      target: { name: 'api-smtp', creationPolicy: 'Owner' },
      data: [
        { secretKey: 'username', remoteRef: { key: 'api-staging-smtp', property: 'username' } },
        { secretKey: 'password', remoteRef: { key: 'api-staging-smtp', property: 'password' } },
      ],
    });
    expect(find(tree, 'SecretStore', 'api-secrets', 'staging').spec.provider.kubernetes).toMatchObject({
      remoteNamespace: 'plinth-secrets',
      auth: { serviceAccount: { name: 'api-secrets' } },
    });
    expect(find(tree, 'ExternalSecret', 'api-jwt', 'production').spec.data).toEqual([
      { secretKey: 'JWT_SECRET', remoteRef: { key: 'api-jwt', property: 'JWT_SECRET' } },
    ]);
  });

  it('lets each stage reader get only its own inputs in the store, by name, without list', () => {
    const role = find(tree, 'Role', 'app-api-staging', 'plinth-secrets');
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['secrets'], resourceNames: ['api-jwt', 'api-staging-smtp'], verbs: ['get'] }]);
    expect(find(tree, 'RoleBinding', 'app-api-staging', 'plinth-secrets').subjects).toEqual([{ kind: 'ServiceAccount', name: 'api-secrets', namespace: 'staging' }]);
    expect(find(tree, 'Role', 'app-web-production', 'plinth-secrets').rules[0].resourceNames).toEqual(['web-api-key']);
    // The stage's reader may do nothing in its own namespace; only the ESO controller may mint its token.
    expect(find(tree, 'Role', 'api-secrets', 'staging').rules).toEqual([
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['api-secrets'], verbs: ['create'] },
    ]);
    expect(find(tree, 'RoleBinding', 'api-secrets', 'staging').subjects).toEqual([{ kind: 'ServiceAccount', name: 'external-secrets', namespace: 'external-secrets' }]);
  });

  it('delivers env inputs as variables by reference and file inputs as a read-only volume', () => {
    const pod = find(tree, 'Deployment', 'api', 'staging').spec.template.spec;
    expect(pod.containers[0].env).toContainEqual({ name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: 'api-jwt', key: 'JWT_SECRET' } } });
    expect(pod.containers[0].env.some((e: { name: string }) => e.name === 'username')).toBe(false);
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'secret-smtp', mountPath: '/etc/api/smtp', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'secret-smtp', secret: { secretName: 'api-smtp', defaultMode: 0o444 } });
  });

  it('renders objects the pinned external-secrets CRDs accept', async () => {
    const objects = tree.objects.filter((o) => o.object.metadata.name === 'api-secrets' || o.object.kind === 'ExternalSecret');
    expect(objects.length).toBeGreaterThan(4);
    expect(await customResourceProblems(objects)).toEqual([]);
  });

  it('renders nothing for an app without inputs', () => {
    const plain = render(team((c) => (c.apps[0].secrets = [])));
    expect(plain.objects.filter((o) => o.object.metadata.namespace === 'production' && o.object.metadata.name.startsWith('web-'))).toEqual([]);
  });
});

describe('secretInputs', () => {
  /** An SSO proxy the user adds, whose ExternalSecret reads the store. */
  const proxy = (config: Record<string, any>) => {
    config.components['external-secrets'] = { ...config.components['external-secrets'], extraObjects: [{
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'oauth2-proxy', namespace: 'sso' },
      spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'plinth-secrets' }, target: { name: 'oauth2-proxy' }, data: [{ secretKey: 'client-secret', remoteRef: { key: 'sso-proxy', property: 'client-secret' } }] },
    }] };
  };

  it('makes an extraObjects ExternalSecret of a declared input no render problem', () => {
    const config = team((c) => {
      proxy(c);
      c.secretInputs = [{ name: 'sso-proxy', purpose: 'the SSO proxy client', keys: { 'client-secret': 'the OIDC client secret' } }];
    });
    const resolved = resolveCluster(config, registry).config;
    const tree = render(config);
    expect(renderProblems(tree, resolved)).toEqual([]);
    expect(declarations(tree, resolved).find((d) => d.name === 'sso-proxy')).toMatchObject({ components: ['secretInputs'], consumers: [{ ref: 'ExternalSecret/sso/oauth2-proxy', keys: ['client-secret'] }] });
  });

  it('reports an input named like a component input, which would share its Secret in the store', () => {
    const config = team((c) => (c.secretInputs = [{ name: 'kargo-admin', purpose: 'mine', keys: { passwordHash: 'a hash' } }]));
    expect(renderProblems(render(config), resolveCluster(config, registry).config)).toContainEqual(
      expect.objectContaining({ kind: 'conflicting-declaration', input: 'kargo-admin', message: 'secretInputs declares secret input "kargo-admin", which component kargo declares too' }),
    );
  });

  it('keeps an undeclared one a render problem, with a hint naming secretInputs', () => {
    const config = team(proxy);
    const problems = renderProblems(render(config), resolveCluster(config, registry).config);
    expect(problems).toEqual([expect.objectContaining({ kind: 'undeclared-source', input: 'sso-proxy', where: 'ExternalSecret/sso/oauth2-proxy', hint: expect.stringContaining('secretInputs') })]);
  });
});

describe('plinth secrets list', () => {
  it('prints an undeclared store read as a render problem with the secretInputs hint, and none once declared', { timeout: 60_000 }, async () => {
    const dir = await tempDir('plinth-app-secrets-');
    const config = team((c) => {
      c.components['external-secrets'] = { ...c.components['external-secrets'], extraObjects: [{
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: 'runner', namespace: 'ci' },
        spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'plinth-secrets' }, target: { name: 'runner' }, data: [{ secretKey: 'token', remoteRef: { key: 'ci-runner', property: 'token' } }] },
      }] };
    });
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    const undeclared = await runCli(['secrets', 'list'], { cwd: dir });
    expect(undeclared.code, undeclared.stderr).toBe(0);
    expect(undeclared.stdout).toContain('✗ ExternalSecret/ci/runner reads secret input "ci-runner", which no enabled component declares\n      hint: declare it under secretInputs:');
    expect(undeclared.stdout).toContain('api-staging-smtp  (app:api)');
    config.secretInputs = [{ name: 'ci-runner', purpose: 'registers the CI runners', keys: { token: 'the registration token' } }];
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(config));
    const declared = await runCli(['secrets', 'list', '--json'], { cwd: dir });
    expect(JSON.parse(declared.stdout).problems).toEqual([]);
    expect(JSON.parse(declared.stdout).inputs.find((i: { name: string }) => i.name === 'ci-runner').components).toEqual(['secretInputs']);
  });
});

describe('plinth validate', () => {
  it('passes --strict on apps with env, file and stage-scoped inputs, with and without a migration hook', { timeout: 120_000 }, async () => {
    const dir = await tempDir('plinth-app-secrets-');
    await writeFile(join(dir, 'plinth.config.json'), JSON.stringify(team((c) => {
      c.apps[1].migrate = { command: ['npm', 'run', 'migrate'] };
      // Backups on, so the only findings could come from the app inputs.
      c.components['cloudnative-pg'] = { backup: { destinationPath: 's3://pg-backups/test', endpointURL: 'https://s3.example.org' } };
      c.components['barman-cloud'] = {};
    })));
    const validate = await runCli(['validate', '--strict'], { cwd: dir });
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    expect(validate.stdout).toMatch(/: 0 errors, 0 warnings/);
  });
});

describe('config errors', () => {
  it('names the path and a fix', () => {
    expect(configIssues(team((c) => (c.apps[1].secrets[1].stages = ['qa'])))).toContainEqual(
      expect.objectContaining({ path: 'apps[1].secrets[1].stages[0]', message: '"qa" is not a stage of app "api"', hint: 'use one of staging, production' }),
    );
    expect(configIssues(team((c) => (c.apps[0].secrets[0].keys = { 'maps.key': 'the key' })))).toContainEqual(
      expect.objectContaining({ path: 'apps[0].secrets[0].keys["maps.key"]', hint: expect.stringContaining('delivery: { file') }),
    );
    expect(configIssues(team((c) => (c.apps[0].secrets[0].keys = {})))).toContainEqual(expect.objectContaining({ path: 'apps[0].secrets[0].keys' }));
    expect(configIssues(team((c) => c.apps[0].secrets.push({ ...c.apps[0].secrets[0] })))).toContainEqual(
      expect.objectContaining({ path: 'apps[0].secrets[1].name', message: '"api-key" is declared twice' }),
    );
    expect(configIssues(team((c) => (c.secretInputs = [{ name: 'api-jwt', purpose: 'x', keys: { a: 'b' } }])))).toContainEqual(
      expect.objectContaining({ path: 'secretInputs[0].name', message: expect.stringContaining('app "api" input "jwt"') }),
    );
    expect(configIssues(team((c) => delete c.components['external-secrets']))).toContainEqual(
      expect.objectContaining({ path: 'apps[0].secrets', hint: expect.stringContaining('external-secrets') }),
    );
  });
});
