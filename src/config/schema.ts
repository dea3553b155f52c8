import { z } from 'zod';
import type { AnyComponent, K8sObject } from '../core/types.ts';

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

const compute = (cpu: string, memory: string) => z.strictObject({ cpu: quantity.default(cpu), memory: quantity.default(memory) }).default({ cpu, memory });

const appResources = z
  .strictObject({ requests: compute('100m', '128Mi'), limits: compute('1', '256Mi') })
  .superRefine(requestsWithinLimits('limit', 'Kubernetes would refuse the Deployment'));

const httpPath = z.string().regex(/^\/[^\s]*$/, { error: 'must be an HTTP path starting with "/", such as "/healthz"' });

const postgresServer = z.strictObject({
  name: dnsLabel,
  instances: z.int().min(1).max(9).default(1),
  storageClass: dnsLabel.optional(),
  dataSize: quantity.default('10Gi'),
  walSize: quantity.default('2Gi'),
});

const database = z.strictObject({
  name: dnsLabel,
  server: dnsLabel.default('main'),
  owner: dnsLabel.optional(),
});

const topic = z.strictObject({
  name: dnsLabel,
  partitions: count(1).default(1),
  replicas: count(1).default(1),
});

const cache = z.strictObject({
  name: dnsLabel,
  replicas: count(0).default(0),
  size: quantity.default('1Gi'),
});

const app = z.strictObject({
  name: dnsLabel.max(40, { error: 'must be at most 40 characters: it also names the app\'s Kargo project and Argo CD Applications' }),
  image: imageRepository,
  /** Tags Kargo may promote, as a semver constraint (Masterminds syntax): "*" is every release. */
  semver: z.string().min(1).default('*'),
  port: z.int().min(1).max(65535).default(8080),
  replicas: count(0).default(1),
  host: hostname.optional(),
  database: dnsLabel.optional(),
  cache: dnsLabel.optional(),
  /** Other apps this one sends requests to (e.g. the BFF to the API): the only app-to-app traffic allowed. */
  calls: z.array(dnsLabel).default([]),
  topics: z
    .strictObject({ produce: z.array(dnsLabel).default([]), consume: z.array(dnsLabel).default([]) })
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
  probes: z
    .strictObject({ liveness: httpPath.default('/healthz'), readiness: httpPath.default('/healthz') })
    .default({ liveness: '/healthz', readiness: '/healthz' }),
  /** Merged last into each stage's Deployment: the escape hatch for what the declaration does not cover. */
  deployment: z.record(z.string(), z.unknown()).optional(),
  /** Extra objects rendered into each stage beside the app (namespace defaults to the stage's). */
  extraObjects: z.array(k8sObject).default([]),
  // Workload shape, probes, security relaxations, GPU, volumes (src/apps/workload.ts).
  // Network: egress, routes; migrations (src/apps/network.ts, src/apps/migrate.ts).
  // Environment contract: renames, connection URLs, consumer group (src/apps/env.ts).
});

/** Options every component accepts besides its own. */
export const commonComponentOptions = {
  namespace: dnsLabel.optional(),
  needs: z.array(z.string()).optional(),
  values: z.record(z.string(), z.unknown()).optional(),
  extraObjects: z.array(k8sObject).optional(),
};

export interface CommonComponentOptions {
  namespace?: string;
  needs?: string[];
  values?: Record<string, unknown>;
  extraObjects?: K8sObject[];
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

export interface EnabledComponent {
  options: Record<string, unknown>;
  common: CommonComponentOptions;
}

/** The validated, defaulted cluster definition every command works from. */
export interface ClusterConfig extends Base {
  components: Record<string, EnabledComponent>;
}

type ComponentsInput<R extends Registry> = {
  [K in keyof R]?: true | (z.input<R[K]['options']> & CommonComponentOptions);
};

export type ClusterInput<R extends Registry> = z.input<z.ZodObject<typeof baseShape>> & {
  components: ComponentsInput<R>;
};
