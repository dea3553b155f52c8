import { describe, expect, it } from 'vitest';
import { renderTree, type RenderedTree } from '../../core/render.ts';
import { resolveCluster } from '../../config/validate.ts';
import { minimalCluster } from '../../../test/helpers.ts';
import { registry } from '../index.ts';
import { assess } from '../../health/assess.ts';
import { diagnose } from '../../health/doctor.ts';
import { snapshotOf } from '../../health/snapshot.ts';
import { healthyWorld, withStatuses } from '../../../test/health-world.ts';
import { declarations, renderProblems } from '../../secrets/declarations.ts';
import { clusterWith, rejectionOf, renderWith } from '../../../test/components.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { checkValues, valuesTargets } from '../../validate/values.ts';
import { UPSTREAM } from '../../../test/helpers.ts';
import { listenerName } from './index.ts';

const base = { 'argo-cd': {}, 'external-secrets': {} };
/** The test cluster with every registered component on that needs no option, and those the secrets integration test sets. */
function everything(runners: Record<string, unknown> = { sets: [{ name: 'linux', githubConfigUrl: 'https://github.com/acme' }] }): Record<string, any> {
  const config = minimalCluster();
  for (const [id, component] of Object.entries(registry)) if (component.options.safeParse({}).success) config.components[id] ??= {};
  config.components['cloudnative-pg'] = { backup: { destinationPath: 's3://pg-backups/test', endpointURL: 'https://s3.example.org' } };
  config.components.devpod = { members: ['alice'] };
  config.components.logging = { bucket: 'cluster-logs' };
  config.components.runners = runners;
  return config;
}
const acme = { name: 'linux', githubConfigUrl: 'https://github.com/acme' };
const render = (options: Record<string, unknown> = { sets: [acme] }, change?: (config: Record<string, any>) => void) =>
  renderWith(registry, { ...base, runners: options }, change);
const owned = (tree: RenderedTree) => tree.objects.filter((o) => o.owner === 'runners').map((o) => o.object as Record<string, any>);
const find = (tree: RenderedTree, kind: string, name?: string) => owned(tree).find((o) => o.kind === kind && (!name || o.metadata.name === name))!;
const issuesOf = (runners: Record<string, unknown>, change?: (config: Record<string, any>) => void) => {
  const config = clusterWith({ ...base, runners });
  change?.(config);
  return rejectionOf(config, registry);
};
const renderIssues = (runners: Record<string, unknown>, change?: (config: Record<string, any>) => void) => {
  try {
    render(runners, change);
  } catch (error) {
    return (error as { issues?: unknown }).issues;
  }
  throw new Error('expected the render to be refused');
};

describe('runners', () => {
  it('installs the pinned controller chart as release "arc", and each set as an Application of the pinned runner-set chart after it', async () => {
    const facts = await chartFacts();
    const controller = facts.find((f) => f.component === 'arc-controller')!;
    const setChart = facts.find((f) => f.component === 'arc-runner-set')!;
    const tree = render();
    const app = tree.objects.find((o) => o.object.kind === 'Application' && o.object.metadata.name === 'runners')!.object as Record<string, any>;
    expect(`oci://${app.spec.sources[0].repoURL}`).toBe(controller.chartRepo);
    expect(app.spec.sources[0]).toMatchObject({ chart: controller.chart, targetRevision: controller.version, helm: { releaseName: 'arc' } });
    const set = find(tree, 'Application', 'runner-set-linux');
    expect(set.metadata.annotations['argocd.argoproj.io/sync-wave']).toBe('1');
    expect(set.spec.destination.namespace).toBe('arc-runners');
    expect(`oci://${set.spec.sources[0].repoURL}`).toBe(setChart.chartRepo);
    expect(set.spec.sources[0]).toMatchObject({ chart: setChart.chart, targetRevision: setChart.version, helm: { releaseName: 'linux' } });
  });

  it('gives the runner-set chart its controller and its Secret by name, and maps mode, resources and the work volume', async () => {
    const tree = render({
      sets: [
        {
          ...acme,
          minRunners: 1,
          maxRunners: 8,
          containerMode: 'dind',
          privileged: 'jobs build images with docker build',
          resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } },
          storage: { size: '30Gi', storageClass: 'runner-ssd' },
          runnerGroup: 'linux-group',
          values: { listenerTemplate: { spec: { containers: [{ name: 'listener' }] } } },
        },
      ],
    });
    expect(find(tree, 'Application', 'runner-set-linux').spec.sources[0].helm.valuesObject).toEqual({
      githubConfigUrl: 'https://github.com/acme',
      githubConfigSecret: 'linux-github',
      minRunners: 1,
      maxRunners: 8,
      controllerServiceAccount: { name: 'arc-gha-rs-controller', namespace: 'arc-systems' },
      namespaceOverride: 'arc-runners',
      containerMode: { type: 'dind' },
      runnerGroup: 'linux-group',
      listenerTemplate: { spec: { containers: [{ name: 'listener' }] } },
      template: {
        spec: {
          containers: [
            {
              name: 'runner',
              image: 'ghcr.io/actions/actions-runner:latest',
              command: ['/home/runner/run.sh'],
              resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } },
              volumeMounts: [{ name: 'work', mountPath: '/home/runner/_work' }],
            },
          ],
          volumes: [
            {
              name: 'work',
              ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'runner-ssd', resources: { requests: { storage: '30Gi' } } } } },
            },
          ],
        },
      },
    });
    expect(find(tree, 'Namespace').metadata.labels).toEqual({ 'pod-security.kubernetes.io/enforce': 'privileged', 'app.kubernetes.io/managed-by': 'plinth', 'plinth.dev/component': 'runners' });
    expect(find(tree, 'Namespace').metadata.annotations).toEqual({ 'plinth.dev/allow-privileged': 'linux: jobs build images with docker build' });
    expect(await customResourceProblems(tree.objects.filter((o) => o.owner === 'runners'))).toEqual([]);
  }, 60_000);

  it("every value Plinth gives the runner-set chart is one the chart's values.yaml lists (commented-out keys included), in every mode", async () => {
    const tree = render({
      apiServer: { cidr: '10.0.0.5/32' },
      sets: [
        { ...acme, containerMode: 'dind', privileged: 'docker build', resources: { limits: { cpu: '2' } }, storage: {} },
        { name: 'pods', githubConfigUrl: 'https://github.com/acme', containerMode: 'kubernetes', storage: { storageClass: 'ssd' } },
        { name: 'plain', githubConfigUrl: 'https://github.com/acme', values: { runnerGropu: 'x' } },
      ],
    });
    const targets = owned(tree)
      .filter((o) => o.kind === 'Application')
      .map((o) => ({ path: ['rendered', o.metadata.name], chart: o.spec.sources[0].chart, version: o.spec.sources[0].targetRevision, user: o.spec.sources[0].helm.valuesObject, rendered: {} }));
    const findings = await checkValues(targets, { dir: UPSTREAM, file: 'plinth.config.ts' });
    // The raw values are checked too: the typo is the only finding.
    expect(findings.map((f) => [f.path, f.hint])).toEqual([['rendered["runner-set-plain"].runnerGropu', expect.stringContaining('"runnerGroup"')]]);
  });

  it("plinth validate checks a set's raw values at the set's config path, against the runner-set chart", async () => {
    const config = clusterWith({ ...base, runners: { sets: [acme, { name: 'gpu', githubConfigUrl: 'https://github.com/acme', values: { runnerGropu: 'gpu' } }] } });
    const resolved = resolveCluster(config, registry);
    const findings = await checkValues(valuesTargets(resolved.config, renderTree(resolved, registry)), { dir: UPSTREAM, file: 'plinth.config.ts' });
    expect(findings.map((f) => [f.path, f.hint])).toEqual([
      ['components.runners.sets[1].values.runnerGropu', 'did you mean "runnerGroup"? (components.runners.sets[1].values.runnerGroup)'],
    ]);
  });

  it('delivers a GitHub App or a token with the key names the chart reads, from inputs plinth secrets declares', () => {
    const tree = render({
      sets: [acme, { name: 'web', githubConfigUrl: 'https://github.com/acme/web', auth: 'token', namespace: 'ci-web' }, { name: 'gpu', githubConfigUrl: 'https://github.com/acme' }],
    });
    expect(find(tree, 'ExternalSecret', 'linux-github').spec.data).toEqual([
      { secretKey: 'github_app_id', remoteRef: { key: 'runners-github-app', property: 'appId' } },
      { secretKey: 'github_app_installation_id', remoteRef: { key: 'runners-github-app', property: 'installationId' } },
      { secretKey: 'github_app_private_key', remoteRef: { key: 'runners-github-app', property: 'privateKey' } },
    ]);
    expect(find(tree, 'ExternalSecret', 'web-github')).toMatchObject({
      metadata: { namespace: 'ci-web' },
      spec: { data: [{ secretKey: 'github_token', remoteRef: { key: 'runners-github-token', property: 'token' } }] },
    });
    const inputs = declarations(tree).filter((d) => d.components.includes('runners'));
    expect(inputs.map((d) => [d.name, d.keys.map((k) => k.key), d.consumers.map((c) => c.ref)])).toEqual([
      ['runners-github-app', ['appId', 'installationId', 'privateKey'], ['ExternalSecret/arc-runners/gpu-github', 'ExternalSecret/arc-runners/linux-github']],
      ['runners-github-token', ['token'], ['ExternalSecret/ci-web/web-github']],
    ]);
    expect(renderProblems(tree)).toEqual([]);
  });

  it('isolates each runner namespace: no way in, DNS, public addresses, the API server only for kubernetes mode, and each extra way out with its reason', () => {
    const policy = (tree: RenderedTree, namespace: string) => owned(tree).find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === namespace)!;
    const tree = render({
      blockedCIDRs: ['203.0.113.0/24'],
      apiServer: { cidr: '10.0.0.5/32' },
      sets: [
        { ...acme, egress: [{ to: '10.20.0.0/16', ports: [5000], reason: 'the in-cluster registry mirror' }] },
        { name: 'k8s', githubConfigUrl: 'https://github.com/acme', namespace: 'ci-k8s', containerMode: 'kubernetes', storage: {} },
      ],
    });
    const plain = policy(tree, 'arc-runners');
    expect(plain.spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      egress: [
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        {
          to: [
            { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '203.0.113.0/24'] } },
            { ipBlock: { cidr: '::/0', except: ['fc00::/7', 'fe80::/10'] } },
          ],
        },
        { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ protocol: 'TCP', port: 5000 }] },
      ],
    });
    expect(plain.metadata.annotations['plinth.dev/allow-egress-internet']).toContain('GitHub');
    expect(policy(tree, 'ci-k8s').spec.egress[2]).toEqual({ to: [{ ipBlock: { cidr: '10.0.0.5/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] });
    expect(find(tree, 'Namespace', 'ci-k8s').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    // The chart's work-volume claim for kubernetes mode comes from the set's storage, on the cluster's default class.
    expect(find(tree, 'Application', 'runner-set-k8s').spec.sources[0].helm.valuesObject.template.spec.volumes[0].ephemeral.volumeClaimTemplate.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
    });
    // No RBAC of Plinth's own: the runner pods get only what the chart gives them.
    expect(owned(tree).filter((o) => /Role/.test(o.kind))).toEqual([]);
  });

  it("no platform secret reaches a runner namespace, with every other component on (an ExternalSecret there reads only the runners' inputs)", () => {
    const tree = renderTree(resolveCluster(everything(), registry), registry);
    const inRunners = tree.objects.filter((o) => o.object.metadata.namespace === 'arc-runners' || o.object.metadata.name === 'arc-runners');
    expect(inRunners.every((o) => o.owner === 'runners')).toBe(true);
    const reads = inRunners.filter((o) => o.object.kind === 'ExternalSecret').flatMap((o) => (o.object.spec as any).data.map((d: any) => d.remoteRef.key));
    expect(new Set(reads)).toEqual(new Set(['runners-github-app']));
    const copies = tree.objects.filter((o) => o.object.kind === 'ClusterSecret').flatMap((o) => (o.object as any).matchNamespace as string[]);
    expect(copies.some((pattern) => new RegExp(pattern).test('arc-runners'))).toBe(false);
  });

  it('refuses a runner namespace shared with the platform or an app, and hand-added objects that reach one', () => {
    let refused: unknown;
    try {
      renderTree(resolveCluster(everything({ sets: [{ ...acme, namespace: 'production' }] }), registry), registry);
    } catch (error) {
      refused = (error as { issues?: unknown }).issues;
    }
    expect(refused).toEqual([
      {
        path: 'components.runners.sets[0].namespace',
        message: '"production" is the namespace of app "web" (stage production): runner pods run any workflow\'s code and must not share a namespace with the platform\'s Secrets',
        hint: 'give the runners a namespace of their own, e.g. "arc-runners"',
      },
    ]);
    expect(renderIssues({ runnerNamespace: 'plinth-secrets', sets: [acme] })).toEqual([
      expect.objectContaining({ path: 'components.runners.runnerNamespace', message: expect.stringContaining("Plinth's secret store") }),
    ]);
    expect(renderIssues({ runnerNamespace: 'external-secrets', sets: [acme] })).toEqual([
      expect.objectContaining({ message: expect.stringContaining('the external-secrets component') }),
    ]);
    expect(renderIssues({ runnerNamespace: 'kube-public', sets: [acme] })).toEqual([
      expect.objectContaining({ message: expect.stringContaining('"kube-public" is the namespace of Kubernetes itself') }),
    ]);
    // A component's default namespace that is not its id, as the registry declares it.
    expect(renderIssues({ runnerNamespace: 'eraser-system', sets: [acme] }, (config) => (config.components.eraser = {}))).toEqual([
      expect.objectContaining({ message: expect.stringContaining('"eraser-system" is the namespace of the eraser component') }),
    ]);
    const leak = { apiVersion: 'clustersecret.io/v1', kind: 'ClusterSecret', metadata: { name: 'registry-login' }, matchNamespace: ['arc-.*'], data: { valueFrom: { secretKeyRef: { name: 'registry-login', namespace: 'plinth-secrets' } } } };
    const stray = { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'dns', namespace: 'arc-runners' }, spec: {} };
    expect(
      renderIssues({ sets: [acme] }, (config) => {
        config.components['external-secrets'] = { extraObjects: [stray, leak] };
      }),
    ).toEqual([
      expect.objectContaining({ path: 'components["external-secrets"].extraObjects[0]', message: 'ExternalSecret dns reaches the runner namespace arc-runners, where any workflow\'s code runs' }),
      expect.objectContaining({ path: 'components["external-secrets"].extraObjects[1]', message: 'ClusterSecret registry-login reaches the runner namespace arc-runners, where any workflow\'s code runs' }),
    ]);
  });

  it('refuses sets that cannot work, each at its path', () => {
    expect(issuesOf({ sets: [] }).map((i) => [i.path, i.message])).toEqual([['components.runners.sets', 'lists no runner set']]);
    expect(
      issuesOf({
        sets: [
          acme,
          { name: 'web', githubConfigUrl: 'http://github.com/acme' },
          { name: 'deep', githubConfigUrl: 'https://github.com/acme/web/tree' },
          { name: 'a'.repeat(46), githubConfigUrl: 'https://github.com/acme' },
        ],
      }).map((i) => [i.path, i.message]),
    ).toEqual([
      ['components.runners.sets[1].githubConfigUrl', '"http://github.com/acme" must be the https URL of a GitHub organisation, repository or enterprise'],
      ['components.runners.sets[2].githubConfigUrl', '"https://github.com/acme/web/tree" must be the https URL of a GitHub organisation, repository or enterprise'],
      ['components.runners.sets[3].name', expect.stringMatching(/^must be at most 45 characters/)],
    ]);
    expect(
      issuesOf({
        sets: [
          { ...acme, minRunners: 3, maxRunners: 2 },
          { ...acme },
          { name: 'ent', githubConfigUrl: 'https://github.com/enterprises/acme' },
          { name: 'tok', githubConfigUrl: 'https://github.com/acme', auth: 'token', input: 'runners-github-app' },
          { name: 'pods', githubConfigUrl: 'https://github.com/acme', containerMode: 'kubernetes' },
          { name: 'docker', githubConfigUrl: 'https://github.com/acme', containerMode: 'dind' },
          { name: 'plain', githubConfigUrl: 'https://github.com/acme', privileged: 'just in case' },
        ],
      }).map((i) => [i.path, i.message]),
    ).toEqual([
      ['components.runners.sets[0].minRunners', 'is more than maxRunners (2)'],
      ['components.runners.sets[1].name', '"linux" is also the name of sets[0]'],
      ['components.runners.sets[2].auth', 'is "app", but a GitHub App cannot register enterprise runners'],
      ['components.runners.sets[3].input', '"runners-github-app" holds a GitHub App for sets[0], not a token'],
      ['components.runners.sets[4].storage', 'is required with containerMode "kubernetes": the runner and its job pods share the work directory on that volume'],
      ['components.runners.sets[5].privileged', 'is required with containerMode "dind": its Docker daemon runs privileged, so a job can take over the node it runs on'],
      ['components.runners.sets[6].privileged', '"just in case" is given, but only containerMode "dind" runs a privileged container (this set: none)'],
    ]);
    expect(renderIssues({ sets: [{ ...acme, containerMode: 'kubernetes', storage: {} }] })).toEqual([
      {
        path: 'components.runners.apiServer',
        message: 'is required: sets[0] runs in containerMode "kubernetes", whose runners call the API server, which the runners\' NetworkPolicy closes otherwise',
        hint: 'give the address from `kubectl get endpoints kubernetes -n default`, e.g. apiServer: { cidr: "10.0.0.5/32", port: 6443 }',
      },
    ]);
    expect(issuesOf({ sets: [{ ...acme, values: { githubConfigSecret: 'platform-secret', runnerScaleSetName: 'x', maxRunners: 9 } }] })).toEqual([
      {
        path: 'components.runners.sets[0].values.githubConfigSecret',
        message: "\"platform-secret\" is set by Plinth from the set's auth and input: the set's name, namespace and credentials are what its isolation and doctor checks rest on",
        hint: 'set auth and input instead',
      },
      {
        path: 'components.runners.sets[0].values.runnerScaleSetName',
        message: "\"x\" is set by Plinth from the set's name: the set's name, namespace and credentials are what its isolation and doctor checks rest on",
        hint: 'set name instead',
      },
    ]);
    expect(rejectionOf(clusterWith({ 'argo-cd': {}, runners: { sets: [acme] } }), registry).map((i) => i.message)).toEqual([
      '"runners" needs "external-secrets", which is not enabled',
    ]);
  });

  it('checks the controller, and per set its Application, credentials, registration and the listener the controller names', () => {
    const tree = render({ sets: [acme, { name: 'web', githubConfigUrl: 'https://github.com/acme/web/', namespace: 'ci' }] });
    expect(tree.components.find((c) => c.id === 'runners')!.health.map((h) => `${h.kind}/${h.namespace}/${h.name}`)).toEqual([
      'Deployment/arc-systems/arc-gha-rs-controller',
      'Application/argocd/runner-set-linux',
      'ExternalSecret/arc-runners/linux-github',
      'AutoscalingRunnerSet/arc-runners/linux',
      // FNV-1a of "arc-runners@@https://github.com/acme", safe-encoded, as Go's hash/fnv and apimachinery's rand compute it.
      'AutoscalingListener/arc-systems/linux-85f786b5-listener',
      'Application/argocd/runner-set-web',
      'ExternalSecret/ci/web-github',
      'AutoscalingRunnerSet/ci/web',
      'AutoscalingListener/arc-systems/web-78566948-listener',
    ]);
    expect(listenerName({ name: 'web', githubConfigUrl: 'https://github.com/acme/web/' }, 'ci')).toBe('web-78566948-listener');
    // With a runner group, as the same Go code hashes "arc-runners@gpu@https://github.com/acme".
    expect(listenerName({ name: 'linux', githubConfigUrl: 'https://github.com/acme', runnerGroup: 'gpu' }, 'arc-runners')).toBe('linux-7f768f7c-listener');
  });

  it("doctor reads a set's phase: Running is healthy, Pending waits for GitHub, Outdated is degraded", () => {
    const set = { apiVersion: 'actions.github.com/v1alpha1', kind: 'AutoscalingRunnerSet', metadata: { name: 'linux', namespace: 'arc-runners' } };
    expect(assess({ ...set, status: { phase: 'Running', currentRunners: 2, runningEphemeralRunners: 1 } })).toEqual({ health: 'Healthy', message: 'running: 2 runners (1 running, 0 pending, 0 failed)' });
    expect(assess({ ...set, status: { phase: 'Pending' } }).health).toBe('Progressing');
    expect(assess(set).health).toBe('Progressing');
    expect(assess({ ...set, status: { phase: 'Outdated' } }).health).toBe('Degraded');
  });

  it('before the controller chart has synced, the sets wait on the CRDs the runners chart installs, not on anything else', () => {
    const tree = render();
    const now = new Date('2026-06-01T00:00:00Z');
    const notServed = ['AutoscalingRunnerSet', 'AutoscalingListener'].map((kind) => ({ apiVersion: 'actions.github.com/v1alpha1', kind }));
    const objects = withStatuses(healthyWorld(tree, now)).filter((o) => o.apiVersion !== 'actions.github.com/v1alpha1');
    const checks = diagnose(tree, snapshotOf(objects, { now, notServed })).find((f) => f.id === 'runners')!.checks;
    expect(checks.filter((c) => c.status !== 'pass').map((c) => [c.name, c.status])).toEqual([
      ['CRDs installed', 'fail'],
      ['runner set linux: registered with GitHub', 'skip'],
      ['runner set linux: listener waiting for jobs', 'skip'],
    ]);
    expect(checks[0]!.hint).toBe('the runners chart installs these CRDs: check the Argo CD Application runners (kubectl -n argocd get application runners)');
    const healthy = diagnose(tree, snapshotOf(withStatuses(healthyWorld(tree, now)), { now })).find((f) => f.id === 'runners')!;
    expect(healthy.checks.filter((c) => c.status !== 'pass')).toEqual([]);
  });
});
