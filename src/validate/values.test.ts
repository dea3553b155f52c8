import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minimalCluster, REPO, tempDir, UPSTREAM } from '../../test/helpers.ts';
import { registry } from '../components/index.ts';
import { loadCluster } from '../config/load.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree } from '../core/render.ts';
import type { Finding } from './finding.ts';
import { VALUES_SOURCES } from './values-sources.ts';
import { chartKeys, checkValues, commentedKeys, valuesTargets, type ValuesTarget } from './values.ts';

const check = (targets: ValuesTarget[], dir = UPSTREAM) => checkValues(targets, { dir, file: 'plinth.config.ts' });

/** The values findings of a config that enables the given components beside the minimal cluster's. */
async function checkConfig(components: Record<string, unknown>): Promise<Finding[]> {
  const config = minimalCluster();
  Object.assign(config.components, components);
  const resolved = resolveCluster(config, registry);
  return check(valuesTargets(resolved.config, renderTree(resolved, registry)));
}

const target = (chart: string, version: string, user: Record<string, unknown>, id = chart): ValuesTarget => ({
  path: ['components', id, 'values'],
  chart,
  version,
  user,
  rendered: user,
});

describe('chart values against values.yaml (no schema: warnings)', () => {
  it('reports the eraser typo runtimeConfig.manager.scanner.enabled with the key the chart reads as the suggestion', async () => {
    const findings = await checkConfig({ eraser: { values: { runtimeConfig: { manager: { scanner: { enabled: false } } } } } });
    expect(findings).toEqual([
      {
        file: 'plinth.config.ts',
        document: 1,
        object: '',
        path: 'components.eraser.values.runtimeConfig.manager.scanner',
        rule: 'values/unknown-key',
        severity: 'warning',
        message: "runtimeConfig.manager.scanner.enabled is not a key of chart eraser 1.4.1's default values.yaml: Helm ignores keys a chart does not read, so this setting may do nothing",
        hint: 'did you mean "runtimeConfig.components.scanner.enabled"? (components.eraser.values.runtimeConfig.components.scanner.enabled)',
      },
    ]);
  });

  it('passes the keys eraser lists, including those only in comments and under maps left empty', async () => {
    expect(
      await checkConfig({
        eraser: { values: { runtimeConfig: { components: { scanner: { enabled: false } }, health: { healthProbeBindAddress: ':8081' }, manager: { additionalPodLabels: { team: 'a' } } } } },
      }),
    ).toEqual([]);
  });

  it('suggests a sibling the key is a typo of', async () => {
    const [finding] = await check([target('keda', '2.20.2', { resorces: { operator: {} } })]);
    expect(finding).toMatchObject({ path: 'components.keda.values.resorces', severity: 'warning', hint: expect.stringMatching(/^did you mean "resources\.operator"\?/) });
  });

  it('a dotted key, as --set would read it, is one key in values: the hint nests it', async () => {
    const [finding] = await check([target('keda', '2.20.2', { 'resources.operator': { limits: { cpu: 1 } } })]);
    expect(finding).toMatchObject({ path: 'components.keda.values["resources.operator"]', hint: 'a dotted key is one key in Helm values, not a path as in --set: nest it, components.keda.values.resources.operator' });
    const [schema] = await check([target('cert-manager', 'v1.21.1', { 'crds.enabled': true })]);
    expect(schema).toMatchObject({ path: 'components["cert-manager"].values["crds.enabled"]', severity: 'error', hint: 'a dotted key is one key in Helm values, not a path as in --set: nest it, components["cert-manager"].values.crds.enabled' });
  });

  it('a typo of a subchart key is still caught, though what lies under the subchart is not checked', async () => {
    const findings = await check([target('kube-prometheus-stack', '88.5.3', { grafana: { anything: true }, grafanna: { enabled: false } })]);
    expect(findings).toMatchObject([{ path: 'components["kube-prometheus-stack"].values.grafanna', hint: 'did you mean "grafana.enabled"? (components["kube-prometheus-stack"].values.grafana.enabled)' }]);
  });

  it('gives no suggestion when nothing is close, and says the chart may read it anyway', async () => {
    const [finding] = await check([target('keda', '2.20.2', { zzz: 1 })]);
    expect(finding!.hint).toMatch(/^check the key against the chart's values.yaml; if the chart reads it anyway/);
  });

  describe('known false positives of values.yaml as a key list (SOURCES.md caveat 15)', () => {
    it('Istio: valid top-level keys, nested in values.yaml under _internal_defaults_do_not_set, are not flagged', async () => {
      const findings = await checkConfig({
        istio: {
          values: { defaultRevision: 'default', base: { enableCRDTemplates: true }, global: { hub: 'docker.io/istio' }, profile: 'ambient', compatibilityVersion: '1.29' },
          istiodValues: { autoscaleEnabled: false, pilot: { autoscaleEnabled: false }, meshConfig: { accessLogFile: '/dev/stdout' }, platform: 'k3s' },
        },
      });
      // pilot.* is the pre-1.24 layout: istiod 1.30 reads its keys at the top level.
      expect(findings.map((f) => [f.path, f.hint])).toEqual([
        ['components.istio.istiodValues.pilot', 'did you mean "autoscaleEnabled"? (components.istio.istiodValues.autoscaleEnabled)'],
      ]);
    });

    it('Istio base reads base.validationFailurePolicy, which its values.yaml does not list', async () => {
      expect(await checkConfig({ istio: { values: { base: { validationFailurePolicy: 'Fail' } } } })).toEqual([]);
      expect(await check([target('base', '1.30.3', { base: { validationFailurePolicyy: 'Fail' } })])).toMatchObject([{ hint: expect.stringMatching(/^did you mean "base\.validationFailurePolicy"\?/) }]);
    });

    it('Istio: setting _internal_defaults_do_not_set itself is flagged', async () => {
      const findings = await check([target('istiod', '1.30.3', { _internal_defaults_do_not_set: { hub: 'x' } })]);
      expect(findings.map((f) => f.path)).toEqual(['components.istiod.values._internal_defaults_do_not_set']);
    });

    it('subchart keys and global are the subchart\'s: kube-prometheus-stack grafana, oauth2-proxy redis-ha, logging-operator telemetry-controller', async () => {
      expect(
        await check([
          target('kube-prometheus-stack', '88.5.3', { grafana: { adminPassword: 'x', 'grafana.ini': { server: { root_url: 'https://g' } } }, 'kube-state-metrics': { selfMonitor: { enabled: true } }, crds: { upgradeJob: { enabled: true } }, global: { imageRegistry: 'r' } }),
          target('oauth2-proxy', '10.7.0', { 'redis-ha': { enabled: true, replicas: 3 } }),
          target('logging-operator', '6.7.0', { 'telemetry-controller': { install: true } }),
        ]),
      ).toEqual([]);
    });

    it('keys a chart documents only as comments: gha-runner-scale-set minRunners, cert-manager-style podAnnotations', async () => {
      expect(await check([target('gha-runner-scale-set', '0.14.2', { minRunners: 1, maxRunners: 5, runnerScaleSetName: 'ci', containerMode: { type: 'dind' }, controllerServiceAccount: { name: 'arc', namespace: 'arc' } })])).toEqual([]);
      expect(await check([target('gha-runner-scale-set', '0.14.2', { minRunner: 1 })])).toMatchObject([{ path: 'components["gha-runner-scale-set"].values.minRunner', hint: expect.stringMatching(/^did you mean "minRunners"\?/) }]);
    });

    it('Argo CD configs.cm takes any argocd-cm key', async () => {
      expect(await check([target('argo-cd', '10.1.1', { configs: { cm: { 'oidc.config': 'x', url: 'https://argocd.example.org' }, params: { 'server.insecure': true } } })])).toEqual([]);
      expect(await check([target('argo-cd', '10.1.1', { configs: { cmm: {} } })])).toMatchObject([{ path: 'components["argo-cd"].values.configs.cmm', hint: expect.stringMatching(/^did you mean "configs\.cm"\?/) }]);
    });
  });

  it('reads commented-out keys with their parents by indentation, the spaces after # included', () => {
    const text = ['a:', '  b: {}', '    # c: 1', '  # d:', '  #   e: 2', '# f: {}', 'list:', '  - name: x', '    # g: 1', '# Note that this is prose'].join('\n');
    expect(commentedKeys(text)).toEqual([['a', 'b', 'c'], ['a', 'd'], ['a', 'd', 'e'], ['f']]);
    const root = chartKeys(text, { chart: 'x' });
    expect(root.open).toBe(false);
  });
});

describe('chart values against values.schema.json (errors)', () => {
  it('a schema violation in cert-manager values is an error at its config path, with a did-you-mean', async () => {
    const findings = await checkConfig({ 'cert-manager': { acmeEmail: 'ops@example.org', values: { crds: { enabld: true }, replicaCount: 'two' } } });
    expect(findings).toEqual([
      {
        file: 'plinth.config.ts',
        document: 1,
        object: '',
        path: 'components["cert-manager"].values.crds.enabld',
        rule: 'values/schema',
        severity: 'error',
        message: "is not a key the chart accepts (cert-manager v1.21.1's values.schema.json): Helm refuses to install the chart",
        hint: 'did you mean "crds.enabled"?',
      },
      expect.objectContaining({ path: 'components["cert-manager"].values.replicaCount', severity: 'error', message: expect.stringMatching(/^must be number/) }),
    ]);
  });

  it('passes values the schema accepts, and `null` removes a default as Helm does', async () => {
    expect(await checkConfig({ 'cert-manager': { acmeEmail: 'ops@example.org', values: { replicaCount: 2, podAnnotations: { a: 'b' }, crds: { keep: true } } } })).toEqual([]);
  });

  it('uses the draft a schema names: traefik (2020-12) refuses an unknown port key', async () => {
    const findings = await check([target('traefik', '41.3.0', { ports: { web: { redirections: {} } } })]);
    expect(findings).toMatchObject([{ path: 'components.traefik.values.ports.web.redirections', severity: 'error', rule: 'values/schema' }]);
  });

  it('a required key removed with null is an error at its path', async () => {
    const findings = await check([target('operator', '26.2.2', { image: { pullPolicy: null } }, 'redpanda')]);
    expect(findings).toMatchObject([{ path: 'components.redpanda.values.image.pullPolicy', severity: 'error', message: expect.stringMatching(/^is required by the chart/) }]);
  });

  it('the Istio gateway schema takes its top-level keys, though values.yaml nests the defaults under _internal_defaults_do_not_set', async () => {
    expect(await check([target('gateway', '1.30.3', { replicaCount: 2, service: { type: 'ClusterIP' } })])).toEqual([]);
    expect(await check([target('gateway', '1.30.3', { servce: {} })])).toMatchObject([{ path: 'components.gateway.values.servce', severity: 'error', hint: 'did you mean "service"?' }]);
  });

  it('an enum violation names the allowed values', async () => {
    const findings = await check([target('external-dns', '1.21.1', { policy: 'delete-everything' })]);
    expect(findings).toMatchObject([{ path: 'components["external-dns"].values.policy', severity: 'error', message: expect.stringMatching(/^must be one of "create-only", "sync", "upsert-only"/) }]);
  });
});

describe('what the check reads', () => {
  it('without the values files it checks nothing and says so once, as info', async () => {
    const empty = await tempDir();
    const findings = await check([target('eraser', '1.4.1', { zzz: 1 }), target('keda', '2.20.2', { zzz: 1 })], empty);
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'values/unchecked',
        severity: 'info',
        message: `chart values not checked, no values.yaml or values.schema.json of the pinned chart in ${empty}: components.eraser.values (eraser 1.4.1), components.keda.values (keda 2.20.2)`,
      }),
    ]);
  });

  it('a chart version with no known values is not checked', async () => {
    expect(await check([target('eraser', '0.0.1', { zzz: 1 })])).toMatchObject([{ rule: 'values/unchecked' }]);
  });

  it("Plinth's own values pass, every chart's full rendered values checked: the seed config, the real-team example, and every component on", async () => {
    const everything = minimalCluster();
    for (const [id, component] of Object.entries(registry))
      // Components with a required option are on in the configs their own tests render.
      if (!(id in everything.components) && component.options.safeParse({}).success) everything.components[id] = {};
    const all = await tempDir();
    await writeFile(join(all, 'plinth.config.json'), JSON.stringify(everything));
    for (const [dir, file] of [[REPO, 'plinth.config.ts'], [REPO, 'examples/real-team.config.ts'], [all, 'plinth.config.json']] as const) {
      const resolved = await loadCluster(dir, file, registry);
      const tree = renderTree(resolved, registry);
      const targets = tree.objects
        .filter((o) => o.object.kind === 'Application')
        .flatMap((o) => {
          const spec = o.object.spec as { source?: any; sources?: any[] };
          return [...(spec.source ? [spec.source] : []), ...(spec.sources ?? [])];
        })
        .filter((s) => s.chart && s.helm?.valuesObject)
        .map((s) => ({ ...target(s.chart, s.targetRevision, s.helm.valuesObject), path: ['rendered', s.chart] }));
      expect(targets.length).toBeGreaterThan(10);
      if (dir === all) expect(targets.map((t) => t.chart)).toEqual(expect.arrayContaining(['base', 'istiod', 'eraser', 'grafana-operator']));
      expect(await check(targets)).toEqual([]);
    }
  });

  it('every pinned chart in charts.json has its values file, schema and SHA-256 here, matching the upstream files', async () => {
    const charts = JSON.parse(await readFile(join(UPSTREAM, 'charts.json'), 'utf8')) as { chart: string; version: string; values: string; valuesSchema: string | null }[];
    const sha256 = async (file: string) => createHash('sha256').update(await readFile(join(UPSTREAM, file))).digest('hex');
    for (const chart of charts) {
      const source = VALUES_SOURCES.find((s) => s.chart === chart.chart && s.version === chart.version);
      expect(source, `${chart.chart} ${chart.version}`).toBeDefined();
      expect(`values/${source!.values.file}`).toBe(chart.values);
      expect(source!.values.sha256).toBe(await sha256(chart.values));
      expect(source!.schema && `schemas/${source!.schema.file}`).toBe(chart.valuesSchema ?? undefined);
      if (chart.valuesSchema) expect(source!.schema!.sha256).toBe(await sha256(chart.valuesSchema));
    }
  });
});
