import { resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { receiverKind } from '../apps/delivery.ts';
import { loadCluster } from '../config/load.ts';
import { MANAGED_BY, renderTree, type RenderedTree } from '../core/render.ts';
import type { ResolvedCluster } from '../config/validate.ts';
import { clusterCredentialsInput } from '../components/argo-cd/index.ts';
import type { K8sObject } from '../core/types.ts';
import { toYaml } from '../core/yaml.ts';
import { PlinthError, UsageError } from '../errors.ts';
import { ARGO_CD_CHART_CRDS, foreignArgoCrds } from '../components/argo-cd/crds.ts';
import { DEFAULT_HELM_IMAGE } from './defaults.ts';
import { comparable } from '../kube/apply.ts';
import type { LiveCluster } from '../kube/client.ts';
import type { ConnectOptions } from '../kube/client.ts';
import { readCrds, type LiveContext } from './live.ts';
import { checkBackupEnvironment, openBackup, restoreInto, type Written } from './secrets.ts';
import { declarations } from '../secrets/declarations.ts';
import { storeStatus } from '../secrets/status.ts';
import { readStore } from '../secrets/store.ts';
import type { ClusterConfig } from '../config/schema.ts';
import { LOCAL_CA_ISSUER, usesLocalCa } from '../core/conventions.ts';
import { connectEnvironment, IDENTITY, recordIdentity } from './environment.ts';

export { DEFAULT_HELM_IMAGE };

/** What the cluster's names need outside it: a delegated zone for external-dns, or nothing but the CA's trust on a laptop. */
function dnsSteps(config: ClusterConfig): string[] {
  if (usesLocalCa(config))
    return [
      `the hosts under ${config.domain} resolve to this machine: the cluster must serve ports 80 and 443 there (k3d -p "443:443@loadbalancer", kind extraPortMappings)`,
      `trust the cluster's CA in the browser: kubectl -n ${config.components['cert-manager']?.common.namespace ?? 'cert-manager'} get secret ${LOCAL_CA_ISSUER} -o jsonpath='{.data.ca\\.crt}' | base64 -d > ${LOCAL_CA_ISSUER}.crt, then import it`,
    ];
  const provider = (config.components['external-dns']?.options as { provider?: string } | undefined)?.provider;
  if (provider === undefined) return [];
  if (provider === 'designate') return [`delegate ${config.domain} to OpenStack Designate (NS records at the parent zone), so external-dns and DNS01 work`];
  return [`delegate ${config.domain} to ${provider === 'cloudflare' ? 'Cloudflare' : 'Route 53'} (NS records at the parent zone), so external-dns publishes its hosts`];
}

export interface BootstrapOptions extends ConnectOptions {
  config?: string;
  /** With environments: the one to work on (required then); its kubeconfig context unless --context is given. */
  env?: string;
  /**
   * CRD manifests to apply first (Argo CD's are needed before the root Application can exist): only Argo CD's are
   * applied, and only when they are the pinned chart's.
   */
  crds?: string;
  helmImage?: string;
  /** How long to wait for the Argo CD install, in seconds. */
  timeout?: number;
  /** An escrow file from `plinth secrets backup`, restored before anything syncs. */
  secretsFrom?: string;
  /** The age secret key file for it; default: $PLINTH_AGE_IDENTITY. */
  identity?: string;
  /** Restore --secrets-from although it is a backup of this other environment. */
  fromEnv?: string;
}

export interface BootstrapStep {
  name: string;
  status: 'created' | 'updated' | 'unchanged';
}

export interface BootstrapResult {
  server: string;
  steps: BootstrapStep[];
  /** What a person still has to do, in order. */
  checklist: string[];
  /** Secret inputs put back from --secrets-from (names and keys only). */
  restoredSecrets?: Written[];
}

async function applyTracked(cluster: LiveCluster, object: K8sObject): Promise<BootstrapStep['status']> {
  const live = await cluster.get(object);
  const result = await cluster.apply(object);
  if (!live) return 'created';
  return JSON.stringify(comparable(live)) === JSON.stringify(comparable(result)) ? 'unchanged' : 'updated';
}

const describe = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/**
 * From an empty cluster to GitOps: Argo CD installed by an in-cluster Helm job with the rendered values,
 * then the root Application. Safe to run again: everything is server-side applied, the job is named
 * after its inputs, and the temporary cluster-admin binding is removed once Argo CD is in.
 */
export async function bootstrap(options: BootstrapOptions, ctx: LiveContext & { env?: Record<string, string | undefined> }): Promise<BootstrapResult> {
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  const tree = renderTree(resolved, ctx.registry);
  const hub = resolved.config.environment?.managedBy;
  if (hub) return prepareSpoke(resolved, tree, hub, options, ctx);
  const argo = tree.objects.find((o) => o.file === 'apps/argo-cd.yaml')?.object;
  const root = tree.objects.find((o) => o.owner === 'bootstrap')!.object;
  const project = tree.objects.find((o) => o.object.kind === 'AppProject' && o.object.apiVersion === 'argoproj.io/v1alpha1')!.object;
  if (!argo) throw new PlinthError('bootstrap installs Argo CD, but the argo-cd component is not enabled', 'enable it: components: { "argo-cd": {} }');
  const namespace = (argo.spec as { destination: { namespace: string } }).destination.namespace;
  const chart = (argo.spec as { sources: { repoURL: string; chart?: string; targetRevision: string; helm?: { releaseName: string; valuesObject: unknown } }[] }).sources.find(
    (source): source is { repoURL: string; chart: string; targetRevision: string; helm: { releaseName: string; valuesObject: unknown } } =>
      source.chart !== undefined && source.helm !== undefined,
  );
  if (!chart) throw new PlinthError('the argo-cd Application renders no Helm chart source', 'check components["argo-cd"] in the config');
  const crds = options.crds ? await chartCrds(resolve(ctx.cwd, options.crds), options.crds) : [];
  // Decrypted before anything is installed, so a wrong identity stops bootstrap on an untouched cluster.
  const opened = options.secretsFrom ? await openBackup(options.secretsFrom, options.identity, { cwd: ctx.cwd, env: ctx.env ?? {} }) : undefined;
  if (opened) checkBackupEnvironment(options.secretsFrom!, opened.environment, resolved.config.environment?.name, options.fromEnv);
  const escrow = opened?.contents;
  const cluster = await connectEnvironment(ctx, options, resolved.config);
  const steps: BootstrapStep[] = [];
  let restoredSecrets: Written[] | undefined;
  if (escrow) {
    ctx.progress(`restoring ${escrow.size} secret inputs from ${options.secretsFrom}`);
    restoredSecrets = (await restoreInto(cluster, escrow, tree)).restored;
  }
  const step = async (object: K8sObject) => {
    ctx.progress(`applying ${describe(object)}`);
    steps.push({ name: describe(object), status: await applyTracked(cluster, object) });
  };

  // Which environment this cluster is, recorded first: every later --env command checks it (the wrong-cluster guard).
  const identity = await recordIdentity(cluster, resolved.config);
  if (identity) steps.push({ name: `ConfigMap/${IDENTITY.metadata.namespace}/${IDENTITY.metadata.name}`, status: identity });
  await step({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { ...MANAGED_BY } } });
  for (const crd of crds) await step(crd);

  const values = toYaml(chart.helm.valuesObject);
  const helmImage = options.helmImage ?? DEFAULT_HELM_IMAGE;
  const inputs = createHash('sha256').update(JSON.stringify([chart.repoURL, chart.chart, chart.targetRevision, values, helmImage])).digest('hex');
  const jobName = `plinth-install-argocd-${inputs.slice(0, 10)}`;
  const labels = { ...MANAGED_BY, 'plinth.dev/component': 'bootstrap' };
  const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'plinth-bootstrap', namespace, labels } };
  // Installing a chart that creates ClusterRoles needs cluster-admin; the binding lives only until the job is done.
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'plinth-bootstrap', labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'plinth-bootstrap', namespace }],
  };
  const valuesMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: jobName, namespace, labels }, data: { 'values.yaml': values } };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: jobName, namespace, labels },
    spec: {
      backoffLimit: 3,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'plinth-bootstrap',
          restartPolicy: 'Never',
          containers: [
            {
              name: 'helm',
              image: helmImage,
              args: [
                'upgrade', '--install', chart.helm.releaseName, chart.chart,
                '--repo', chart.repoURL, '--version', chart.targetRevision,
                '--namespace', namespace, '--values', '/values/values.yaml',
              ],
              env: [{ name: 'HOME', value: '/tmp' }],
              volumeMounts: [
                { name: 'values', mountPath: '/values', readOnly: true },
                { name: 'scratch', mountPath: '/tmp' },
              ],
              securityContext: { runAsNonRoot: true, runAsUser: 65534, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
            },
          ],
          volumes: [
            { name: 'values', configMap: { name: jobName } },
            { name: 'scratch', emptyDir: {} },
          ],
        },
      },
    },
  };

  const existing = await cluster.get(job);
  const alreadyDone = (existing?.status as { succeeded?: number } | undefined)?.succeeded;
  if (!alreadyDone) {
    for (const object of [account, binding, valuesMap, job]) await step(object);
    ctx.progress(`waiting for ${jobName} to install Argo CD ${chart.targetRevision}`);
    await waitForJob(cluster, job, (options.timeout ?? 600) * 1000);
  } else {
    steps.push({ name: describe(job), status: 'unchanged' });
  }
  await cluster.delete(binding);
  // The root's project first: Argo CD's own `default` appears only once argocd-server has started, and a root that
  // names a missing project fails with InvalidSpecError and is not looked at again for a reconciliation period.
  await step(project);
  await step(root);

  const host = (chart.helm.valuesObject as { global?: { domain?: string } }).global?.domain;
  const declared = declarations(tree, resolved.config);
  const store = storeStatus(declared, await readStore(cluster));
  const checklist = [
    ...store.inputs
      .filter((input) => input.status !== 'complete')
      .map((input) => {
        const keys = input.keys.filter((k) => k.status !== 'set').map((k) => k.key);
        const how = declared.find((d) => d.name === input.name)!.howToGet;
        return `provide secret input ${input.name} (${keys.join(', ')}): ${how}; then plinth secrets set ${input.name} ${keys[0]}`;
      }),
    ...(declared.length > 0 && store.missing === 0 ? [`all ${declared.length} secret inputs are in the store (plinth secrets check)`] : []),
    ...(declared.length > 0 && !escrow ? ['once they are set, keep an encrypted escrow apart from the cluster: plinth secrets backup --to FILE --recipient age1...'] : []),
    ...dnsSteps(resolved.config),
    ...(host ? [`open https://${host} once the certificate is issued; the initial admin password is in secret argocd-initial-admin-secret`] : []),
    ...(resolved.config.apps.length > 0
      ? [
          `each app's stages wait for their first promotion, which pushes the stage's branch: promote ${resolved.config.apps.map((a) => a.name).join(', ')} ` +
            'once (the Kargo UI, or plinth promote APP STAGE)',
        ]
      : []),
    `watch the waves converge: plinth doctor names the Application that holds them, if one does (or kubectl -n ${namespace} get applications)`,
    ...(resolved.config.apps.some((app) => receiverKind(resolved.config, app) !== undefined)
      ? ['once Kargo is synced, let pushes deploy in seconds: plinth webhooks prints each app\'s receiver URL and where to paste it']
      : []),
  ];
  return { server: cluster.server, steps, checklist, ...(restoredSecrets && { restoredSecrets }) };
}

/**
 * A cluster its hub's Argo CD deploys (`managedBy`) installs no Argo CD of its own: bootstrap records which environment
 * it is (the wrong-cluster guard) and restores its secret inputs; the hub's Argo CD does the rest once it has the
 * cluster's credentials.
 */
async function prepareSpoke(
  resolved: ResolvedCluster,
  tree: RenderedTree,
  hub: string,
  options: BootstrapOptions,
  ctx: LiveContext & { env?: Record<string, string | undefined> },
): Promise<BootstrapResult> {
  const env = resolved.config.environment!;
  const opened = options.secretsFrom ? await openBackup(options.secretsFrom, options.identity, { cwd: ctx.cwd, env: ctx.env ?? {} }) : undefined;
  if (opened) checkBackupEnvironment(options.secretsFrom!, opened.environment, env.name, options.fromEnv);
  const cluster = await connectEnvironment(ctx, options, resolved.config);
  const steps: BootstrapStep[] = [];
  const identity = await recordIdentity(cluster, resolved.config);
  if (identity) steps.push({ name: `ConfigMap/${IDENTITY.metadata.namespace}/${IDENTITY.metadata.name}`, status: identity });
  const restoredSecrets = opened ? (await restoreInto(cluster, opened.contents, tree)).restored : undefined;
  const checklist = [
    `give the hub this cluster's credentials: the secret input ${clusterCredentialsInput(env.name)} of environment "${hub}" (plinth secrets list --env ${hub} names its keys; plinth secrets set --env ${hub} ${clusterCredentialsInput(env.name)} KEY)`,
    `apply the hub (plinth apply --env ${hub}, or let its Argo CD sync): its Argo CD runs this environment's root from ${resolved.config.git.path}/apps against ${env.server}`,
    ...(restoredSecrets ? [] : [`set this environment's secret inputs: plinth secrets check --env ${env.name} lists them`]),
    `watch it converge: plinth doctor --env ${env.name}`,
  ];
  return { server: cluster.server, steps, checklist, ...(restoredSecrets && { restoredSecrets }) };
}

/**
 * Argo CD's CRDs from a --crds directory, refused unless they are exactly the pinned chart's: CRDs of another Argo CD
 * version, applied by Plinth, are then owned by its field manager, and Argo CD stays OutOfSync over them until it
 * has taken every field back.
 */
async function chartCrds(dir: string, given: string): Promise<K8sObject[]> {
  const crds = (await readCrds(dir)).filter((c) => (c.spec as { group: string }).group === 'argoproj.io');
  const foreign = foreignArgoCrds(crds);
  if (foreign.length > 0) {
    const { chart, appVersion } = ARGO_CD_CHART_CRDS;
    const listed = foreign.map((m) => `${m.name} (${m.problem === 'differs' ? 'another version' : 'not in the chart'})`).join(', ');
    throw new UsageError(
      `the Argo CD CRDs in ${given} are not those of the pinned chart ${chart} (Argo CD ${appVersion}): ${listed}; nothing was applied`,
      `leave out --crds: the chart installs its own CRDs. Or pass Argo CD ${appVersion}'s: manifests/crds of argoproj/argo-cd at ${appVersion}`,
    );
  }
  return crds;
}

async function waitForJob(cluster: LiveCluster, job: K8sObject, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = await cluster.get(job);
    const status = (live?.status ?? {}) as { succeeded?: number; failed?: number; conditions?: { type: string; status: string; message?: string }[] };
    if (status.succeeded) return;
    const failed = status.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
    if (failed)
      throw new PlinthError(
        `the Argo CD install job ${job.metadata.name} failed: ${failed.message ?? 'see its logs'}`,
        `kubectl -n ${job.metadata.namespace} logs job/${job.metadata.name}`,
      );
    if (Date.now() > deadline)
      throw new PlinthError(`the Argo CD install job ${job.metadata.name} did not finish in time`, `kubectl -n ${job.metadata.namespace} describe job ${job.metadata.name}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
