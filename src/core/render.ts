import type { ResolvedCluster } from '../config/validate.ts';
import type { Registry } from '../config/schema.ts';
import { ConfigError, PlinthError } from '../errors.ts';
import { compareStrings } from './compare.ts';
import { deepMerge } from './merge.ts';
import { CATALOGUE_FILE, renderCatalogue } from './catalogue.ts';
import { HEADER, toYaml } from './yaml.ts';
import { appProject, COMPONENT_LABEL, IN_CLUSTER, inProject, keepData, keepDataNamespaces, MANAGED_BY, PROJECT, SYNC_WAVE, sourceRepos, syncPolicy } from './argo.ts';
import { projectName, renderApps, stageApplicationName } from '../apps/index.ts';
import { formatPath } from '../config/paths.ts';
import { APP_LABEL } from '../apps/workload.ts';
import { describeObject, type ChartSource, type ComponentId, type HealthCheck, type K8sObject, type RenderContext, type SecretInput } from './types.ts';
import { unscrapedMetrics, type AlertRule, type OwnedAlert, type OwnedTarget, type ScrapeTarget } from './alerts.ts';
import { metricNames } from './promql.ts';
import { asSpoke, ROOT_LABEL, spokeOf } from './hub.ts';
import { withSso } from './sso.ts';
import { withUserCharts } from '../config/charts.ts';
import { argoNamespaceOf, componentContext, componentNamespaces } from './context.ts';

export { describeObject };

export { COMPONENT_LABEL, IN_CLUSTER, MANAGED_BY, SYNC_WAVE } from './argo.ts';

/** API groups served by Kubernetes itself; anything else comes from a CRD that may not exist yet at dry-run. */
export const BUILT_IN_GROUPS = new Set([
  '', 'apps', 'batch', 'policy', 'autoscaling', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'storage.k8s.io',
  'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io',
  'discovery.k8s.io', 'certificates.k8s.io', 'node.k8s.io', 'apiregistration.k8s.io',
]);

export interface RenderedObject {
  /** Path of the file inside the tree. */
  file: string;
  /** The component that owns the object, or `bootstrap`/`apps` for Plinth's own Applications. */
  owner: ComponentId;
  object: K8sObject;
  /** Sync wave of an app's own objects, which belong to no component. */
  wave?: number;
  /** Reaches the cluster through Kargo's rendered stage branch, never straight from this tree (src/apps). */
  promoted?: true;
}

export interface RenderedComponent {
  id: ComponentId;
  description: string;
  namespace: string;
  wave: number;
  needs: ComponentId[];
  chart?: Omit<ChartSource, 'values'>;
  secrets: SecretInput[];
  health: HealthCheck[];
  /** Its alert rules and scrape targets, when a component collects alerts. */
  alerts: AlertRule[];
  scrapeTargets: ScrapeTarget[];
}

export interface RenderedTree {
  /** File path -> content, sorted by path. */
  files: Map<string, string>;
  objects: RenderedObject[];
  components: RenderedComponent[];
}

/**
 * How an Argo CD Application names a Helm chart: an OCI registry goes without its scheme, beside `chart`
 * (Argo CD then pulls it with Helm's OCI client). With `oci://` the source would be read as a plain OCI
 * artifact at that path and `chart` ignored. Components give the coordinates as upstream publishes them.
 */
export const argoHelmRepoURL = (repoURL: string): string => repoURL.replace(/^oci:\/\//, '');

export const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

export function objectFileName(object: K8sObject, defaultNamespace?: string): string {
  const kind = object.kind.toLowerCase();
  const namespace = object.metadata.namespace;
  const scope = namespace && namespace !== defaultNamespace ? `${namespace}-` : '';
  return `${kind}-${scope}${object.metadata.name}.yaml`;
}

/**
 * The GitOps tree of a resolved cluster. Pure: the same cluster gives byte-identical files.
 */
export function renderTree(resolved: ResolvedCluster, registry: Registry, options: { files?: boolean } = {}): RenderedTree {
  // Commands that only read the objects (doctor) skip serialising them: most of a large render's time.
  const writeFiles = options.files !== false;
  const { config, graph } = resolved;
  // The config's charts are components too (src/config/charts.ts), whichever registry the caller holds.
  registry = withUserCharts(registry, config);
  const root = config.git.path;
  const argoNamespace = argoNamespaceOf(config, registry);
  const objects: RenderedObject[] = [];
  const components: RenderedComponent[] = [];
  // Where in the config each object comes from, to name both sources of an object rendered twice.
  const origins = new Map<RenderedObject, Origin>();
  const add = (file: string, owner: ComponentId, object: K8sObject, origin?: Origin) => {
    const entry = { file, owner, object };
    objects.push(entry);
    if (origin) origins.set(entry, origin);
  };

  const contexts = new Map<ComponentId, RenderContext<unknown>>();
  for (const id of graph.order) {
    contexts.set(id, componentContext(config, registry, id, argoNamespace));
  }
  const collector = graph.order.find((id) => registry[id]!.collectAlerts);
  const labeller = collector ?? graph.order.find((id) => registry[id]!.monitoringLabels);
  if (labeller) {
    const labels = registry[labeller]!.monitoringLabels?.(contexts.get(labeller)!) ?? {};
    for (const ctx of contexts.values()) ctx.monitoring = { labels };
  }
  const monitoring = monitoringOf(graph.order, registry, contexts, { alerts: collector !== undefined, targets: labeller !== undefined });

  for (const id of graph.order) {
    const component = registry[id]!;
    const enabled = config.components[id]!;
    const ctx = contexts.get(id)!;
    const namespace = ctx.namespace;
    const wave = graph.waves.get(id)!;
    const targets = monitoring.targets.filter((t) => t.component === id).map((t) => t.target);
    const baseChart = component.chart?.(ctx);
    const chart = baseChart && targets.some((t) => t.values) ? { ...baseChart, values: targets.reduce((values, t) => deepMerge(values, t.values ?? {}), baseChart.values) } : baseChart;
    const generated = [
      ...(component.resources?.(ctx) ?? []),
      ...targets.flatMap((t) => t.objects ?? []),
      ...(component.collectAlerts?.(ctx, monitoring.alerts) ?? []),
    ];
    // `sso` puts every host the component publishes behind the sign-in Middleware (src/core/sso.ts).
    const own = withSso(config, enabled, [...generated, ...(enabled.common.extraObjects ?? [])]);
    const declaredAt = enabled.path ?? ['components', id];
    own.forEach((object, i) => {
      const origin =
        i < generated.length
          ? { path: formatPath(declaredAt), source: `component "${id}"` }
          : { path: formatPath([...declaredAt, 'extraObjects', i - generated.length]), source: formatPath([...declaredAt, 'extraObjects', i - generated.length]) };
      add(`manifests/${id}/${objectFileName(object, namespace)}`, id, keepData(ownedObject(object, { [COMPONENT_LABEL]: id })), { ...origin, namespace });
    });

    const application = componentApplication({
      id,
      namespace,
      argoNamespace,
      wave,
      git: config.git,
      chart: chart && { ...chart, values: withSso(config, enabled, deepMerge(chart.values, enabled.common.values ?? {})) },
      hasManifests: own.length > 0,
    });
    if (application) add(`apps/${id}.yaml`, 'apps', application);
    components.push({
      id,
      description: component.description,
      namespace,
      wave,
      needs: graph.needs.get(id)!,
      ...(chart && { chart: { repoURL: chart.repoURL, chart: chart.chart, version: chart.version, releaseName: chart.releaseName } }),
      secrets: component.secrets?.(ctx) ?? [],
      health: [...(component.health?.(ctx) ?? []), ...targets.flatMap((t) => (t.check ? [targetCheck(t.check, t, monitoring.alerts)] : []))],
      alerts: monitoring.alerts.filter((a) => a.component === id).map((a) => a.rule),
      scrapeTargets: targets,
    });
  }
  add('bootstrap/root.yaml', 'bootstrap', rootApplication(config.name, argoNamespace, config.git, `${root}/apps`));

  const appWave = Math.max(0, ...graph.waves.values()) + 1;
  const apps = renderApps({
    cluster: config,
    argoNamespace,
    wave: appWave,
    namespaceOf: componentNamespaces(config, registry),
  });
  const appIndex = new Map(config.apps.map((app, i) => [app.name, i]));
  for (const { file, owner, object, promoted } of apps.objects) {
    const app = owner.startsWith('app:') ? owner.slice(4) : undefined;
    const entry: RenderedObject = {
      file,
      owner,
      // The Applications are Argo CD's own kind, served before any app exists: labelled, never dry-run-skipped.
      object: app ? ownedObject(object, { [APP_LABEL]: app }) : object,
      ...(owner !== 'apps' && { wave: appWave }),
      ...(promoted && { promoted }),
    };
    objects.push(entry);
    origins.set(entry, appOrigin(config, appIndex.get(app ?? object.metadata.labels?.[APP_LABEL] ?? ''), object, app ? projectName(app) : argoNamespace));
  }
  // Every Application in Plinth's project, children with the resources finalizer; the project itself beside them.
  for (const entry of objects) entry.object = inProject(entry.object, { root: entry.owner === 'bootstrap' || entry.object.metadata.labels?.[ROOT_LABEL] === 'true' });
  keepDataNamespaces(objects.map((o) => o.object)).forEach((object, i) => (objects[i]!.object = object));
  add(`apps/appproject-${PROJECT}.yaml`, 'apps', appProject({ argoNamespace, cluster: config.name, sourceRepos: sourceRepos(objects.map((o) => o.object)) }));
  const spoke = spokeOf(config, argoNamespace);
  if (spoke) asSpoke(objects, spoke);
  duplicateCheck(objects, origins, config.name);

  const files = new Map<string, string>(writeFiles ? [[CATALOGUE_FILE, renderCatalogue(config, components, objects)]] : []);
  if (writeFiles) for (const { file, content } of apps.kustomizations) files.set(file, HEADER + toYaml(content));
  const owners = new Map<string, RenderedObject>();
  for (const entry of objects.sort((a, b) => compareStrings(a.file, b.file))) {
    const previous = owners.get(entry.file);
    if (previous) {
      throw new PlinthError(
        `${describeObject(entry.object)} and ${describeObject(previous.object)} would both be written to ${entry.file}`,
        entry.owner === 'apps' || entry.owner.startsWith('app:')
          ? 'rename the app or the stage whose Application or object collides'
          : `rename one of them in components["${entry.owner}"]`,
      );
    }
    owners.set(entry.file, entry);
    if (writeFiles) files.set(entry.file, HEADER + toYaml(entry.object));
  }
  return { files: new Map([...files].sort(([a], [b]) => compareStrings(a, b))), objects, components };
}

interface Origin {
  /** The config path to change. */
  path: string;
  /** How the message names the source. */
  source: string;
  /** The namespace Argo CD puts an object that names none in. */
  namespace: string;
}

/**
 * Cluster-scoped kinds, which ignore the namespace an Application would give them: the built-in ones and those
 * the pinned upstream CRDs declare with `spec.scope: Cluster` (crds/ in the upstream fixtures).
 */
const CLUSTER_SCOPED = new Set([
  '/Namespace', '/Node', '/PersistentVolume', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition', 'storage.k8s.io/StorageClass', 'storage.k8s.io/CSIDriver', 'networking.k8s.io/IngressClass',
  'scheduling.k8s.io/PriorityClass', 'node.k8s.io/RuntimeClass', 'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration', 'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding', 'apiregistration.k8s.io/APIService', 'certificates.k8s.io/CertificateSigningRequest',
  'cert-manager.io/ClusterIssuer', 'postgresql.cnpg.io/ClusterImageCatalog', 'clustersecret.io/ClusterSecret', 'eraser.sh/ImageJob', 'eraser.sh/ImageList',
  'external-secrets.io/ClusterExternalSecret', 'external-secrets.io/ClusterPushSecret', 'external-secrets.io/ClusterSecretStore',
  'generators.external-secrets.io/ClusterGenerator', 'gateway.networking.k8s.io/GatewayClass', 'kargo.akuity.io/ClusterConfig',
  'kargo.akuity.io/ClusterPromotionTask', 'kargo.akuity.io/Project', 'eventing.keda.sh/ClusterCloudEventSource', 'keda.sh/ClusterTriggerAuthentication',
]);

function appOrigin(config: ResolvedCluster['config'], index: number | undefined, object: K8sObject, namespace: string): Origin {
  if (index === undefined) return { path: 'apps', source: 'the apps', namespace };
  const app = config.apps[index]!.name;
  const extra = config.apps[index]!.extraObjects.findIndex(
    (o) => o.apiVersion === object.apiVersion && o.kind === object.kind && o.metadata.name === object.metadata.name &&
      (o.metadata.namespace === undefined || o.metadata.namespace === object.metadata.namespace),
  );
  const path = formatPath(extra < 0 ? ['apps', index] : ['apps', index, 'extraObjects', extra]);
  return { path, source: extra < 0 ? `app "${app}"` : path, namespace };
}

/** The Argo CD Application that syncs a file of the tree, or none for the bootstrap applied by hand. */
function applicationOf(file: string, cluster: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] === 'manifests') return parts[1];
  if (parts[0] === 'apps') return `${cluster}-root`;
  if (parts[0] === 'workloads' && parts[2] === 'stages') return stageApplicationName(parts[1]!, parts[3]!);
  if (parts[0] === 'workloads' && parts[2] === 'pipeline') return `${parts[1]}-pipeline`;
  return undefined;
}

/**
 * One object from two sources would be applied twice, each copy undoing the other at every sync, and by two
 * Applications that both claim it (Argo CD's tracking label flips between them). Either is a config error.
 */
function duplicateCheck(objects: RenderedObject[], origins: Map<RenderedObject, Origin>, cluster: string): void {
  const seen = new Map<string, RenderedObject>();
  const issues: { path: string; message: string; hint: string }[] = [];
  for (const entry of objects) {
    const { object } = entry;
    const group = groupOf(object.apiVersion);
    const origin = origins.get(entry);
    const namespace = CLUSTER_SCOPED.has(`${group}/${object.kind}`) ? '' : (object.metadata.namespace ?? origin?.namespace ?? '');
    const key = `${group}/${object.kind}/${namespace}/${object.metadata.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, entry);
      continue;
    }
    const before = origins.get(first);
    const [appA, appB] = [applicationOf(first.file, cluster), applicationOf(entry.file, cluster)];
    const shown = `${object.kind}/${namespace ? `${namespace}/` : ''}${object.metadata.name}`;
    const owners = appA && appB && appA !== appB ? `; Argo CD Applications "${appA}" and "${appB}" would both own it` : '';
    // The user's own extra object is the one to change, wherever it comes in the render order.
    const blamed = before?.path.includes('extraObjects') && !origin?.path.includes('extraObjects') ? before : origin;
    issues.push({
      path: blamed?.path ?? entry.file,
      message: `${shown} (${object.apiVersion}) is rendered twice: by ${before?.source ?? first.file} (${first.file}) and by ${origin?.source ?? entry.file} (${entry.file})${owners}`,
      hint: 'declare it once: drop the extra object and change the rendered one through its option (an app\'s `deployment` patch, a component\'s values), or rename it',
    });
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

function ownedObject(object: K8sObject, ownerLabels: Record<string, string>): K8sObject {
  const annotations = { ...object.metadata.annotations };
  if (!BUILT_IN_GROUPS.has(groupOf(object.apiVersion))) {
    // The CRD usually arrives in the same sync (from the component's chart), after Argo CD's dry run.
    annotations['argocd.argoproj.io/sync-options'] ??= 'SkipDryRunOnMissingResource=true';
  }
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, ...MANAGED_BY, ...ownerLabels },
      ...(Object.keys(annotations).length > 0 && { annotations }),
    },
  };
}

interface GitSource {
  repoURL: string;
  revision: string;
  path: string;
}

function componentApplication(input: {
  id: ComponentId;
  namespace: string;
  argoNamespace: string;
  wave: number;
  git: GitSource;
  chart: ChartSource | undefined;
  hasManifests: boolean;
}): K8sObject | undefined {
  const sources: Record<string, unknown>[] = [];
  if (input.chart) {
    sources.push({
      repoURL: argoHelmRepoURL(input.chart.repoURL),
      chart: input.chart.chart,
      targetRevision: input.chart.version,
      helm: { releaseName: input.chart.releaseName, valuesObject: input.chart.values },
    });
  }
  if (input.hasManifests) {
    sources.push({ repoURL: input.git.repoURL, targetRevision: input.git.revision, path: `${input.git.path}/manifests/${input.id}` });
  }
  if (sources.length === 0) return undefined;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: input.id,
      namespace: input.argoNamespace,
      labels: { ...MANAGED_BY, [COMPONENT_LABEL]: input.id },
      annotations: { [SYNC_WAVE]: String(input.wave) },
    },
    spec: {
      project: PROJECT,
      destination: { server: IN_CLUSTER, namespace: input.namespace },
      sources,
      syncPolicy: syncPolicy(),
    },
  };
}

function rootApplication(cluster: string, argoNamespace: string, git: GitSource, appsPath: string): K8sObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `${cluster}-root`,
      namespace: argoNamespace,
      labels: { ...MANAGED_BY, [COMPONENT_LABEL]: 'bootstrap' },
    },
    spec: {
      project: PROJECT,
      destination: { server: IN_CLUSTER, namespace: argoNamespace },
      source: { repoURL: git.repoURL, targetRevision: git.revision, path: appsPath },
      syncPolicy: syncPolicy(),
    },
  };
}


/** A scrape target's doctor check, saying which rules go blind without it and what makes it. */
function targetCheck(check: HealthCheck, target: ScrapeTarget, alerts: OwnedAlert[]): HealthCheck {
  const provided = new Set(target.metrics);
  const rules = alerts.filter(({ rule }) => metricNames(rule.query).some((m) => provided.has(m))).map(({ rule }) => rule.uid);
  const how =
    target.createdBy ??
    (target.objects?.length ? 'Argo CD syncs it from this component\'s manifests' : "the component's chart renders it from its values once the cluster serves the Prometheus Operator's CRDs");
  return {
    ...check,
    hint: `without it ${rules.length > 0 ? `the rules ${rules.join(', ')} never fire` : 'Prometheus gets none of these metrics'}: ${how}; sync the Application and check that Prometheus selects the labels in components.grafana.scrapeLabels`,
  };
}

/**
 * What Prometheus must scrape, when the cluster has a Prometheus Plinth knows the labels of, and the alerts of every
 * enabled component, when a component collects them (neither: no rules, and no ServiceMonitor that would need
 * Prometheus's CRDs). A rule reading a metric that no rendered target provides could never fire, so it stops the render.
 */
function monitoringOf(order: ComponentId[], registry: Registry, contexts: Map<ComponentId, RenderContext<unknown>>, wanted: { alerts: boolean; targets: boolean }) {
  if (!wanted.targets) return { alerts: [] as OwnedAlert[], targets: [] as OwnedTarget[] };
  const alerts: OwnedAlert[] = wanted.alerts ? order.flatMap((id) => (registry[id]!.alerts?.(contexts.get(id)!) ?? []).map((rule) => ({ component: id, rule }))) : [];
  const targets = order.flatMap((id) => (registry[id]!.scrapeTargets?.(contexts.get(id)!) ?? []).map((target) => ({ component: id, target })));
  const unscraped = unscrapedMetrics(alerts, targets);
  if (unscraped.length > 0)
    throw new ConfigError(
      unscraped.map(({ component, rule, metric }) => ({
        path: formatPath(['components', component]),
        message: `alert rule ${rule} reads ${metric}, which nothing rendered makes Prometheus scrape: it could never fire`,
        hint: `declare the scrape target that exports ${metric} (scrapeTargets of the component that runs it), or enable that component`,
      })),
    );
  return { alerts, targets };
}
