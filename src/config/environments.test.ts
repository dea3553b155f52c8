import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { renderTree } from '../core/render.ts';
import { environmentsRejectionOf } from '../../test/components.ts';
import { minimalCluster, stagedCluster } from '../../test/helpers.ts';
import { environmentsOfStage, mergeOverrides, parsePath, pickEnvironment, resolveEnvironments } from './environments.ts';
import { resolveCluster } from './validate.ts';
import { configSecretInputs } from '../apps/secrets.ts';

/** The minimal cluster with apps in two stages, a staging and a production environment. */
function twoClusters(): Record<string, any> {
  const config = stagedCluster();
  config.components.eraser = {};
  config.environments = {
    staging: {
      context: 'kind-staging',
      domain: 'staging.example.org',
      stages: ['staging'],
      components: { eraser: false, 'cert-manager': { acmeEmail: 'staging@example.org' } },
      apps: [{ name: 'web', host: 'web.staging.example.org', replicas: 1 }],
    },
    production: { context: 'prod', stages: ['production'], apps: [{ name: 'api', replicas: 3 }] },
  };
  return config;
}

const byName = (clusters: ReturnType<typeof resolveEnvironments>, name: string) => clusters.find((c) => c.config.environment?.name === name)!;

describe('resolveEnvironments', () => {
  it('gives a config without environments exactly what resolveCluster gives, and no environment', () => {
    const [only, ...rest] = resolveEnvironments(minimalCluster(), registry);
    expect(rest).toEqual([]);
    expect(only!.config).toEqual(resolveCluster(minimalCluster(), registry).config);
    expect(only!.config.environment).toBeUndefined();
    expect([...renderTree(only!, registry).files]).toEqual([...renderTree(resolveCluster(minimalCluster(), registry), registry).files]);
  });

  it('merges each environment onto the base: scalars, component options, components off, apps by name', () => {
    const clusters = resolveEnvironments(twoClusters(), registry);
    expect(clusters.map((c) => c.config.environment)).toEqual([
      { name: 'staging', context: 'kind-staging', stages: ['staging'] },
      { name: 'production', context: 'prod', stages: ['production'] },
    ]);
    const staging = byName(clusters, 'staging').config;
    const production = byName(clusters, 'production').config;
    expect(staging.domain).toBe('staging.example.org');
    expect(production.domain).toBe('example.org');
    expect(staging.components.eraser).toBeUndefined();
    expect(production.components.eraser).toBeDefined();
    expect(staging.components['cert-manager']!.options.acmeEmail).toBe('staging@example.org');
    // An app override changes the named app only, keeping what the base declares.
    expect(staging.apps.map((a) => [a.name, a.host, a.replicas])).toEqual([
      ['web', 'web.staging.example.org', 1],
      ['api', undefined, 1],
      ['worker', undefined, 1],
    ]);
    expect(production.apps.find((a) => a.name === 'api')).toMatchObject({ replicas: 3, database: 'app', stages: ['staging', 'production'] });
    // Each tree goes to its own folder of git.path, unless an environment names one.
    expect([staging.git.path, production.git.path]).toEqual(['rendered/staging', 'rendered/production']);
    const config = twoClusters();
    config.environments.production.git = { path: 'clusters/prod' };
    expect(byName(resolveEnvironments(config, registry), 'production').config.git).toEqual({ repoURL: 'https://git.example.org/infra.git', revision: 'main', path: 'clusters/prod' });
  });

  it('keeps the base options of a component an environment switches on with true', () => {
    const config = twoClusters();
    config.environments.production.components = { 'cert-manager': true, devpod: true };
    const production = byName(resolveEnvironments(config, registry), 'production').config;
    expect(production.components['cert-manager']!.options.acmeEmail).toBe('ops@example.org');
    expect(production.components.devpod).toBeDefined();
  });

  it('names an error inside an override at environments.<env>.<path>, with the fix', () => {
    const config = twoClusters();
    config.environments.staging.components['cert-manager'] = { acmeEmial: 'x@example.org' };
    config.environments.staging.apps = [{ name: 'web', replicas: -1 }, { name: 'new', image: 'ghcr.io/example/new:1.0' }];
    config.environments.production.domain = 'Not A Host';
    const issues = environmentsRejectionOf(config);
    expect(issues).toContainEqual({ path: 'environments.staging.components["cert-manager"].acmeEmial', message: 'unknown key "acmeEmial"', hint: 'did you mean "acmeEmail"?' });
    expect(issues).toContainEqual(expect.objectContaining({ path: 'environments.staging.apps[0].replicas', message: expect.stringMatching(/at least 0/) }));
    // An app the override adds is found at its index in the override, not in the merged list.
    expect(issues).toContainEqual(expect.objectContaining({ path: 'environments.staging.apps[1].image', message: expect.stringMatching(/carries a tag/) }));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'environments.production.domain' }));
  });

  it('refuses an override of a key that does not exist, at its path', () => {
    const config = twoClusters();
    config.environments.production.postgres = { servers: [{ name: 'main', instnces: 3 }] };
    config.environments.production.replicas = 2;
    const issues = environmentsRejectionOf(config);
    expect(issues).toContainEqual(expect.objectContaining({ path: 'environments.production.postgres.servers[0].instnces', hint: 'did you mean "instances"?' }));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'environments.production.replicas', message: 'unknown key "replicas"' }));
  });

  it('reports a problem of the base once, at its own path, naming the environments it occurs in when not all', () => {
    const config = twoClusters();
    config.apps[1].database = 'missing';
    config.environments.staging.postgres = { databases: [{ name: 'missing', server: 'main' }] };
    const issues = environmentsRejectionOf(config);
    expect(issues.filter((i) => i.path === 'apps[1].database')).toEqual([
      expect.objectContaining({ message: 'database "missing" is not declared (in environment "production")' }),
    ]);
    const everywhere = twoClusters();
    everywhere.apps[0].port = 0;
    expect(environmentsRejectionOf(everywhere).filter((i) => i.path === 'apps[0].port')).toEqual([expect.objectContaining({ message: expect.not.stringMatching(/in environment/) })]);
  });

  it('checks the environment itself: context, preset, stages, managedBy and server', () => {
    const config = twoClusters();
    delete config.environments.staging.context;
    config.environments.staging.preset = 'laptop';
    config.environments.production.stages = ['prodution'];
    config.environments.production.managedBy = 'hub';
    const issues = environmentsRejectionOf(config);
    expect(issues).toContainEqual(expect.objectContaining({ path: 'environments.staging.context', message: expect.stringMatching(/is required/) }));
    expect(issues).toContainEqual({ path: 'environments.staging.preset', message: 'must be one of "local"' });
    expect(issues).toContainEqual(expect.objectContaining({ path: 'environments.production.stages[0]', message: 'stage "prodution" is not a stage of any app', hint: 'did you mean "production"?' }));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'environments.production.managedBy', message: 'environment "hub" is not declared' }));
    expect(issues).toContainEqual(expect.objectContaining({ path: 'environments.production.server', message: expect.stringMatching(/required with managedBy/) }));

    // A spoke without its own Argo CD (nor Kargo, nor apps, which need both).
    const hub = { ...minimalCluster(), apps: [], environments: { staging: { context: 'kind-staging', components: { 'argo-cd': false } }, production: { context: 'prod' } } } as Record<string, any>;
    delete hub.components.kargo;
    hub.environments.staging.managedBy = 'production';
    hub.environments.staging.server = 'http://10.0.0.2:6443';
    expect(environmentsRejectionOf(hub)).toEqual([expect.objectContaining({ path: 'environments.staging.server', message: expect.stringMatching(/https URL/) })]);
    hub.environments.staging.server = 'https://10.0.0.2:6443';
    expect(byName(resolveEnvironments(hub, registry), 'staging').config.environment).toMatchObject({ managedBy: 'production', server: 'https://10.0.0.2:6443' });

    expect(environmentsRejectionOf({ ...minimalCluster(), environments: {} })).toEqual([expect.objectContaining({ path: 'environments', message: 'is empty' })]);
    expect(environmentsRejectionOf({ ...minimalCluster(), environments: { Prod: { context: 'x' } } })).toEqual([expect.objectContaining({ path: 'environments.Prod' })]);
  });

  it('refuses two environments writing one tree folder', () => {
    const config = twoClusters();
    config.environments.staging.git = { path: 'clusters/one' };
    config.environments.production.git = { path: 'clusters/one' };
    expect(environmentsRejectionOf(config)).toEqual([
      expect.objectContaining({ path: 'environments.production.git.path', message: '"clusters/one" is also the tree folder of environment "staging": each would overwrite the other\'s tree' }),
    ]);
    config.environments.production.git = { path: 'clusters' };
    expect(environmentsRejectionOf(config)).toEqual([
      expect.objectContaining({ path: 'environments.production.git.path', message: '"clusters" overlaps the tree folder of environment "staging" ("clusters/one"): each would overwrite the other\'s tree' }),
    ]);
  });

  it('refuses a stage that runs in no environment', () => {
    const config = twoClusters();
    config.apps[2].stages = ['staging', 'canary', 'production'];
    expect(environmentsRejectionOf(config)).toEqual([
      expect.objectContaining({ path: 'apps[2].stages[1]', message: expect.stringMatching(/stage "canary" runs in no environment/) }),
    ]);
  });

  it('tells which environment a stage runs in, and renders only those stages there', () => {
    const config = twoClusters();
    config.environments.local = { context: 'k3d-local' };
    const clusters = resolveEnvironments(config, registry);
    expect(environmentsOfStage(clusters, 'web', 'staging')).toEqual(['staging', 'local']);
    expect(environmentsOfStage(clusters, 'web', 'production')).toEqual(['production', 'local']);
    expect(environmentsOfStage(clusters, 'web', 'canary')).toEqual([]);

    const files = (name: string) => [...renderTree(byName(clusters, name), registry).files.keys()];
    const staging = files('staging');
    expect(staging.filter((f) => f.startsWith('workloads/web/stages/'))).toEqual(expect.arrayContaining(['workloads/web/stages/staging/kustomization.yaml']));
    expect(staging.some((f) => f.startsWith('workloads/web/stages/production/'))).toBe(false);
    expect(staging).toContain('apps/web-staging.yaml');
    expect(staging).not.toContain('apps/web-production.yaml');
    expect(files('production')).toContain('apps/web-production.yaml');
    expect(files('production')).not.toContain('apps/web-staging.yaml');
    expect(files('local')).toEqual(expect.arrayContaining(['apps/web-staging.yaml', 'apps/web-production.yaml']));

    // Hosts and data keep the names of the whole pipeline: staging is not served at production's host.
    const tree = renderTree(byName(clusters, 'production'), registry);
    const ingress = tree.objects.find((o) => o.object.kind === 'Ingress' && o.file.startsWith('workloads/web/stages/production/'));
    expect(JSON.stringify(ingress?.object)).toContain('web.example.org');
    const stagingTree = renderTree(byName(clusters, 'staging'), registry);
    const databases = (t: typeof tree) => t.objects.filter((o) => o.object.kind === 'Database').map((o) => o.object.metadata.name).sort();
    expect(databases(stagingTree)).toEqual(['app-staging']);
    expect(databases(tree)).toEqual(['app']);
    // Kargo: production is first here, takes Freight from the Warehouse, and keeps its manual promotion.
    const stages = tree.objects.filter((o) => o.object.kind === 'Stage' && o.object.metadata.namespace === 'kargo-web');
    expect(stages.map((s) => [s.object.metadata.name, (s.object.spec as any).requestedFreight[0].sources])).toEqual([['production', { direct: true }]]);
    const projectConfig = tree.objects.find((o) => o.object.kind === 'ProjectConfig' && o.object.metadata.namespace === 'kargo-web')!.object;
    expect((projectConfig.spec as any).promotionPolicies).toEqual([]);
  });

  it('declares in each environment the secret inputs of the stages it runs only', () => {
    const config = twoClusters();
    config.apps[0].secrets = [
      { name: 'jwt', purpose: 'signs sessions', keys: { JWT_SECRET: 'a random string' }, stages: ['staging', 'production'] },
      { name: 'smtp', purpose: 'sends mail', keys: { SMTP_URL: 'the relay' } },
    ];
    const clusters = resolveEnvironments(config, registry);
    const names = (env: string) => configSecretInputs(byName(clusters, env).config).map((i) => i.name).sort();
    expect(names('staging')).toEqual(['web-smtp', 'web-staging-jwt']);
    expect(names('production')).toEqual(['web-production-jwt', 'web-smtp']);
    const { environments: _environments, ...single } = config;
    expect(configSecretInputs(resolveCluster(single, registry).config).map((i) => i.name).sort()).toEqual(['web-production-jwt', 'web-smtp', 'web-staging-jwt']);
  });

  it('renders each environment byte-identically run to run, and the trees differ where the overrides do', () => {
    const once = resolveEnvironments(twoClusters(), registry).map((c) => renderTree(c, registry).files);
    const again = resolveEnvironments(twoClusters(), registry).map((c) => renderTree(c, registry).files);
    expect(again.map((files) => [...files])).toEqual(once.map((files) => [...files]));
    const [staging, production] = once as [Map<string, string>, Map<string, string>];
    expect(staging.get('bootstrap/root.yaml')).toContain('path: rendered/staging/apps');
    expect(production.get('bootstrap/root.yaml')).toContain('path: rendered/production/apps');
    expect(staging.has('apps/eraser.yaml')).toBe(false);
    expect(production.has('apps/eraser.yaml')).toBe(true);
  });
});

describe('pickEnvironment', () => {
  it('requires --env with environments, refuses it without, and names the environments', () => {
    const clusters = resolveEnvironments(twoClusters(), registry);
    expect(pickEnvironment(clusters, 'production').config.environment?.name).toBe('production');
    expect(() => pickEnvironment(clusters, undefined)).toThrow(/^the config declares environments \(staging, production\): say which cluster with --env NAME$/);
    expect(() => pickEnvironment(clusters, 'prod')).toThrow(/--env prod: no such environment/);
    const single = resolveEnvironments(minimalCluster(), registry);
    expect(pickEnvironment(single, undefined)).toBe(single[0]);
    expect(() => pickEnvironment(single, 'staging')).toThrow(/declares no environments/);
  });
});

describe('mergeOverrides and parsePath', () => {
  it('replaces lists that are not named lists, as Helm merges values', () => {
    expect(mergeOverrides({ components: { x: { values: { args: ['a', 'b'] } } } }, { components: { x: { values: { args: ['c'] } } } })).toEqual({
      components: { x: { values: { args: ['c'] } } },
    });
    expect(mergeOverrides({ apps: [{ name: 'a', port: 1 }, { name: 'b' }] }, { apps: [{ name: 'b', port: 2 }, { name: 'c' }] })).toEqual({
      apps: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }, { name: 'c' }],
    });
    expect(mergeOverrides({ components: { x: { a: 1 } } }, { components: { x: false } })).toEqual({ components: { x: false } });
  });

  it('reads back the paths formatPath writes', () => {
    expect(parsePath('apps[2].host')).toEqual(['apps', 2, 'host']);
    expect(parsePath('components["cert-manager"].values')).toEqual(['components', 'cert-manager', 'values']);
    expect(parsePath('(root)')).toBeUndefined();
  });
});
