import { z } from 'zod';
import type { AnyComponent, K8sObject } from '../core/types.ts';
import { networkShape } from '../apps/network-options.ts';
import { consumerGroupId, envShape } from '../apps/env-options.ts';
import { imageShape, semverConstraint } from '../apps/images.ts';
import { deliveryShape, rolloutShape } from '../apps/delivery.ts';
import { appSecretsShape, secretInputsShape } from '../secrets/options.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$/;
const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/;

export const dnsLabel = z
  .string()
  .regex(DNS_LABEL, { error: 'must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric' });

export const hostname = z
  .string()
  .regex(HOSTNAME, { error: 'must be a lowercase DNS hostname such as "app.example.org" (no scheme, port or path)' });

/**
 * The largest quantity Kubernetes keeps: k8s.io/apimachinery pkg/api/resource/quantity.go ParseQuantity caps a
 * binary-SI quantity ("Ti", "Ei") silently at 2^63-1, and Value() overflows int64 past it.
 */
export const MAX_QUANTITY = 2 ** 63 - 1;

export const quantity = z
  .string()
  .regex(QUANTITY, { error: 'must be a Kubernetes quantity such as "500m", "256Mi" or "20Gi"' })
  .refine((value) => !(quantityValue(value) > MAX_QUANTITY), {
    error: 'is larger than any quantity Kubernetes keeps (2^63-1, about 8Ei): it would be capped or overflow',
    params: { hint: 'use a realistic size, e.g. "500Gi" or "2Ti"' },
  });

/** The largest int32: Kubernetes stores replica counts, ports and most other counts as int32. */
export const INT32_MAX = 2 ** 31 - 1;
const count = (min: number) => z.int().min(min).max(INT32_MAX);

const QUANTITY_UNITS: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity, for comparisons; NaN (never greater nor smaller) when it is not one. */
export function quantityValue(value: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$/.exec(value);
  const unit = match ? QUANTITY_UNITS[match[2]!] : undefined;
  return match && unit !== undefined ? Number(match[1]) * unit : NaN;
}

type Compute = { cpu: string; memory: string };

/** A refinement for options with requests and limits: a request above its limit is refused by Kubernetes. */
export const requestsWithinLimits =
  (limitName: string, consequence: string) => (value: { requests: Compute; limits: Compute }, ctx: z.RefinementCtx) => {
    for (const resource of ['cpu', 'memory'] as const) {
      if (quantityValue(value.requests[resource]) > quantityValue(value.limits[resource]))
        ctx.addIssue({
          code: 'custom',
          path: ['requests', resource],
          message: `exceeds the ${limitName} ${value.limits[resource]}; ${consequence}`,
        });
    }
  };

const chartCompute = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });

/** Optional requests and limits of a chart's container; a request above its limit is refused, as Kubernetes refuses `pods`. */
export const containerResources = (pods: string) =>
  z.strictObject({ requests: chartCompute.optional(), limits: chartCompute.optional() }).superRefine((value, ctx) => {
    for (const key of ['cpu', 'memory'] as const) {
      const request = value.requests?.[key];
      const limit = value.limits?.[key];
      if (request && limit && quantityValue(request) > quantityValue(limit))
        ctx.addIssue({
          code: 'custom',
          path: ['requests', key],
          message: `is more than its limit ${limit}: Kubernetes would refuse ${pods}`,
          params: { hint: `lower requests.${key} or raise limits.${key}` },
        });
    }
  });

const imageRepository = z.string().superRefine((value, ctx) => {
  if (/@sha256:/.test(value) || /:[^/]*$/.test(value.replace(/^[^/]+:[0-9]+\//, ''))) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" carries a tag or digest; give the repository only (Kargo owns tags), e.g. "${value.replace(/[:@][^/]*$/, '')}"`,
    });
  } else if (!IMAGE_REPOSITORY.test(value)) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an image repository such as "ghcr.io/org/app"` });
  }
});

export const k8sObject = z.custom<K8sObject>(
  (value) => {
    if (typeof value !== 'object' || value === null) return false;
    const o = value as Record<string, unknown>;
    const meta = o.metadata as Record<string, unknown> | undefined;
    return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof meta?.name === 'string';
  },
  { error: 'must be a Kubernetes object with apiVersion, kind and metadata.name' },
);

/**
 * An extended resource such as "nvidia.com/gpu": a domain-prefixed name outside kubernetes.io
 * (k8s.io/kubernetes pkg/apis/core/helper/helpers.go IsExtendedResourceName), or a node-level one Kubernetes names itself.
 */
const EXTENDED_RESOURCE = /^(?!([a-z0-9.-]*\.)?kubernetes\.io\/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const extendedResource = z.string().regex(EXTENDED_RESOURCE, {
  error: 'must be an extended resource name such as "nvidia.com/gpu" (a domain outside kubernetes.io, "/", a name)',
});
const resourceName = z.union([z.enum(['ephemeral-storage']), z.string().regex(/^hugepages-[0-9]+(Ki|Mi|Gi)$/), extendedResource], {
  error: 'must be cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource such as "nvidia.com/gpu"',
});
const compute = (cpu: string, memory: string) =>
  z.strictObject({ cpu: quantity.default(cpu), memory: quantity.default(memory) }).catchall(quantity).superRefine((value, ctx) => {
    for (const key of Object.keys(value))
      if (key !== 'cpu' && key !== 'memory' && !resourceName.safeParse(key).success)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key}" is not a resource Kubernetes schedules on`,
          params: { hint: 'use cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed extended resource such as "nvidia.com/gpu"' },
        });
  }).default({ cpu, memory });

const appResources = z
  .strictObject({ requests: compute('100m', '128Mi'), limits: compute('1', '256Mi') })
  .superRefine(requestsWithinLimits('limit', 'Kubernetes would refuse the Deployment'));

const httpPath = z.string().regex(/^\/[^\s]*$/, { error: 'must be an HTTP path starting with "/", such as "/healthz"' });

/** An IANA service name, as Kubernetes checks a port name (k8s.io/apimachinery pkg/util/validation/validation.go IsValidPortName). */
const portName = z
  .string()
  .regex(/^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/, { error: 'must be a port name: at most 15 lowercase letters, digits and single "-", with at least one letter' });

const absolutePath = z.string().regex(/^\/\S*$/, { error: 'must be an absolute path such as "/app"' });

const relaxationReason = z.string().refine((reason) => reason.trim() !== '', {
  error: 'gives no reason: a relaxation of the hardening must say why',
  params: { hint: 'write why the app needs it, e.g. "the image has no USER yet"' },
});

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31, any: true },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'], offset: 1 },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], offset: 0, any: true },
];

/** Why one cron field is not one robfig/cron/v3 ParseStandard (parser.go getRange) takes, or undefined when it is. */
function cronFieldProblem(text: string, field: (typeof CRON_FIELDS)[number]): string | undefined {
  const value = (part: string) => {
    const index = field.names?.indexOf(part.toLowerCase()) ?? -1;
    const n = index >= 0 ? index + field.offset! : /^[0-9]+$/.test(part) ? Number(part) : NaN;
    return n >= field.min && n <= field.max ? n : undefined;
  };
  for (const item of text.split(',')) {
    const [range, step, ...rest] = item.split('/');
    if (rest.length > 0 || (step !== undefined && !/^[1-9][0-9]*$/.test(step))) return `"${item}" has a step that is not a positive number`;
    if (range === '*' || (range === '?' && field.any)) continue;
    const [low, high, ...more] = range!.split('-');
    const from = value(low!);
    const to = high === undefined ? from : value(high);
    if (more.length > 0 || from === undefined || to === undefined || from > to)
      return `"${item}" is not a ${field.name} between ${field.min} and ${field.max}${field.names ? ` (or ${field.names[0]!.toUpperCase()}–${field.names.at(-1)!.toUpperCase()})` : ''}`;
  }
  return undefined;
}

/**
 * A CronJob schedule as Kubernetes parses it: five fields or a descriptor, with robfig/cron/v3 ParseStandard
 * (k8s.io/kubernetes pkg/apis/batch/validation/validation.go validateScheduleFormat). Time zones go in no schedule.
 */
const cronSchedule = z.string().superRefine((schedule, ctx) => {
  const fields = schedule.trim().split(/\s+/);
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(schedule.trim())) return;
  const problem =
    fields.length !== 5
      ? `has ${fields.length} field${fields.length === 1 ? '' : 's'}: a Kubernetes schedule has five (minute hour day-of-month month day-of-week)${fields.length === 6 ? ', no seconds' : ''}`
      : fields.map((text, i) => cronFieldProblem(text, CRON_FIELDS[i]!)).find(Boolean);
  if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { hint: 'e.g. "0 3 * * *" (every day at 03:00 UTC) or "*/15 * * * *"' } });
});

const toleration = z.strictObject({
  key: z.string().min(1).optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.int().optional(),
});

const appVolume = z
  .strictObject({
    name: dnsLabel,
    mountPath: absolutePath,
    /** A PersistentVolumeClaim of this size per stage. */
    size: quantity.optional(),
    storageClass: dnsLabel.optional(),
    emptyDir: z.strictObject({ sizeLimit: quantity.optional(), medium: z.enum(['Memory']).optional() }).optional(),
  })
  .superRefine((volume, ctx) => {
    if ((volume.size === undefined) === (volume.emptyDir === undefined))
      ctx.addIssue({
        code: 'custom',
        message: volume.size === undefined ? 'has neither size nor emptyDir' : 'has both size and emptyDir',
        params: { hint: 'give size (a PersistentVolumeClaim per stage) or emptyDir: {} (scratch space that lives as long as the pod), not both' },
      });
    if (volume.storageClass !== undefined && volume.size === undefined)
      ctx.addIssue({ code: 'custom', path: ['storageClass'], message: 'only applies to a volume with a size', params: { hint: 'remove storageClass or give a size' } });
  });

/** A probe: an HTTP path (on the "http" port), `{ http, port? }`, `{ tcp }`, `{ exec }` or false for none. */
export type ProbeInput =
  | string
  | false
  | ((
      | { http: string; port?: string | number }
      | { tcp: string | number }
      | { exec: string[] }
    ) & { initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number });

const PROBE_TUNING = ['initialDelaySeconds', 'periodSeconds', 'failureThreshold'];
const PROBE_HINT = 'give an HTTP path ("/healthz"), { http: "/healthz", port: "admin" }, { tcp: "http" }, { exec: ["cat", "/tmp/ready"] } or false';

const probe = z.custom<ProbeInput>().superRefine((value, ctx) => {
  const issue = (message: string, path: (string | number)[] = [], hint = PROBE_HINT) => ctx.addIssue({ code: 'custom', path, message, params: { hint } });
  if (value === false) return;
  if (typeof value === 'string') {
    if (!httpPath.safeParse(value).success) issue('must be an HTTP path starting with "/", such as "/healthz"');
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return issue(`must be a probe, got ${JSON.stringify(value)}`);
  const o = value as Record<string, unknown>;
  const forms = ['http', 'tcp', 'exec'].filter((k) => k in o);
  if (forms.length !== 1) return issue(forms.length === 0 ? 'names no check: give one of http, tcp or exec' : `has ${forms.join(' and ')}: give exactly one`);
  const form = forms[0]!;
  for (const key of Object.keys(o))
    if (key !== form && !PROBE_TUNING.includes(key) && !(form === 'http' && key === 'port')) issue(`unknown key "${key}"`, [key]);
  const port = (v: unknown, path: string) => {
    if (!(typeof v === 'number' ? Number.isInteger(v) && v >= 1 && v <= 65535 : portName.safeParse(v).success))
      issue(`must be a port number or the name of one of the app's ports ("http" or one of ports[].name)`, [path]);
  };
  if (form === 'http' && !httpPath.safeParse(o.http).success) issue('must be an HTTP path starting with "/", such as "/healthz"', ['http']);
  if (form === 'http' && o.port !== undefined) port(o.port, 'port');
  if (form === 'tcp') port(o.tcp, 'tcp');
  if (form === 'exec' && !(Array.isArray(o.exec) && o.exec.length > 0 && o.exec.every((a) => typeof a === 'string') && o.exec[0] !== ''))
    issue('must be a non-empty command, such as ["pg_isready", "-q"]', ['exec'], 'give the command and its arguments as a list of strings, or use false for no probe');
  for (const key of PROBE_TUNING)
    if (o[key] !== undefined && !(Number.isInteger(o[key]) && (o[key] as number) >= (key === 'initialDelaySeconds' ? 0 : 1) && (o[key] as number) <= INT32_MAX))
      issue(`must be an integer of at least ${key === 'initialDelaySeconds' ? 0 : 1}`, [key], 'in seconds (or a count, for failureThreshold)');
});

const postgresServer = z.strictObject({
  name: dnsLabel,
  /** Namespace of the CloudNativePG Cluster: "databases" by default; an existing Cluster's own to adopt it in place. */
  namespace: dnsLabel.optional(),
  instances: z.int().min(1).max(9).default(1),
  storageClass: dnsLabel.optional(),
  dataSize: quantity.default('10Gi'),
  walSize: quantity.default('2Gi'),
  /** How the server was (or is) created: CloudNativePG `bootstrap.initdb` (src/components/cloudnative-pg/bootstrap.ts). */
  initdb: z
    .strictObject({
      database: dnsLabel.optional(),
      owner: dnsLabel.optional(),
      postInitSQL: z.array(z.string().min(1)).optional(),
      postInitApplicationSQL: z.array(z.string().min(1)).optional(),
      /** Copy databases from another PostgreSQL with pg_dump/pg_restore (CloudNativePG `initdb.import`). */
      import: z
        .strictObject({
          type: z.enum(['microservice', 'monolith']).default('microservice'),
          databases: z.array(z.string().min(1)).min(1),
          roles: z.array(z.string().min(1)).optional(),
          schemaOnly: z.boolean().optional(),
          /** The source PostgreSQL; its password is the secret input `pg-import-<server>` (key `password`). */
          source: z.strictObject({
            host: z.string().min(1),
            port: z.int().min(1).max(65535).default(5432),
            user: z.string().min(1).default('postgres'),
            dbname: z.string().min(1).default('postgres'),
            sslmode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).default('require'),
          }),
        })
        .optional(),
    })
    .optional(),
});

/** Why a stage uses the data of the app's last stage instead of its own: required, and shown by validate and in the catalogue. */
const shareReason = z.string().refine((reason) => reason.trim() !== '', {
  error: 'gives no reason: sharing the last stage\'s data with an earlier stage must say why',
  params: { hint: 'write why this stage may see that data, e.g. "the cache holds only feature flags", or remove share to give the stage its own' },
});

/**
 * Per-stage choices for a data service. Every stage of an app gets its own copy (`<name>-<stage>`) except the app's
 * last stage, which uses the declared name (src/apps/stage-data.ts); `share` opts a stage out, with a reason.
 */
const dataStages = <T extends z.ZodRawShape>(extra: T) =>
  z.record(dnsLabel, z.strictObject({ share: shareReason.optional(), ...extra })).default({});

const database = z.strictObject({
  name: dnsLabel,
  server: dnsLabel.default('main'),
  owner: dnsLabel.optional(),
  /** Several databases with one owner role: each states `sharedOwner: true`, and one Secret holds the role's password. */
  sharedOwner: z.boolean().default(false),
  /** Per stage: `server` puts the stage's database on another declared server; `share` uses the last stage's. */
  stages: dataStages({ server: dnsLabel.optional() }),
});

const topic = z.strictObject({
  name: dnsLabel,
  partitions: count(1).default(1),
  replicas: count(1).default(1),
  stages: dataStages({}),
});

const cache = z.strictObject({
  name: dnsLabel,
  replicas: count(0).default(0),
  size: quantity.default('1Gi'),
  stages: dataStages({}),
});

/**
 * A GitHub team slug of the sso component's organisation (oauth2-proxy reads a user's teams as "<org>:<slug>",
 * oauth2-proxy v7.15.3 providers/github.go getTeams).
 */
export const githubTeam = z.string().regex(/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/, {
  error: 'must be a GitHub team slug such as "platform-team" (lowercase, as in the team\'s URL)',
});

/** `sso: true` puts a host behind the sso component's GitHub login; a list of teams admits only their members (src/core/sso.ts). */
export const ssoOption = z.union([z.literal(true), z.array(githubTeam).refine((teams) => teams.length > 0, { error: 'lists no team', params: { hint: 'use true to admit every member of the organisation, or name the teams' } })], {
  error: 'must be true (every member of the GitHub organisation) or a list of GitHub team slugs such as ["platform"]',
});

const app = z.strictObject({
  name: dnsLabel.max(40, { error: 'must be at most 40 characters: it also names the app\'s Kargo project and Argo CD Applications' }),
  image: imageRepository,
  /** Tags Kargo may promote, as a semver constraint (Masterminds syntax): "*" is every release. */
  semver: semverConstraint.default('*'),
  port: z.int().min(1).max(65535).default(8080),
  replicas: count(0).default(1),
  host: hostname.optional(),
  database: dnsLabel.optional(),
  cache: dnsLabel.optional(),
  /** Other apps this one sends requests to (e.g. the BFF to the API): the only app-to-app traffic allowed. */
  calls: z.array(dnsLabel).default([]),
  topics: z
    .strictObject({
      produce: z.array(dnsLabel).default([]),
      consume: z.array(dnsLabel).default([]),
      /** The group the app consumes in, and KEDA measures lag for; defaults to the app's name. */
      consumerGroup: consumerGroupId.optional(),
    })
    .default({ produce: [], consume: [] }),
  scale: z
    .strictObject({
      topic: dnsLabel,
      minReplicas: count(0).default(0),
      maxReplicas: count(1),
      lagThreshold: count(1).default(10),
    })
    .optional(),
  stages: z.array(dnsLabel).min(1).default(['production']),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be an environment variable name' }), z.string()).default({}),
  resources: appResources.default({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } }),
  /** A service defaults to "/healthz" for liveness and readiness (src/apps/probes.ts); a worker or cronjob to none. */
  probes: z.strictObject({ liveness: probe.optional(), readiness: probe.optional(), startup: probe.optional() }).default({}),
  /** Merged last into each stage's Deployment: the escape hatch for what the declaration does not cover. */
  deployment: z.record(z.string(), z.unknown()).optional(),
  /** Extra objects rendered into each stage beside the app (namespace defaults to the stage's). */
  extraObjects: z.array(k8sObject).default([]),
  // Workload shape, probes, security relaxations, GPU, volumes (src/apps/workload.ts).
  kind: z.enum(['service', 'worker', 'cronjob']).default('service'),
  /** Required for (and only for) kind "cronjob". */
  cron: z
    .strictObject({
      schedule: cronSchedule,
      concurrencyPolicy: z.enum(['Forbid', 'Allow', 'Replace']).default('Forbid'),
      successfulJobsHistoryLimit: count(0).default(3),
      failedJobsHistoryLimit: count(0).default(1),
    })
    .optional(),
  /** Ports beside the main one (`port`, named "http"), on the container and the Service. */
  ports: z
    .array(z.strictObject({ name: portName, port: z.int().min(1).max(65535), protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP') }))
    .default([]),
  command: z
    .array(z.string())
    .refine((command) => command.length > 0 && command[0] !== '', {
      error: 'is empty: give the program and its arguments, e.g. ["npm", "start"]',
      params: { hint: 'remove command to run the image\'s ENTRYPOINT' },
    })
    .optional(),
  args: z.array(z.string()).optional(),
  workingDir: absolutePath.optional(),
  /** Each relaxation of the hardening names its reason, rendered beside it. */
  security: z
    .strictObject({
      runAsRoot: relaxationReason.optional(),
      writableRootFilesystem: relaxationReason.optional(),
      runAsUser: z.int().min(0).max(INT32_MAX).optional(),
      runAsGroup: z.int().min(0).max(INT32_MAX).optional(),
      fsGroup: z.int().min(0).max(INT32_MAX).optional(),
    })
    .default({}),
  gpu: z
    .strictObject({
      count: z.int().max(INT32_MAX).refine((n) => n >= 1, {
        error: 'must be at least 1: an app asks for whole GPUs',
        params: { hint: 'remove gpu for an app without one, or give count: 1' },
      }),
      resource: extendedResource.default('nvidia.com/gpu'),
      nodeSelector: z.record(z.string().min(1), z.string()).optional(),
      tolerations: z.array(toleration).optional(),
      runtimeClassName: dnsLabel.optional(),
    })
    .optional(),
  volumes: z.array(appVolume).default([]),
  /** The app's host behind the sso component's login (every route of it). */
  sso: ssoOption.optional(),
  // Network: egress, routes; migrations (src/apps/network.ts, src/apps/migrate.ts).
  ...networkShape,
  // Environment contract: renames, connection URLs, consumer group (src/apps/env.ts).
  // Image selection and promotion policy (src/apps/images.ts, src/apps/pipeline.ts).
  ...imageShape,
  ...rolloutShape,
  // Secret inputs of the app (src/apps/secrets.ts).
  ...appSecretsShape,
  ...envShape,
});

/** Options every component accepts besides its own. */
export const commonComponentOptions = {
  namespace: dnsLabel.optional(),
  needs: z.array(z.string()).optional(),
  values: z.record(z.string(), z.unknown()).optional(),
  extraObjects: z.array(k8sObject).optional(),
  /** Every public host the component publishes, behind the sso component's login (src/core/sso.ts). */
  sso: ssoOption.optional(),
};

export interface CommonComponentOptions {
  namespace?: string;
  needs?: string[];
  values?: Record<string, unknown>;
  extraObjects?: K8sObject[];
  sso?: true | string[];
}

const httpsURL = z.url({ protocol: /^https$/ });

/** Argo CD pulls the tree over https (docs/config.md); plain http would let anyone on the path change what it deploys. */
const gitRepoURL = z.string().superRefine((value, ctx) => {
  if (/^http:\/\//i.test(value) && httpsURL.safeParse(value.replace(/^http:/i, 'https:')).success)
    ctx.addIssue({
      code: 'custom',
      message: 'is a plain http URL: Argo CD would pull the tree unencrypted, and anyone on the way could change what it deploys',
      params: { hint: `use https: "${value.replace(/^http:/i, 'https:')}"` },
    });
  else if (!httpsURL.safeParse(value).success)
    ctx.addIssue({ code: 'custom', message: 'must be an https URL of the git repository Argo CD pulls from' });
});

const chartRepoURL = z.string().superRefine((value, ctx) => {
  if (/^http:\/\//i.test(value))
    ctx.addIssue({
      code: 'custom',
      message: 'is a plain http URL: Argo CD would fetch the chart unencrypted, and anyone on the way could change what it installs',
      params: { hint: `use https: "${value.replace(/^http:/i, 'https:')}"` },
    });
  else if (!/^(https|oci):\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[^\s?#]*)?$/.test(value))
    ctx.addIssue({
      code: 'custom',
      message: 'must be the URL of a Helm repository: https://... (a chart repository) or oci://... (an OCI registry)',
      params: { hint: 'e.g. "https://stefanprodan.github.io/podinfo" or "oci://ghcr.io/stefanprodan/charts"' },
    });
});

/** Helm's semver, without ranges: Argo CD reads a range in targetRevision and would install new releases unreviewed. */
const exactChartVersion = z.string().regex(/^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/, {
  error: 'must be an exact chart version such as "6.9.2": a range or "latest" would let Argo CD install a new upstream release nobody reviewed',
});

/** A DNS-1123 subdomain, as Kubernetes names Deployments, StatefulSets and DaemonSets. */
const objectName = z
  .string()
  .regex(HOSTNAME, { error: 'must be a Kubernetes object name: lowercase letters, digits, "-" and ".", at most 253 characters' });

/** Any other Helm chart, rendered as a component of its own (src/config/charts.ts). */
const userChart = z.strictObject({
  /** Names its Argo CD Application, Helm release, default namespace and manifests folder, like a component id. */
  name: dnsLabel,
  repo: chartRepoURL,
  chart: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'must be a chart name such as "podinfo" (no repository, no "/")' }),
  version: exactChartVersion,
  namespace: dnsLabel.optional(),
  /** Shown in the catalogue and by doctor. */
  description: z.string().min(1).optional(),
  values: z.record(z.string(), z.unknown()).optional(),
  /** Components or other charts installed first: their sync wave comes before this chart's. */
  needs: z.array(z.string()).default([]),
  /** A folder under the schemas directory's crds/ holding the chart's CRDs, so validate knows the kinds it serves. */
  crds: z
    .string()
    .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/, { error: 'must be a folder name under the schemas directory\'s crds/, such as "podinfo"' })
    .optional(),
  /** The workloads the chart runs, for doctor to check. */
  health: z
    .array(z.strictObject({ kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']), name: objectName, namespace: dnsLabel.optional() }))
    .default([]),
  extraObjects: z.array(k8sObject).optional(),
  /** Every host the chart's values or objects publish, behind the sso component's login (src/core/sso.ts). */
  sso: ssoOption.optional(),
});

export const baseShape = {
  name: dnsLabel,
  domain: hostname,
  git: z.strictObject({
    repoURL: gitRepoURL,
    revision: z.string().min(1).default('main'),
    path: z
      .string()
      .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: 'must be a relative path inside the repository, such as "rendered"' })
      // The tree is written to git.path beside the config: ".." would write it outside the repository.
      .refine((path) => !path.split('/').some((segment) => segment === '.' || segment === '..'), {
        error: 'must stay inside the repository: no "." or ".." segments',
        params: { hint: 'use a folder of the repository, such as "rendered" or "clusters/prod"' },
      })
      .default('rendered'),
  }),
  postgres: z
    .strictObject({ servers: z.array(postgresServer).default([]), databases: z.array(database).default([]) })
    .default({ servers: [], databases: [] }),
  topics: z.array(topic).default([]),
  caches: z.array(cache).default([]),
  apps: z.array(app).default([]),
  charts: z.array(userChart).default([]),
  ...deliveryShape,
  ...secretInputsShape,
};

export type Registry = Readonly<Record<string, AnyComponent>>;

export function componentsSchema(registry: Registry) {
  const componentShape: Record<string, z.ZodType> = {};
  for (const [id, component] of Object.entries(registry)) {
    componentShape[id] = z.strictObject({ ...component.options.shape, ...commonComponentOptions }).optional();
  }
  return z.strictObject(componentShape);
}

export function clusterSchema(registry: Registry) {
  return z.strictObject({ ...baseShape, components: componentsSchema(registry) });
}

type Base = z.output<z.ZodObject<typeof baseShape>>;
export type AppConfig = Base['apps'][number];
export type DatabaseConfig = Base['postgres']['databases'][number];
export type PostgresServerConfig = Base['postgres']['servers'][number];
export type TopicConfig = Base['topics'][number];
export type CacheConfig = Base['caches'][number];
export type UserChartConfig = Base['charts'][number];

export interface EnabledComponent {
  options: Record<string, unknown>;
  common: CommonComponentOptions;
  /** Where the config declares it, when not at components.<id>: `['charts', i]` for a chart. */
  path?: (string | number)[];
}

/** Where a resolved cluster runs: one entry of `environments` (src/config/environments.ts), without its overrides. */
export interface EnvironmentInfo {
  name: string;
  /** The kubeconfig context its commands use unless --context says otherwise. */
  context: string;
  preset?: 'local';
  /** The environment whose Argo CD manages this one (hub mode). */
  managedBy?: string;
  /** The API server URL the hub reaches this environment at. */
  server?: string;
  /** The app stages that run here; every stage when absent. */
  stages?: string[];
}

/** The validated, defaulted cluster definition every command works from. */
export interface ClusterConfig extends Base {
  components: Record<string, EnabledComponent>;
  /** Set when the config declares environments: the one this cluster is. */
  environment?: EnvironmentInfo;
}

type ComponentsInput<R extends Registry> = {
  [K in keyof R]?: true | (z.input<R[K]['options']> & CommonComponentOptions);
};

type BaseInput = z.input<z.ZodObject<typeof baseShape>>;

/** An override: any part of the base, lists of named things by name (src/config/environments.ts mergeOverrides). */
type Override<T> = T extends readonly (infer U)[] ? Override<U>[] : T extends object ? { [K in keyof T]?: Override<T[K]> } : T;

/** One environment: its cluster (kubeconfig context, hub, stages) and its overrides of the base declaration. */
export type EnvironmentInput<R extends Registry> = Override<BaseInput> & {
  context: string;
  preset?: 'local';
  managedBy?: string;
  server?: string;
  stages?: string[];
  /** `false` turns a component of the base off here; `true` keeps the base's options. */
  components?: { [K in keyof R]?: boolean | Override<z.input<R[K]['options']> & CommonComponentOptions> };
};

export type ClusterInput<R extends Registry> = BaseInput & {
  components: ComponentsInput<R>;
  /** Several clusters from one config, each with its own tree (docs/environments.md). */
  environments?: Record<string, EnvironmentInput<R>>;
};
