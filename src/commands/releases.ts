import { projectName } from '../apps/pipeline.ts';
import type { AppConfig } from '../config/schema.ts';
import { loadCluster } from '../config/load.ts';
import type { K8sObject } from '../core/types.ts';
import { UsageError } from '../errors.ts';
import {
  failedStep,
  freightImage,
  PROMOTION_FAILED_PHASES,
  promotedBy,
  promotionStatus,
  promotionSteps,
  resumeCommand,
  stageCommit,
  stageStatus,
  warehouseOrigin,
  type FailedStep,
} from '../health/promotions.ts';
import type { ConnectOptions } from '../kube/client.ts';
import type { LiveContext } from './live.ts';
import { discoveredAt, KARGO_API, liveStage } from './promote.ts';
import { connectEnvironment } from './environment.ts';

export interface ReleasesOptions extends ConnectOptions {
  /** With environments: the one to work on (required then); its kubeconfig context unless --context is given. */
  env?: string;
  config?: string;
}

export interface Release {
  freight: string;
  alias?: string;
  tag?: string;
  digest?: string;
  /** The stage runs it now (the first entry of its freightHistory). */
  current: boolean;
  /** When the Warehouse found it. */
  discoveredAt?: string;
  /** The promotion that brought it to the stage, when Kargo still keeps it. */
  promotion?: string;
  promotedAt?: string;
  /** The user Kargo recorded (`kubernetes:<name>`, `admin`, …), or `auto-promotion`. */
  promotedBy?: string;
  /** The commit that promotion pushed to the stage branch. */
  commit?: string;
  branch?: string;
}

export interface StageReleases {
  stage: string;
  autoPromotion: boolean;
  /** Newest first: the current Freight, then what ran before it (Kargo keeps ten). */
  releases: Release[];
  /** The promotion running now. */
  running?: { promotion: string; freight?: string; phase?: string };
  /** The last promotion, when it did not succeed: which step, and how to resume. */
  failed?: { promotion: string; phase: string; freight?: string; step?: FailedStep; message?: string; resume?: string };
}

export interface ReleasesResult {
  server: string;
  app: string;
  namespace: string;
  stages: StageReleases[];
}

type Timed = { promotion: K8sObject; freight: string; finishedAt: string };

/**
 * Each freightHistory entry matched with the Promotion that brought it: walking the history newest first, the newest
 * not yet matched Succeeded Promotion of the same Freight (a Freight rolled back to appears twice, once per promotion).
 */
function matchPromotions(history: string[], promotions: Timed[]): (K8sObject | undefined)[] {
  const unused = [...promotions].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt) || b.promotion.metadata.name.localeCompare(a.promotion.metadata.name));
  return history.map((name) => {
    const i = unused.findIndex((p) => p.freight === name);
    return i < 0 ? undefined : unused.splice(i, 1)[0]!.promotion;
  });
}

/** Per stage, newest first, the Freight it ran, from Stage status, the Freight and the Promotions Kargo keeps. */
export function stageReleases(app: AppConfig, stage: K8sObject, freight: K8sObject[], promotions: K8sObject[]): StageReleases {
  const status = stageStatus(stage);
  const mine = promotions.filter((p) => (p.spec as { stage?: string }).stage === stage.metadata.name);
  const succeeded: Timed[] = mine
    .filter((p) => promotionStatus(p).phase === 'Succeeded')
    .map((p) => ({ promotion: p, freight: String((p.spec as { freight?: string }).freight), finishedAt: promotionStatus(p).finishedAt ?? '' }));
  const history = (status.freightHistory ?? []).map((entry) => entry.items?.[warehouseOrigin(app.name)]).filter((ref) => ref?.name !== undefined);
  const matched = matchPromotions(history.map((ref) => ref!.name!), succeeded);
  const releases = history.map((ref, i): Release => {
    const object = freight.find((f) => f.metadata.name === ref!.name);
    const image = freightImage(ref, app.image) ?? freightImage({ images: (object as { images?: [] } | undefined)?.images ?? [] }, app.image);
    const promotion = matched[i];
    const commit = stageCommit(promotion);
    const alias = (object as { alias?: string } | undefined)?.alias ?? object?.metadata.labels?.['kargo.akuity.io/alias'];
    return {
      freight: ref!.name!,
      ...(alias && { alias }),
      ...(image?.tag && { tag: image.tag }),
      ...(image?.digest && { digest: image.digest }),
      current: i === 0,
      ...(object && discoveredAt(object) && { discoveredAt: discoveredAt(object) }),
      ...(promotion && {
        promotion: promotion.metadata.name,
        ...(promotionStatus(promotion).finishedAt && { promotedAt: promotionStatus(promotion).finishedAt }),
        promotedBy: promotedBy(promotion),
      }),
      ...(commit && { commit: commit.commit, ...(commit.branch && { branch: commit.branch }) }),
    };
  });
  const result: StageReleases = { stage: stage.metadata.name, autoPromotion: status.autoPromotionEnabled === true, releases };
  if (status.currentPromotion?.name)
    result.running = {
      promotion: status.currentPromotion.name,
      ...(status.currentPromotion.freight?.name && { freight: status.currentPromotion.freight.name }),
      ...(status.currentPromotion.status?.phase && { phase: status.currentPromotion.status.phase }),
    };
  const last = status.lastPromotion;
  const phase = last?.status?.phase;
  if (last?.name && phase && PROMOTION_FAILED_PHASES.has(phase)) {
    const live = mine.find((p) => p.metadata.name === last.name);
    const promoStatus = { ...last.status, ...promotionStatus(live) };
    const step = failedStep(promoStatus, promotionSteps(live));
    const freightName = last.freight?.name ?? (live?.spec as { freight?: string } | undefined)?.freight;
    result.failed = {
      promotion: last.name,
      phase,
      ...(freightName && { freight: freightName, resume: resumeCommand(app.name, stage.metadata.name, freightName) }),
      ...(step && { step }),
      ...(promoStatus.message && { message: promoStatus.message }),
    };
  }
  return result;
}

export async function releases(appName: string, options: ReleasesOptions, ctx: LiveContext): Promise<ReleasesResult> {
  const connecting = options.env === undefined ? ctx.connect(options) : undefined;
  connecting?.catch(() => {});
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  const app = resolved.config.apps.find((a) => a.name === appName);
  if (!app)
    throw new UsageError(
      `no app "${appName}" in the config`,
      resolved.config.apps.length ? `the apps: ${resolved.config.apps.map((a) => a.name).join(', ')}` : 'the config declares no apps',
    );
  const cluster = connecting ? await connecting : await connectEnvironment(ctx, options, resolved.config);
  const namespace = projectName(app.name);
  const stages = await Promise.all(app.stages.map((stage) => liveStage(cluster, app.name, stage)));
  const [freight, promotions] = await Promise.all([cluster.list(KARGO_API, 'Freight', { namespace }), cluster.list(KARGO_API, 'Promotion', { namespace })]);
  return { server: cluster.server, app: app.name, namespace, stages: stages.map((stage) => stageReleases(app, stage, freight, promotions)) };
}
