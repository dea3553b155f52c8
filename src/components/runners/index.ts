import { z } from 'zod';
import { EVERYWHERE, parseCidr, PRIVATE_RANGES } from '../../apps/cidr.ts';
import { EGRESS_INTERNET_OPT_OUT, openReasons, outboundRules } from '../../apps/network.ts';
import { egressRule } from '../../apps/network-options.ts';
import { formatPath } from '../../config/paths.ts';
import { containerResources, dnsLabel, quantity, quantityValue, type ClusterConfig } from '../../config/schema.ts';
import { DATABASES_NAMESPACE, externalSecret, SECRETS_NAMESPACE, stageNamespace } from '../../core/conventions.ts';
import { deepMerge } from '../../core/merge.ts';
import { extraApplication } from '../../core/argo.ts';
import { argoHelmRepoURL } from '../../core/render.ts';
import { defineComponent, type HealthCheck, type K8sObject, type SecretInput } from '../../core/types.ts';
import { ConfigError, type ConfigIssue } from '../../errors.ts';

/** Both ARC charts, published only as OCI at one tag (upstream charts.json: arc-controller, arc-runner-set). */
export const ARC_CHARTS = 'oci://ghcr.io/actions/actions-runner-controller-charts';
export const ARC_VERSION = '0.14.2';
/**
 * Release "arc" of gha-runner-scale-set-controller: its fullname, Deployment and ServiceAccount are
 * "arc-gha-rs-controller" (charts/gha-runner-scale-set-controller/templates/_helpers.tpl fullname and serviceAccountName).
 */
export const CONTROLLER_RELEASE = 'arc';
export const CONTROLLER_NAME = `${CONTROLLER_RELEASE}-gha-rs-controller`;
export const DEFAULT_RUNNER_NAMESPACE = 'arc-runners';
export const APP_INPUT = 'runners-github-app';
export const TOKEN_INPUT = 'runners-github-token';
/** The runner-set Applications sync after the controller chart, which brings the AutoscalingRunnerSet CRD. */
export const RUNNER_SETS_WAVE = '1';
/** Sets the Pod Security level of a runner namespace (k8s.io/pod-security-admission api/constants.go). */
const POD_SECURITY = 'pod-security.kubernetes.io/enforce';
/** Says on a runner namespace why its pod security level is privileged: each dind set's reason. */
export const PRIVILEGED_REASON = 'plinth.dev/allow-privileged';
/** The runner image the chart's values.yaml names (charts/gha-runner-scale-set/values.yaml template.spec). */
export const RUNNER_IMAGE = 'ghcr.io/actions/actions-runner:latest';

/**
 * The keys of the chart's githubConfigSecret (charts/gha-runner-scale-set/templates/githubsecret.yaml), with the keys
 * of the secret input they come from.
 */
const AUTH_KEYS = {
  app: [
    { secretKey: 'github_app_id', key: 'appId', description: "the GitHub App's app id (or client id)" },
    { secretKey: 'github_app_installation_id', key: 'installationId', description: "the id of the App's installation on the organisation or repository" },
    { secretKey: 'github_app_private_key', key: 'privateKey', description: "the App's private key (PEM)" },
  ],
  token: [{ secretKey: 'github_token', key: 'token', description: 'a personal access token (classic: repo or admin:org scope; fine-grained: Administration read and write)' }],
} as const;

const resources = containerResources('the runner pods');

/**
 * Where runners register: an organisation (https://github.com/ORG), a repository (https://github.com/ORG/REPO) or an
 * enterprise (https://github.com/enterprises/ENT), on github.com or a GitHub Enterprise Server host.
 */
const githubConfigUrl = z.string().superRefine((value, ctx) => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const segments = url?.pathname.split('/').filter(Boolean) ?? [];
  if (!url || url.protocol !== 'https:' || url.search || url.hash || segments.length < 1 || segments.length > 2)
    ctx.addIssue({
      code: 'custom',
      message: 'must be the https URL of a GitHub organisation, repository or enterprise',
      params: { hint: 'e.g. "https://github.com/acme" (organisation) or "https://github.com/acme/web" (one repository)' },
    });
});

/** Runner-set chart values Plinth derives from typed options, by the option that decides them. */
const OWNED_VALUES: Record<string, string> = {
  githubConfigUrl: "the set's githubConfigUrl",
  githubConfigSecret: "the set's auth and input",
  runnerScaleSetName: "the set's name",
  runnerGroup: "the set's runnerGroup",
  namespaceOverride: "the set's namespace",
  controllerServiceAccount: 'the runners component (its release "arc" in its namespace)',
};

const runnerSet = z.strictObject({
  /** The scale set's name, which workflows ask for with `runs-on`; the chart refuses more than 45 characters. */
  name: dnsLabel.max(45, { error: 'must be at most 45 characters (the gha-runner-scale-set chart refuses longer names)' }),
  githubConfigUrl,
  /** A GitHub App (recommended: its tokens are short-lived and scoped) or a personal access token. */
  auth: z.enum(['app', 'token']).default('app'),
  /** The secret input holding the credentials; sets that name the same input share it. */
  input: dnsLabel.optional(),
  /** Namespace of the runner pods, apart from every platform and app namespace. */
  namespace: dnsLabel.optional(),
  /** Idle runners kept ready; the set scales up to maxRunners as jobs arrive. */
  minRunners: z.int().min(0).max(1000).default(0),
  maxRunners: z.int().min(0).max(1000).default(5),
  /** `dind`: a privileged Docker daemon beside the runner; `kubernetes`: each job in its own pod; unset: neither. */
  containerMode: z.enum(['dind', 'kubernetes']).optional(),
  /** Why the set needs a privileged container: required with containerMode dind, rendered on its namespace. */
  privileged: z.string().refine((reason) => reason.trim() !== '', { error: 'gives no reason: a privileged container must say why' }).optional(),
  /** Requests and limits of the runner container. */
  resources: resources.optional(),
  /** An ephemeral volume per runner for its work directory, on a named StorageClass; an emptyDir when unset. */
  storage: z.strictObject({ size: quantity.default('20Gi'), storageClass: z.string().min(1).optional() }).optional(),
  image: z.string().min(1).default(RUNNER_IMAGE),
  /** More ways out than DNS and the internet, each with its reason (e.g. an in-cluster registry's address). */
  egress: z.array(egressRule).default([]),
  /** The GitHub runner group the set joins (organisation runners: which repositories may use it); GitHub's default group when unset. */
  runnerGroup: z.string().min(1).optional(),
  /** Raw Helm values for this set's gha-runner-scale-set chart, merged last. */
  values: z
    .record(z.string(), z.unknown())
    .superRefine((values, ctx) => {
      for (const [key, option] of Object.entries(OWNED_VALUES))
        if (key in values)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `is set by Plinth from ${option}: the set's name, namespace and credentials are what its isolation and doctor checks rest on`,
            params: { hint: option.startsWith('the set') ? `set ${option.replace(/^the set's /, '')} instead` : `remove it; ${option} decides it` },
          });
    })
    .default({}),
});

export type RunnerSet = z.output<typeof runnerSet>;

/** Checks across the sets (a superRefine on the list: the config schema keeps each option's own checks, not the object's). */
const sets = z
  .array(runnerSet)
  .refine((list) => list.length > 0, { error: 'lists no runner set', params: { hint: 'add one, e.g. sets: [{ name: "linux", githubConfigUrl: "https://github.com/acme" }]' } })
  .superRefine((list, ctx) => {
    const inputs = new Map<string, { auth: string; index: number }>();
    list.forEach((set, i) => {
      const earlier = list.findIndex((other) => other.name === set.name);
      if (earlier !== i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${set.name}" is also the name of sets[${earlier}]`, params: { hint: 'give each runner set its own name' } });
      if (set.minRunners > set.maxRunners)
        ctx.addIssue({ code: 'custom', path: [i, 'minRunners'], message: `is more than maxRunners (${set.maxRunners})`, params: { hint: 'raise maxRunners or lower minRunners' } });
      if (set.auth === 'app' && URL.canParse(set.githubConfigUrl) && new URL(set.githubConfigUrl).pathname.startsWith('/enterprises/'))
        ctx.addIssue({
          code: 'custom',
          path: [i, 'auth'],
          message: 'is "app", but a GitHub App cannot register enterprise runners',
          params: { hint: 'use auth: "token" with a personal access token of an enterprise admin (manage_runners:enterprise)' },
        });
      const input = inputOf(set);
      const shared = inputs.get(input);
      if (shared && shared.auth !== set.auth)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'input'],
          message: `"${input}" holds a GitHub ${shared.auth === 'app' ? 'App' : 'token'} for sets[${shared.index}], not a ${set.auth === 'app' ? 'GitHub App' : 'token'}`,
          params: { hint: 'give this set an input of its own' },
        });
      else if (!shared) inputs.set(input, { auth: set.auth, index: i });
      if (set.containerMode === 'dind' && set.privileged === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'privileged'],
          message: 'is required with containerMode "dind": its Docker daemon runs privileged, so a job can take over the node it runs on',
          params: { hint: 'say why the set needs it, e.g. privileged: "jobs build images with docker build", or use containerMode "kubernetes"' },
        });
      if (set.privileged !== undefined && set.containerMode !== 'dind')
        ctx.addIssue({
          code: 'custom',
          path: [i, 'privileged'],
          message: `is given, but only containerMode "dind" runs a privileged container (this set: ${set.containerMode ?? 'none'})`,
          params: { hint: 'remove it' },
        });
      if (set.containerMode === 'kubernetes' && !set.storage)
        ctx.addIssue({
          code: 'custom',
          path: [i, 'storage'],
          message: 'is required with containerMode "kubernetes": the runner and its job pods share the work directory on that volume',
          params: { hint: 'add storage: { size: "20Gi", storageClass: "<a ReadWriteOnce class>" }' },
        });
    });
  });

const cidrBlock = (example: string) =>
  z.string().refine((value) => parseCidr(value)?.canonical === true, { error: `is not a CIDR block such as "${example}"` });

const options = z.strictObject({
  sets,
  /** Namespace of the sets that name none. */
  runnerNamespace: dnsLabel.default(DEFAULT_RUNNER_NAMESPACE),
  /**
   * Address blocks the runners must not reach besides the private ranges (which are always closed): the cluster's pod
   * and service CIDRs when they are public addresses, or any other network of yours.
   */
  blockedCIDRs: z.array(cidrBlock('203.0.113.0/24')).default([]),
  /**
   * The API server's address as the runner pods reach it (`kubectl get endpoints kubernetes -n default`): only sets in
   * containerMode kubernetes talk to it, to start their job pods.
   */
  apiServer: z.strictObject({ cidr: cidrBlock('10.0.0.5/32'), port: z.int().min(1).max(65535).default(6443) }).optional(),
});

type Options = z.output<typeof options>;

export const inputOf = (set: Pick<RunnerSet, 'input' | 'auth'>): string => set.input ?? (set.auth === 'app' ? APP_INPUT : TOKEN_INPUT);
export const runnerNamespaceOf = (set: Pick<RunnerSet, 'namespace'>, options: Pick<Options, 'runnerNamespace'>): string => set.namespace ?? options.runnerNamespace;
/** The Secret the chart is given by name (githubConfigSecret as a string: a pre-defined secret in the set's namespace). */
export const githubSecretName = (set: Pick<RunnerSet, 'name'>): string => `${set.name}-github`;
export const applicationName = (set: Pick<RunnerSet, 'name'>): string => `runner-set-${set.name}`;

/** k8s.io/apimachinery pkg/util/rand/rand.go SafeEncodeString: each character mapped into an alphabet without vowels. */
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * The AutoscalingListener the controller creates for a set in its own namespace: `<set>-<hash>-listener`, the hash of
 * "namespace@runnerGroup@url" (controllers/actions.github.com/resourcebuilder.go scaleSetListenerName, hashSuffix;
 * hash/fnv.go FNVHashString: FNV-1a 32 of the string, its decimal digits safe-encoded).
 */
export function listenerName(set: Pick<RunnerSet, 'name' | 'githubConfigUrl' | 'runnerGroup'>, namespace: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`${namespace}@${set.runnerGroup ?? ''}@${set.githubConfigUrl.replace(/\/$/, '')}`)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  const encoded = [...String(hash)].map((c) => SAFE_ALPHANUMS[c.charCodeAt(0) % SAFE_ALPHANUMS.length]).join('');
  return `${set.name}-${encoded.slice(0, 8)}-listener`;
}

/**
 * The runner container: the chart keeps every key of a container named "runner" and adds its mode's env and mounts
 * (templates/_helpers.tpl dind-runner-container, kubernetes-mode-runner-container, default-mode-runner-containers).
 * Helm replaces lists, so image and command are restated from the chart's values.yaml.
 */
function runnerValues(set: RunnerSet, namespace: string, controllerNamespace: string): Record<string, unknown> {
  const work = { name: 'work', mountPath: '/home/runner/_work' };
  const volume = set.storage && {
    name: 'work',
    ephemeral: {
      volumeClaimTemplate: {
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(set.storage.storageClass && { storageClassName: set.storage.storageClass }),
          resources: { requests: { storage: set.storage.size } },
        },
      },
    },
  };
  // Keys as charts/gha-runner-scale-set reads them at 0.14.2: githubConfigSecret as a string names a Secret the chart does
  // not create (templates/_helpers.tpl gha-runner-scale-set.githubsecret); controllerServiceAccount skips the lookup
  // (managerServiceAccountName); namespaceOverride places every object (gha-runner-scale-set.namespace).
  return {
    githubConfigUrl: set.githubConfigUrl,
    githubConfigSecret: githubSecretName(set),
    ...(set.runnerGroup && { runnerGroup: set.runnerGroup }),
    minRunners: set.minRunners,
    maxRunners: set.maxRunners,
    // The chart's helm lookup of the controller Deployment finds nothing when Argo CD renders it (no cluster access).
    controllerServiceAccount: { name: CONTROLLER_NAME, namespace: controllerNamespace },
    namespaceOverride: namespace,
    ...(set.containerMode && { containerMode: { type: set.containerMode } }),
    template: {
      spec: {
        containers: [
          {
            name: 'runner',
            image: set.image,
            command: ['/home/runner/run.sh'],
            ...(set.resources && { resources: set.resources }),
            // The chart mounts "work" itself in dind and kubernetes mode, and nothing in the default mode.
            ...(volume && { volumeMounts: [work] }),
          },
        ],
        ...(volume && { volumes: [volume] }),
      },
    },
  };
}

function runnerSetApplication(set: RunnerSet, input: { namespace: string; controllerNamespace: string; argoNamespace: string }): K8sObject {
  return extraApplication({
    name: applicationName(set),
    component: 'runners',
    argoNamespace: input.argoNamespace,
    namespace: input.namespace,
    wave: RUNNER_SETS_WAVE,
    sources: [
      {
        repoURL: argoHelmRepoURL(ARC_CHARTS),
        chart: 'gha-runner-scale-set',
        targetRevision: ARC_VERSION,
        helm: { releaseName: set.name, valuesObject: deepMerge(runnerValues(set, input.namespace, input.controllerNamespace), set.values) },
      },
    ],
    syncOptions: ['ServerSideApply=true'],
  });
}

const selectNamespace = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });

/**
 * Everything in a runner namespace is runner pods (and, in kubernetes mode, their job pods): nothing may call them,
 * and they reach only DNS, public addresses, the API server when their mode needs it, and the egress a set names.
 */
function isolation(namespace: string, sets: RunnerSet[], options: Options): K8sObject {
  // networking.k8s.io/v1 NetworkPolicy (k8s.io/api networking/v1 types.go): Ingress in policyTypes with no ingress rules
  // admits nothing; ipBlock except closes blocks inside cidr.
  const closed = (family: 4 | 6) => [...new Set([...PRIVATE_RANGES[family], ...options.blockedCIDRs.filter((c) => parseCidr(c)?.family === family)])];
  const extra = sets.flatMap((s) => s.egress);
  const reasons = ['jobs fetch code, actions, packages and images from GitHub and the internet', openReasons(extra)].filter(Boolean).join('; ');
  const apiServer = sets.some((s) => s.containerMode === 'kubernetes') && options.apiServer;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'runners-isolation', namespace, annotations: { [EGRESS_INTERNET_OPT_OUT]: reasons } },
    spec: {
      podSelector: {},
      // Ingress listed without rules: nothing may connect to a runner.
      policyTypes: ['Ingress', 'Egress'],
      egress: [
        { to: [selectNamespace('kube-system')], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        { to: ([4, 6] as const).map((f) => ({ ipBlock: { cidr: EVERYWHERE[f], except: closed(f) } })) },
        ...(apiServer ? [{ to: [{ ipBlock: { cidr: apiServer.cidr } }], ports: [{ protocol: 'TCP', port: apiServer.port }] }] : []),
        ...outboundRules(extra),
      ],
    },
  };
}

/** Namespaces whose Secrets runner pods must never share: every other component's, the apps' and the platform's own. */
function platformNamespaces(cluster: ClusterConfig, namespaceOf: (id: string) => string, argoNamespace: string, controllerNamespace: string): Map<string, string> {
  const owners = new Map<string, string>([
    ...['kube-system', 'kube-public', 'kube-node-lease', 'default'].map((ns): [string, string] => [ns, 'Kubernetes itself']),
    [argoNamespace, 'Argo CD'],
    [SECRETS_NAMESPACE, "Plinth's secret store"],
    [DATABASES_NAMESPACE, 'the databases'],
    [controllerNamespace, 'the ARC controller, which holds each listener\'s GitHub credentials'],
  ]);
  for (const id of Object.keys(cluster.components))
    if (id !== 'runners' && !owners.has(namespaceOf(id))) owners.set(namespaceOf(id), `the ${id} component`);
  for (const app of cluster.apps) for (const stage of app.stages) if (!owners.has(stageNamespace(stage))) owners.set(stageNamespace(stage), `app "${app.name}" (stage ${stage})`);
  return owners;
}

function namespaceIssues(cluster: ClusterConfig, options: Options, namespaceOf: (id: string) => string, argoNamespace: string, controllerNamespace: string): ConfigIssue[] {
  const owners = platformNamespaces(cluster, namespaceOf, argoNamespace, controllerNamespace);
  const issues: ConfigIssue[] = [];
  const check = (namespace: string, path: (string | number)[]) => {
    const owner = owners.get(namespace);
    if (owner)
      issues.push({
        path: formatPath(['components', 'runners', ...path]),
        message: `"${namespace}" is the namespace of ${owner}: runner pods run any workflow's code and must not share a namespace with the platform's Secrets`,
        hint: `give the runners a namespace of their own, e.g. "${DEFAULT_RUNNER_NAMESPACE}"`,
      });
  };
  if (options.sets.some((s) => !s.namespace)) check(options.runnerNamespace, ['runnerNamespace']);
  options.sets.forEach((set, i) => set.namespace && check(set.namespace, ['sets', i, 'namespace']));
  return issues;
}

/**
 * Objects other parts of the config add by hand that would reach a runner namespace: anything placed in it, and a
 * ClusterSecret whose matchNamespace patterns (clustersecret.io: regular expressions) match it.
 */
function handAddedIssues(cluster: ClusterConfig, runnerNamespaces: string[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const sources: { objects: K8sObject[]; path: (string | number)[] }[] = [
    ...Object.entries(cluster.components).filter(([id]) => id !== 'runners').map(([id, c]) => ({ objects: c.common.extraObjects ?? [], path: ['components', id, 'extraObjects'] })),
    ...cluster.apps.map((app, i) => ({ objects: app.extraObjects, path: ['apps', i, 'extraObjects'] })),
  ];
  for (const { objects, path } of sources)
    objects.forEach((object, j) => {
      const patterns = object.kind === 'ClusterSecret' ? ((object as { matchNamespace?: unknown }).matchNamespace ?? []) : [];
      const reached = runnerNamespaces.filter(
        (ns) => object.metadata.namespace === ns || (Array.isArray(patterns) && patterns.some((p) => typeof p === 'string' && matchesNamespace(p, ns))),
      );
      if (reached.length > 0)
        issues.push({
          path: formatPath([...path, j]),
          message: `${object.kind} ${object.metadata.name} reaches the runner namespace ${reached.join(', ')}, where any workflow's code runs`,
          hint: 'keep it out of the runner namespaces; a runner set that needs a credential gets it through components.runners (its own input)',
        });
    });
  return issues;
}

/** Anchored at the start only, as Python's re.match, which ClusterSecret's operator uses: the wider reading. */
function matchesNamespace(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})`).test(value);
  } catch {
    return false;
  }
}

function apiServerIssues(options: Options): ConfigIssue[] {
  if (options.apiServer) return [];
  const i = options.sets.findIndex((s) => s.containerMode === 'kubernetes');
  return i < 0
    ? []
    : [
        {
          path: formatPath(['components', 'runners', 'apiServer']),
          message: `is required: sets[${i}] runs in containerMode "kubernetes", whose runners call the API server, which the runners' NetworkPolicy closes otherwise`,
          hint: 'give the address from `kubectl get endpoints kubernetes -n default`, e.g. apiServer: { cidr: "10.0.0.5/32", port: 6443 }',
        },
      ];
}

/** The sets of each runner namespace, in the order they are first named. */
function byNamespace(options: Options): Map<string, RunnerSet[]> {
  const groups = new Map<string, RunnerSet[]>();
  for (const set of options.sets) groups.set(runnerNamespaceOf(set, options), [...(groups.get(runnerNamespaceOf(set, options)) ?? []), set]);
  return groups;
}

export const runners = defineComponent({
  id: 'runners',
  description: "GitHub Actions runners: ARC's scale-set controller and one runner scale set per entry, isolated in their own namespaces",
  namespace: 'arc-systems',
  needs: ['external-secrets'],
  options,
  chart: () => ({ repoURL: ARC_CHARTS, chart: 'gha-runner-scale-set-controller', version: ARC_VERSION, releaseName: CONTROLLER_RELEASE, values: {} }),
  resources: ({ cluster, namespace, argoNamespace, options, namespaceOf }) => {
    const issues = [
      ...apiServerIssues(options),
      ...namespaceIssues(cluster, options, namespaceOf, argoNamespace, namespace),
      ...handAddedIssues(cluster, [...byNamespace(options).keys()]),
    ];
    if (issues.length > 0) throw new ConfigError(issues);
    const objects: K8sObject[] = [];
    for (const [runnerNamespace, sets] of byNamespace(options)) {
      // dind runs a privileged container; the other modes stay within the baseline level.
      const privileged = sets.filter((s) => s.containerMode === 'dind').map((s) => `${s.name}: ${s.privileged!.trim()}`);
      objects.push({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: runnerNamespace,
          labels: { [POD_SECURITY]: privileged.length > 0 ? 'privileged' : 'baseline' },
          ...(privileged.length > 0 && { annotations: { [PRIVILEGED_REASON]: privileged.join('; ') } }),
        },
      });
      objects.push(isolation(runnerNamespace, sets, options));
    }
    for (const set of options.sets) {
      const setNamespace = runnerNamespaceOf(set, options);
      const input = inputOf(set);
      objects.push(
        externalSecret({
          name: githubSecretName(set),
          namespace: setNamespace,
          keys: AUTH_KEYS[set.auth].map((k) => ({ secretKey: k.secretKey, input, key: k.key })),
        }),
        runnerSetApplication(set, { namespace: setNamespace, controllerNamespace: namespace, argoNamespace }),
      );
    }
    return objects;
  },
  secrets: ({ options }): SecretInput[] => {
    const seen = new Map<string, RunnerSet[]>();
    for (const set of options.sets) seen.set(inputOf(set), [...(seen.get(inputOf(set)) ?? []), set]);
    return [...seen].map(([name, sets]) => {
      const app = sets[0]!.auth === 'app';
      return {
        name,
        keys: AUTH_KEYS[sets[0]!.auth].map((k) => ({ key: k.key, description: k.description })),
        purpose: `registers the runner set${sets.length > 1 ? 's' : ''} ${sets.map((s) => s.name).join(', ')} with GitHub (${[...new Set(sets.map((s) => s.githubConfigUrl))].join(', ')})`,
        howToGet: app
          ? 'create a GitHub App (organisation: Self-hosted runners read and write; repository: Administration read and write), install it, and note its app id, the installation id from the installation URL, and a generated private key'
          : 'create a personal access token: classic with repo (repository runners) or admin:org (organisation runners), or fine-grained with Administration read and write',
      };
    });
  },
  health: ({ namespace, argoNamespace, options }): HealthCheck[] => [
    { description: 'ARC controller', apiVersion: 'apps/v1', kind: 'Deployment', name: CONTROLLER_NAME, namespace },
    ...options.sets.flatMap((set): HealthCheck[] => {
      const setNamespace = runnerNamespaceOf(set, options);
      return [
        {
          description: `runner set ${set.name}: Application synced`,
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          name: applicationName(set),
          namespace: argoNamespace,
          blame: 'argo-cd',
        },
        {
          description: `runner set ${set.name}: GitHub ${set.auth === 'app' ? 'App' : 'token'} delivered`,
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          name: githubSecretName(set),
          namespace: setNamespace,
          blame: 'external-secrets',
        },
        {
          description: `runner set ${set.name}: registered with GitHub`,
          apiVersion: 'actions.github.com/v1alpha1',
          kind: 'AutoscalingRunnerSet',
          name: set.name,
          namespace: setNamespace,
        },
        {
          description: `runner set ${set.name}: listener waiting for jobs`,
          apiVersion: 'actions.github.com/v1alpha1',
          kind: 'AutoscalingListener',
          name: listenerName(set, setNamespace),
          namespace,
          hint: `the controller creates the listener once the set is registered with GitHub: kubectl logs -n ${namespace} deploy/${CONTROLLER_NAME}`,
        },
      ];
    }),
  ],
});
