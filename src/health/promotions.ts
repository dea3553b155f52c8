import type { K8sObject } from '../core/types.ts';
import type { CheckStatus } from './status.ts';

// Status shapes of Kargo v1.11.2, from akuity/kargo api/v1alpha1/promotion_types.go, stage_types.go and freight_types.go
// (and the pinned CRDs in crds/kargo/).

export interface FreightImage {
  repoURL?: string;
  tag?: string;
  digest?: string;
}

/** FreightReference: what a Stage's freightHistory and a Promotion's status record of a Freight. */
export interface FreightReference {
  name?: string;
  origin?: { kind?: string; name?: string };
  images?: FreightImage[];
}

export interface StepExecution {
  alias?: string;
  status?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  errorCount?: number;
}

export interface PromotionStep {
  uses?: string;
  as?: string;
  task?: { name: string; kind?: string };
  config?: unknown;
  vars?: { name: string; value?: string }[];
  [field: string]: unknown;
}

export interface PromotionStatus {
  phase?: string;
  message?: string;
  currentStep?: number;
  startedAt?: string;
  finishedAt?: string;
  freight?: FreightReference;
  stepExecutionMetadata?: StepExecution[];
  /** Each step's output, keyed by the step's alias (pkg/promotion/local_orchestrator.go propagateStepOutput). */
  state?: Record<string, Record<string, unknown> | undefined>;
}

/** A Stage's lastPromotion / currentPromotion: PromotionReference in stage_types.go. */
export interface PromotionReference {
  name?: string;
  freight?: FreightReference;
  status?: PromotionStatus;
  finishedAt?: string;
}

export interface AutoPromotionHold {
  freightName?: string;
  promotionName?: string;
  actor?: string;
  createdAt?: string;
}

export interface StageStatus {
  autoPromotionEnabled?: boolean;
  freightHistory?: { id?: string; items?: Record<string, FreightReference> }[];
  lastPromotion?: PromotionReference;
  currentPromotion?: PromotionReference;
  effectiveAutoPromotionHolds?: Record<string, AutoPromotionHold>;
}

/** Terminal phases other than Succeeded (PromotionPhase in promotion_types.go). */
export const PROMOTION_FAILED_PHASES = new Set(['Failed', 'Errored', 'Aborted']);
export const PROMOTION_TERMINAL_PHASES = new Set(['Succeeded', ...PROMOTION_FAILED_PHASES]);
const STEP_FAILED = new Set(['Failed', 'Errored', 'Aborted']);

/** Annotation of who created a Promotion (api/v1alpha1/annotations.go); Kargo's auto-promotions carry none. */
export const CREATE_ACTOR_ANNOTATION = 'kargo.akuity.io/create-actor';
/** The key of a Freight origin in freightHistory items: FreightOrigin.String(), `<kind>/<name>`. */
export const warehouseOrigin = (warehouse: string): string => `Warehouse/${warehouse}`;

export const resumeCommand = (app: string, stage: string, freight: string): string => `plinth promote ${app} ${stage} --freight ${freight}`;

export const stageStatus = (stage: K8sObject | undefined): StageStatus => (stage?.status ?? {}) as StageStatus;
export const promotionStatus = (promotion: K8sObject | undefined): PromotionStatus => (promotion?.status ?? {}) as PromotionStatus;
export const promotionSteps = (promotion: K8sObject | undefined): PromotionStep[] =>
  ((promotion?.spec as { steps?: PromotionStep[] } | undefined)?.steps ?? []);

/** The image of a Freight: the one from the app's repository, else its first. */
export function freightImage(freight: FreightReference | undefined, repoURL?: string): FreightImage | undefined {
  const images = freight?.images ?? [];
  return images.find((i) => i.repoURL === repoURL) ?? images[0];
}

/** `1.4.2` or `1.4.2@sha256:…` or `sha256:…`: how a person recognises a Freight. */
export function describeImage(image: FreightImage | undefined): string {
  if (!image) return '(no image)';
  if (image.tag && image.digest) return `${image.tag}@${image.digest}`;
  return image.tag ?? image.digest ?? '(no image)';
}

export interface FailedStep {
  /** 1-based, as people count steps. */
  number: number;
  total: number;
  alias?: string;
  uses?: string;
  status: string;
  message?: string;
}

/**
 * The step a promotion stopped at: the first step whose execution ended Failed, Errored or Aborted (a step with
 * continueOnError does not fail the promotion, so it is passed over), else the current one.
 */
export function failedStep(status: PromotionStatus, steps: PromotionStep[] = []): FailedStep | undefined {
  const executions = status.stepExecutionMetadata ?? [];
  let index = executions.findIndex((e, i) => STEP_FAILED.has(e.status ?? '') && steps[i]?.continueOnError !== true);
  if (index < 0 && status.currentStep !== undefined && executions[status.currentStep]) index = status.currentStep;
  const execution = executions[index];
  if (!execution) return undefined;
  return {
    number: index + 1,
    total: Math.max(steps.length, executions.length),
    ...(execution.alias !== undefined && { alias: execution.alias }),
    ...(steps[index]?.uses !== undefined && { uses: steps[index]!.uses }),
    status: execution.status ?? 'Unknown',
    ...(execution.message && { message: execution.message }),
  };
}

export const describeStep = (step: FailedStep): string =>
  `step ${step.number}/${step.total}${step.alias ? ` ${step.alias}` : ''}${step.uses ? ` (${step.uses})` : ''}`;

/**
 * The commit a promotion pushed to the stage branch: the output of its `git-push` step, whose output holds
 * `commit` and `branch` (pkg/promotion/runner/builtin/git_pusher.go), else of its `git-commit` step (git_commiter.go).
 */
export function stageCommit(promotion: K8sObject | undefined): { commit: string; branch?: string } | undefined {
  const state = promotionStatus(promotion).state ?? {};
  const steps = promotionSteps(promotion);
  for (const uses of ['git-push', 'git-commit']) {
    for (const [i, step] of steps.entries()) {
      if (step.uses !== uses) continue;
      const output = state[step.as ?? `step-${i + 1}`];
      if (typeof output?.commit === 'string' && output.commit)
        return { commit: output.commit, ...(typeof output.branch === 'string' && { branch: output.branch }) };
    }
  }
  return undefined;
}

/** Who started a promotion: the user Kargo's webhook recorded, or auto-promotion when there is none. */
export const promotedBy = (promotion: K8sObject | undefined): string =>
  promotion?.metadata.annotations?.[CREATE_ACTOR_ANNOTATION] ?? 'auto-promotion';

export interface StageVerdict {
  /** What it is about: the last promotion (which explains the Stage's own health), or an auto-promotion hold. */
  about: 'last-promotion' | 'hold';
  status: CheckStatus;
  message: string;
  hint: string;
}

/**
 * What doctor says of a stage's promotions, when they need someone: the last promotion ended Failed, Errored or
 * Aborted (Kargo does not auto-promote again until a promotion succeeds: akuity/kargo#4936), or auto-promotion is
 * held because someone promoted other Freight than its candidate. Undefined when neither.
 * `promotions` are the live Promotions, to find the failed one's steps (its status in the Stage has no spec).
 */
export function promotionVerdict(app: string, stage: K8sObject, promotions: K8sObject[], repoURL?: string): StageVerdict | undefined {
  const status = stageStatus(stage);
  const last = status.lastPromotion;
  const stageName = stage.metadata.name;
  const phase = last?.status?.phase;
  if (last && phase && PROMOTION_FAILED_PHASES.has(phase)) {
    const promotion = promotions.find((p) => p.metadata.name === last.name && p.metadata.namespace === stage.metadata.namespace);
    const promoStatus = promotion ? { ...last.status, ...promotionStatus(promotion) } : last.status!;
    const freight = last.freight ?? promoStatus.freight;
    const freightName = freight?.name ?? (promotion?.spec as { freight?: string } | undefined)?.freight;
    const step = failedStep(promoStatus, promotionSteps(promotion));
    const what = step ? `${describeStep(step)} ${step.status}${step.message ? `: ${step.message}` : ''}` : `${promoStatus.message ?? 'no message'}`;
    const halted = status.autoPromotionEnabled ? '; auto-promotion is halted until a promotion of this stage succeeds' : '';
    const running = status.currentPromotion?.name;
    // Someone already resumed: the stage is not stuck, but not through it either until that promotion ends.
    if (running)
      return {
        about: 'last-promotion',
        status: 'warn',
        message: `promotion ${running} is running${status.currentPromotion?.freight?.name ? ` (Freight ${status.currentPromotion.freight.name})` : ''}; the last one, ${last.name}, ${phase} at ${what}`,
        hint: `follow it: plinth releases ${app}; if it fails too, fix the cause and resume: ${resumeCommand(app, stageName, status.currentPromotion?.freight?.name ?? freightName ?? '<freight>')} --wait`,
      };
    return {
      about: 'last-promotion',
      status: 'fail',
      message: `last promotion ${last.name} ${phase} at ${what}; Freight ${freightName ?? '(unknown)'} (${describeImage(freightImage(freight, repoURL))})${halted}`,
      hint: freightName
        ? `fix the cause, then resume: ${resumeCommand(app, stageName, freightName)} --wait`
        : `fix the cause, then promote again: plinth promote ${app} ${stageName} --wait`,
    };
  }
  const holds = Object.values(status.effectiveAutoPromotionHolds ?? {});
  if (status.autoPromotionEnabled && holds.length > 0) {
    const hold = holds[0]!;
    return {
      about: 'hold',
      status: 'warn',
      message: `auto-promotion is held: Freight ${hold.freightName} was promoted by ${hold.actor ?? 'someone'}${hold.promotionName ? ` (${hold.promotionName})` : ''}, so new Freight waits`,
      hint: `when the hold should end, promote the newest Freight: plinth promote ${app} ${stageName}`,
    };
  }
  return undefined;
}
