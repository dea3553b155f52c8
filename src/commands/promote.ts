import { randomBytes } from 'node:crypto';
import { projectName } from '../apps/pipeline.ts';
import type { AppConfig } from '../config/schema.ts';
import { loadCluster } from '../config/load.ts';
import type { K8sObject } from '../core/types.ts';
import { PlinthError, UsageError } from '../errors.ts';
import {
  CREATE_ACTOR_ANNOTATION,
  describeImage,
  failedStep,
  freightImage,
  PROMOTION_TERMINAL_PHASES,
  promotionStatus,
  promotionSteps,
  stageStatus,
  warehouseOrigin,
  type FailedStep,
  type FreightImage,
  type PromotionStep,
} from '../health/promotions.ts';
import type { ConnectOptions, LiveCluster } from '../kube/client.ts';
import type { LiveContext } from './live.ts';
import { connectEnvironment } from './environment.ts';

export const KARGO_API = 'kargo.akuity.io/v1alpha1';
/** Label and annotation Kargo's Promotion webhook sets to the Stage's name (api/v1alpha1/labels.go, annotations.go). */
const STAGE_KEY = 'kargo.akuity.io/stage';
const SHARD_LABEL = 'kargo.akuity.io/shard';
const ALIAS_LABEL = 'kargo.akuity.io/alias';

export interface PromoteOptions extends ConnectOptions {
  /** With environments: the one to work on (required then); its kubeconfig context unless --context is given. */
  env?: string;
  config?: string;
  /** A Freight's name, a unique prefix of it, or its alias. */
  freight?: string;
  /** The Freight whose image has this tag (or digest, sha256:…); the newest such when CI pushed the tag again. */
  image?: string;
  /** The Freight the stage ran before its current one: a rollback. */
  previous?: boolean;
  /** Follow the promotion until it ends. */
  wait?: boolean;
  /** Approve Freight that is not verified upstream for this stage first, as `kargo approve` does. */
  force?: boolean;
  /** With wait: give up waiting after this many seconds (the promotion goes on). */
  timeout?: number;
}

export interface PromoteContext extends LiveContext {
  now?: () => Date;
  /** How often --wait reads the Promotion; tests shorten it. */
  pollMs?: number;
}

export interface StepProgress {
  number: number;
  alias?: string;
  uses?: string;
  status: string;
  message?: string;
}

export interface PromoteResult {
  server: string;
  app: string;
  stage: string;
  namespace: string;
  promotion: string;
  freight: { name: string; alias?: string; tag?: string; digest?: string };
  /** How the Freight was chosen. */
  selectedBy: 'freight' | 'image' | 'previous' | 'newest';
  /** --force approved the Freight for the stage first. */
  approved: boolean;
  /** With --wait: the phase it ended in, each step's outcome, and the step it failed at. */
  phase?: string;
  message?: string;
  steps?: StepProgress[];
  failedStep?: FailedStep;
}

export interface FreightSummary {
  name: string;
  alias?: string;
  discoveredAt?: string;
  image?: FreightImage;
}

// ---- pure parts, each mirroring Kargo v1.11.2 ----

type Freight = K8sObject & {
  alias?: string;
  discoveredAt?: string;
  origin?: { kind?: string; name?: string };
  images?: FreightImage[];
  status?: { verifiedIn?: Record<string, unknown>; approvedFor?: Record<string, unknown> };
};
type FreightRequest = { origin?: { kind?: string; name?: string }; sources?: { direct?: boolean; stages?: string[]; availabilityStrategy?: string; requiredSoakTime?: string } };
type StageSpec = {
  shard?: string;
  vars?: { name: string; value?: string }[];
  requestedFreight?: FreightRequest[];
  promotionTemplate?: { spec?: { steps?: PromotionStep[]; vars?: { name: string; value?: string }[] } };
};

const sameOrigin = (a?: { kind?: string; name?: string }, b?: { kind?: string; name?: string }) => !!a && !!b && a.kind === b.kind && a.name === b.name;
/** When a Freight was found: discoveredAt, which Kargo's webhook defaults to the creation time (freight_types.go EffectiveDiscoveredAt). */
export const discoveredAt = (freight: K8sObject): string => String((freight as Freight).discoveredAt ?? freight.metadata.creationTimestamp ?? '');

export function summarize(freight: K8sObject, repoURL?: string): FreightSummary {
  const f = freight as Freight;
  const alias = f.alias ?? f.metadata.labels?.[ALIAS_LABEL];
  const image = freightImage({ images: f.images ?? [] }, repoURL);
  return { name: f.metadata.name, ...(alias && { alias }), ...(discoveredAt(f) && { discoveredAt: discoveredAt(f) }), ...(image && { image }) };
}

/**
 * Whether a Stage may be promoted to a Freight: Stage.IsFreightAvailable in akuity/kargo api/v1alpha1/stage_types.go.
 * Approved for the stage, or requested directly from its Warehouse, or verified in an upstream stage (all of them
 * with availabilityStrategy All). Plinth's stages set no requiredSoakTime; a stage that does is judged by Kargo.
 */
export function isFreightAvailable(stage: K8sObject, freight: K8sObject): boolean {
  const f = freight as Freight;
  if (stage.metadata.namespace !== f.metadata.namespace) return false;
  for (const request of (stage.spec as StageSpec).requestedFreight ?? []) {
    if (!sameOrigin(f.origin, request.origin)) continue;
    if (f.status?.approvedFor?.[stage.metadata.name] !== undefined) return true;
    if (request.sources?.direct) return true;
    const upstream = request.sources?.stages ?? [];
    const verified = (s: string) => f.status?.verifiedIn?.[s] !== undefined;
    if (request.sources?.availabilityStrategy === 'All' ? upstream.every(verified) : upstream.some(verified)) return true;
  }
  return false;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (github.com/oklog/ulid/v2): 48 bits of milliseconds, then 80 random bits, in Crockford base32. */
export function ulid(now: number, random: Uint8Array = randomBytes(10)): string {
  let time = '';
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32]! + time;
  let bits = 0n;
  for (const byte of random.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let rest = '';
  for (let i = 0; i < 16; i++, bits >>= 5n) rest = CROCKFORD[Number(bits & 31n)]! + rest;
  return time + rest;
}

/**
 * A Promotion's name as Kargo gives it, `<stage>.<ulid>.<first 7 of the Freight>` lowercased
 * (pkg/api/promotion.go GeneratePromotionName): Kargo orders Promotions by it, the ULID making name order
 * creation order.
 */
export function promotionName(stage: string, freight: string, now: number, random?: Uint8Array): string {
  const max = 253 - 1 - 26 - 1 - 7;
  return [stage.slice(0, max), ulid(now, random), freight.slice(0, 7)].join('.').toLowerCase();
}

type TaskSpec = { vars?: { name: string; value?: string }[]; steps?: PromotionStep[] };

/**
 * The Promotion's steps as Kargo's webhook inflates them (pkg/api/promotion.go InflateSteps): each step gets its
 * alias (`step-N`, or `task-N` for a task reference); a task reference becomes the task's steps, each aliased
 * `<task alias>::<step alias>` and carrying the task's variables (defaults unless the Promotion sets them, then the
 * reference's own).
 */
export function inflateSteps(steps: PromotionStep[], promotionVars: { name: string; value?: string }[], task: (ref: { name: string; kind?: string }) => TaskSpec): PromotionStep[] {
  const alias = (step: PromotionStep, i: number) => step.as || (step.task ? `task-${i + 1}` : `step-${i + 1}`);
  const setOnPromotion = new Set(promotionVars.filter((v) => v.value).map((v) => v.name));
  return steps.flatMap((step, i) => {
    if (!step.task) return [{ ...step, as: alias(step, i) }];
    const spec = task(step.task);
    const stepVars = step.vars ?? [];
    const givenByStep = new Set(stepVars.filter((v) => v.value).map((v) => v.name));
    const vars: { name: string; value?: string }[] = [];
    for (const v of spec.vars ?? []) {
      if (setOnPromotion.has(v.name)) continue;
      if (v.value) vars.push(v);
      else if (!givenByStep.has(v.name)) throw new PlinthError(`${step.task.kind ?? 'PromotionTask'} ${step.task.name} needs a value for its variable ${v.name}`, 'set it in the Stage\'s promotionTemplate');
    }
    vars.push(...stepVars);
    return (spec.steps ?? []).map((inner, j) => ({ ...inner, as: `${alias(step, i)}::${alias(inner, j)}`, vars: [...vars, ...(inner.vars ?? [])] }));
  });
}

/**
 * The Promotion Kargo's API server and its defaulting webhook together create for `kargo promote --stage --freight`
 * (pkg/server/promote_to_stage_v1alpha1.go, pkg/api/promotion.go NewMinimalPromotion, and
 * pkg/webhook/kubernetes/promotion/webhook.go Default): name, steps and vars from the Stage's promotionTemplate, the
 * stage label and annotation, the shard label, the Stage as controlling owner, and the creating user. Where Kargo's
 * webhook runs it recomputes all of this the same way; the API server's schema needs the steps either way.
 */
export function buildPromotion(input: { stage: K8sObject; freight: string; steps: PromotionStep[]; actor?: string; name: string }): K8sObject {
  const { stage } = input;
  const spec = stage.spec as StageSpec;
  const vars = [...(spec.vars ?? []), ...(spec.promotionTemplate?.spec?.vars ?? [])];
  return {
    apiVersion: KARGO_API,
    kind: 'Promotion',
    metadata: {
      name: input.name,
      namespace: stage.metadata.namespace!,
      labels: { [STAGE_KEY]: stage.metadata.name, ...(spec.shard && { [SHARD_LABEL]: spec.shard }) },
      annotations: { [STAGE_KEY]: stage.metadata.name, ...(input.actor && { [CREATE_ACTOR_ANNOTATION]: input.actor }) },
      ownerReferences: [
        { apiVersion: KARGO_API, kind: 'Stage', name: stage.metadata.name, uid: String(stage.metadata.uid), controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: { stage: stage.metadata.name, freight: input.freight, steps: input.steps, ...(vars.length > 0 && { vars }) },
  };
}

/** The Freight a stage ran before its current one: the newest entry of its freightHistory that differs from the first. */
export function previousFreight(stage: K8sObject, warehouse: string): string | undefined {
  const names = (stageStatus(stage).freightHistory ?? []).map((entry) => entry.items?.[warehouseOrigin(warehouse)]?.name);
  const current = names[0];
  return names.slice(1).find((name) => name && name !== current);
}

const newestFirst = (a: K8sObject, b: K8sObject) => discoveredAt(b).localeCompare(discoveredAt(a)) || a.metadata.name.localeCompare(b.metadata.name);
const listed = (freight: K8sObject[], repoURL: string, limit = 8) =>
  freight.length === 0
    ? 'none'
    : [...freight]
        .sort(newestFirst)
        .slice(0, limit)
        .map((f) => {
          const s = summarize(f, repoURL);
          return `${s.name.slice(0, 7)}${s.alias ? ` (${s.alias})` : ''} ${describeImage(s.image)}`;
        })
        .join(', ') + (freight.length > limit ? `, and ${freight.length - limit} more` : '');

export interface Selection {
  freight: K8sObject;
  selectedBy: PromoteResult['selectedBy'];
}

/** Picks the Freight to promote from the project's Freight (any order), as the options say; UsageError when none fits. */
export function selectFreight(app: AppConfig, stage: K8sObject, all: K8sObject[], options: Pick<PromoteOptions, 'freight' | 'image' | 'previous'>): Selection {
  const origins = ((stage.spec as StageSpec).requestedFreight ?? []).map((r) => r.origin);
  const mine = all.filter((f) => origins.some((o) => sameOrigin((f as Freight).origin, o)));
  const where = `app ${app.name}`;
  if (options.freight !== undefined) {
    const wanted = options.freight;
    const exact = mine.find((f) => f.metadata.name === wanted) ?? mine.find((f) => summarize(f).alias === wanted);
    const prefixed = wanted.length >= 4 ? mine.filter((f) => f.metadata.name.startsWith(wanted)) : [];
    const found = exact ?? (prefixed.length === 1 ? prefixed[0] : undefined);
    if (!found)
      throw new UsageError(
        prefixed.length > 1 ? `Freight "${wanted}" is ambiguous in ${where}: ${prefixed.length} Freight names start with it` : `no Freight "${wanted}" in ${where}`,
        `the Freight of ${where}, newest first: ${listed(mine, app.image)} (plinth releases ${app.name})`,
      );
    return { freight: found, selectedBy: 'freight' };
  }
  if (options.image !== undefined) {
    const wanted = options.image;
    const matches = mine.filter((f) => ((f as Freight).images ?? []).some((i) => i.repoURL === app.image && (wanted.startsWith('sha256:') ? i.digest === wanted : i.tag === wanted)));
    if (matches.length === 0)
      throw new UsageError(`no Freight of ${where} has the image ${app.image}:${wanted}`, `the Freight of ${where}, newest first: ${listed(mine, app.image)}`);
    return { freight: matches.sort(newestFirst)[0]!, selectedBy: 'image' };
  }
  if (options.previous) {
    const name = previousFreight(stage, app.name);
    const found = name && mine.find((f) => f.metadata.name === name);
    if (!name) throw new UsageError(`stage ${stage.metadata.name} of ${where} has run no Freight before its current one`, 'pick one with --freight NAME or --image TAG (plinth releases shows them)');
    if (!found) throw new UsageError(`the previous Freight ${name} of stage ${stage.metadata.name} no longer exists (Kargo deleted it)`, `the Freight of ${where}, newest first: ${listed(mine, app.image)}`);
    return { freight: found, selectedBy: 'previous' };
  }
  // What auto-promotion picks by default (Stage autoPromotionOptions.selectionPolicy NewestFreight, in the pinned CRD),
  // so promoting it also ends an auto-promotion hold.
  const available = mine.filter((f) => isFreightAvailable(stage, f)).sort(newestFirst);
  if (available.length === 0)
    throw new UsageError(
      `no Freight is available to stage ${stage.metadata.name} of ${where}`,
      mine.length ? `promote to the stage before it first, or name one with --freight NAME --force; the Freight: ${listed(mine, app.image)}` : 'the Warehouse has found no image yet: push one that matches the app\'s images settings',
    );
  return { freight: available[0]!, selectedBy: 'newest' };
}

// ---- the command ----

export function findAppStage(apps: AppConfig[], appName: string, stage: string): AppConfig {
  const app = apps.find((a) => a.name === appName);
  if (!app)
    throw new UsageError(`no app "${appName}" in the config`, apps.length ? `the apps: ${apps.map((a) => a.name).join(', ')}` : 'the config declares no apps');
  if (!app.stages.includes(stage)) throw new UsageError(`app ${appName} has no stage "${stage}"`, `its stages: ${app.stages.join(', ')}`);
  return app;
}

/** The Stage on the cluster, or an error saying Kargo or the pipeline is not there yet. */
export async function liveStage(cluster: LiveCluster, app: string, stage: string): Promise<K8sObject> {
  if (!(await cluster.serves(KARGO_API, 'Stage')))
    throw new PlinthError(`${cluster.server} serves no Kargo Stage: Kargo is not installed`, 'enable the kargo component and let Argo CD sync it (plinth doctor shows where it stands)');
  const found = await cluster.get({ apiVersion: KARGO_API, kind: 'Stage', metadata: { name: stage, namespace: projectName(app) } });
  if (!found)
    throw new PlinthError(
      `Stage ${projectName(app)}/${stage} does not exist on ${cluster.server}`,
      `its pipeline is not synced yet: check the Argo CD Application ${app}-pipeline (plinth doctor)`,
    );
  return found;
}

/** The user the kubeconfig signs in as (SelfSubjectReview), as Kargo names a Kubernetes user: `kubernetes:<name>`. */
async function actor(cluster: LiveCluster): Promise<string | undefined> {
  try {
    const review = await cluster.create({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: { name: 'plinth' } });
    const name = (review.status as { userInfo?: { username?: string } } | undefined)?.userInfo?.username;
    return name ? `kubernetes:${name}` : undefined;
  } catch {
    return undefined;
  }
}

const progressOf = (promotion: K8sObject): StepProgress[] => {
  const steps = promotionSteps(promotion);
  return (promotionStatus(promotion).stepExecutionMetadata ?? []).map((e, i) => ({
    number: i + 1,
    ...(e.alias !== undefined && { alias: e.alias }),
    ...(steps[i]?.uses !== undefined && { uses: steps[i]!.uses }),
    status: e.status ?? 'Pending',
    ...(e.message && { message: e.message }),
  }));
};

export async function promote(appName: string, stageName: string, options: PromoteOptions, ctx: PromoteContext): Promise<PromoteResult> {
  const chosen = [options.freight !== undefined && '--freight', options.image !== undefined && '--image', options.previous && '--previous'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} each pick the Freight: give one`, 'e.g. plinth promote api production --previous');
  if (options.timeout !== undefined && !(options.timeout > 0)) throw new UsageError(`--timeout takes a number of seconds, not "${options.timeout}"`, 'e.g. --timeout 600');
  const connecting = options.env === undefined ? ctx.connect(options) : undefined;
  connecting?.catch(() => {});
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  const app = findAppStage(resolved.config.apps, appName, stageName);
  const cluster = connecting ? await connecting : await connectEnvironment(ctx, options, resolved.config);
  const namespace = projectName(app.name);
  const stage = await liveStage(cluster, app.name, stageName);
  const freightList = await cluster.list(KARGO_API, 'Freight', { namespace });
  const { freight, selectedBy } = selectFreight(app, stage, freightList, options);
  const summary = summarize(freight, app.image);

  const template = (stage.spec as StageSpec).promotionTemplate?.spec;
  if (!template?.steps?.length) throw new PlinthError(`Stage ${namespace}/${stageName} defines no promotion steps`, 'its promotionTemplate is rendered by Plinth: sync the pipeline again');
  const tasks = new Map<string, TaskSpec>();
  for (const step of template.steps) {
    if (!step.task) continue;
    const kind = step.task.kind || 'PromotionTask';
    const ref = { apiVersion: KARGO_API, kind, metadata: { name: step.task.name, ...(kind === 'PromotionTask' && { namespace }) } };
    const task = await cluster.get(ref);
    if (!task) throw new PlinthError(`${kind} ${step.task.name} that Stage ${stageName} runs does not exist in ${namespace}`, `check the Argo CD Application ${app.name}-pipeline`);
    tasks.set(`${kind}/${step.task.name}`, (task.spec ?? {}) as TaskSpec);
  }
  const vars = [...((stage.spec as StageSpec).vars ?? []), ...(template.vars ?? [])];
  const steps = inflateSteps(template.steps, vars, (ref) => tasks.get(`${ref.kind || 'PromotionTask'}/${ref.name}`)!);
  // Approved last: a refusal or a missing task above writes nothing.
  let approved = false;
  if (!isFreightAvailable(stage, freight)) {
    const upstream = ((stage.spec as StageSpec).requestedFreight ?? []).flatMap((r) => r.sources?.stages ?? []);
    if (!options.force)
      throw new UsageError(
        `Freight ${freight.metadata.name} (${describeImage(summary.image)}) is not verified in ${upstream.join(' or ') || 'an upstream stage'}, so stage ${stageName} may not run it yet`,
        `promote it to ${upstream.join(' or ') || 'the stage before'} first; or pass --force to approve it for ${stageName} (kargo approve) and promote it`,
      );
    // What `kargo approve` does: Freight status approvedFor[stage] (pkg/server/approve_freight_v1alpha1.go).
    await cluster.mergePatchStatus(freight, { status: { approvedFor: { [stageName]: { approvedAt: (ctx.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z') } } } });
    approved = true;
  }

  const now = ctx.now?.() ?? new Date();
  const created = await cluster.create(
    buildPromotion({ stage, freight: freight.metadata.name, steps, name: promotionName(stageName, freight.metadata.name, now.getTime()), ...withActor(await actor(cluster)) }),
  );
  const result: PromoteResult = {
    server: cluster.server,
    app: app.name,
    stage: stageName,
    namespace,
    promotion: created.metadata.name,
    freight: { name: freight.metadata.name, ...(summary.alias && { alias: summary.alias }), ...(summary.image?.tag && { tag: summary.image.tag }), ...(summary.image?.digest && { digest: summary.image.digest }) },
    selectedBy,
    approved,
  };
  ctx.progress(`created Promotion ${namespace}/${created.metadata.name}: ${stageName} <- Freight ${freight.metadata.name.slice(0, 7)} (${describeImage(summary.image)})`, { phase: true });
  if (!options.wait) return result;
  return { ...result, ...(await follow(cluster, app.name, created, options, ctx)) };
}

const withActor = (actor: string | undefined) => (actor ? { actor } : {});

/** Reads the Promotion until its phase is terminal, telling each step's progress as it changes. */
async function follow(cluster: LiveCluster, app: string, created: K8sObject, options: PromoteOptions, ctx: PromoteContext) {
  const deadline = Date.now() + (options.timeout ?? 1800) * 1000;
  const told = new Map<number, string>();
  let phase = '';
  for (;;) {
    const promotion = await cluster.get(created);
    if (!promotion)
      throw new PlinthError(`promotion ${created.metadata.name} was deleted while it ran`, `see what happened: plinth releases ${app}, and kubectl get events -n ${created.metadata.namespace}`);
    const status = promotionStatus(promotion);
    const steps = progressOf(promotion);
    const total = promotionSteps(promotion).length;
    for (const step of steps) {
      const line = `step ${step.number}/${total} ${step.alias ?? ''}${step.uses ? ` (${step.uses})` : ''}: ${step.status}${step.message ? `: ${step.message}` : ''}`;
      if (told.get(step.number) !== line) ctx.progress(line, { phase: true });
      told.set(step.number, line);
    }
    if (status.phase && status.phase !== phase) {
      phase = status.phase;
      ctx.progress(`promotion ${created.metadata.name}: ${phase}${status.message ? `: ${status.message}` : ''}`, { phase: true });
    }
    if (status.phase && PROMOTION_TERMINAL_PHASES.has(status.phase)) {
      const failed = status.phase === 'Succeeded' ? undefined : failedStep(status, promotionSteps(promotion));
      return { phase: status.phase, ...(status.message && { message: status.message }), steps, ...(failed && { failedStep: failed }) };
    }
    if (Date.now() > deadline)
      throw new PlinthError(
        `promotion ${created.metadata.name} is still ${phase || 'Pending'} after ${options.timeout ?? 1800} s; it goes on in the cluster`,
        `follow it with plinth releases ${app}, or kubectl get promotion -n ${created.metadata.namespace} ${created.metadata.name} -w`,
      );
    await new Promise((r) => setTimeout(r, ctx.pollMs ?? 2000));
  }
}
