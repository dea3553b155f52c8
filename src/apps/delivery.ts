import { z } from 'zod';
import type { AppConfig, ClusterConfig } from '../config/schema.ts';
import { declaredProbes, renderProbe } from './probes.ts';

// How a pushed image reaches the stages: the Warehouse's poll, a webhook receiver that cuts the poll short, and the
// identity and budget of each promotion. Kept apart from config/schema.ts, which imports it.

/**
 * Kargo's webhook receivers that handle image pushes, at v1.11.2 (akuity/kargo pkg/webhook/external): GitHub's
 * `package` events (ghcr.io), Docker Hub, Quay, Azure Container Registry and Artifactory pushes, and the generic
 * receiver, which a CI job calls after its push. The GitLab, Gitea and Bitbucket receivers handle git pushes only.
 */
export const RECEIVER_KINDS = ['github', 'dockerhub', 'quay', 'azure', 'artifactory', 'generic'] as const;
export type ReceiverKind = (typeof RECEIVER_KINDS)[number];

/** The Secret data key each receiver reads its shared secret from (the <kind>SecretDataKey constants of the same files). */
export const RECEIVER_SECRET_KEY: Record<ReceiverKind, string> = {
  github: 'secret',
  dockerhub: 'secret',
  quay: 'secret',
  azure: 'secret',
  artifactory: 'secret-token',
  generic: 'secret',
};

const DURATION = /^([0-9]+(\.[0-9]+)?(s|m|h))+$/;
const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };

/** Seconds in a duration the pinned Warehouse CRD's interval pattern accepts ("5m", "1h30m", "1.5h"). */
export function durationSeconds(duration: string): number {
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/([0-9]+(?:\.[0-9]+)?)(s|m|h)/g)) total += Number(amount) * UNIT_SECONDS[unit!]!;
  return total;
}

/**
 * Seconds as Go's time.Duration String() writes them ("5m0s", "1h0m0s", "30s"): the form the Warehouse CRD's
 * default takes, so that the field reads back as rendered and Argo CD sees no drift.
 */
export function goDurationString(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/** The Warehouse's interval, in whole seconds from 30 s: a registry polled more often rate-limits the pulls of the nodes too. */
const pollInterval = z
  .string()
  .superRefine((value, ctx) => {
    const seconds = DURATION.test(value) ? durationSeconds(value) : NaN;
    if (Number.isInteger(seconds) && seconds >= 30) return;
    ctx.addIssue({
      code: 'custom',
      message: Number.isNaN(seconds) ? 'must be a duration such as "5m", "90s" or "1h"' : 'must be whole seconds, at least 30s',
      params: { hint: 'keep the poll as the fallback, e.g. "5m": a push receiver (delivery.receiver) delivers in seconds' },
    });
  })
  .transform((value) => goDurationString(durationSeconds(value)));

export const deliveryShape = {
  /** How pushed images reach the stages: poll interval, push receivers and the identity of stage commits. */
  delivery: z
    .strictObject({
      /** Author of the commits Kargo pushes to the stage branches; defaults to "Plinth" <plinth@DOMAIN>. */
      commitAuthor: z.strictObject({ name: z.string().min(1), email: z.email({ error: 'must be an email address' }) }).optional(),
      /** How often each Warehouse looks for new images: the fallback when no push event arrives. */
      pollInterval: pollInterval.default('5m0s'),
      /**
       * The webhook receiver each app's pipeline gets: "auto" picks it from the image's registry (ghcr.io: github,
       * docker.io: dockerhub, quay.io: quay, *.azurecr.io: azure, any other: generic, for CI to call); false polls only.
       */
      receiver: z.union([z.literal('auto'), z.literal(false), z.enum(RECEIVER_KINDS)]).default('auto'),
    })
    .prefault({}),
};

/** The app option this file owns, spread into the app schema beside the image options. */
export const rolloutShape = {
  /**
   * How long a promotion waits for Argo CD to sync and the stage to become healthy before it fails. Default: the
   * app's migration timeout plus its startup budget plus five minutes for the image pull and sync, at least ten minutes.
   */
  rolloutTimeoutSeconds: z.int().min(60).max(86_400).optional(),
};

export type Delivery = z.output<(typeof deliveryShape)['delivery']>;

/** The author of stage commits. */
export function commitAuthor(cluster: Pick<ClusterConfig, 'domain' | 'delivery'>): { name: string; email: string } {
  return cluster.delivery.commitAuthor ?? { name: 'Plinth', email: `plinth@${cluster.domain}` };
}

/** The registry host of an image repository; Docker Hub when the first segment is not a host (distribution/reference normalize.go). */
export function registryHost(image: string): string {
  const first = image.split('/')[0]!;
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

function receiverForRegistry(host: string): ReceiverKind {
  if (host === 'ghcr.io') return 'github';
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') return 'dockerhub';
  if (host === 'quay.io') return 'quay';
  if (host.endsWith('.azurecr.io')) return 'azure';
  return 'generic';
}

/**
 * The receiver an app's pipeline gets, or undefined when it only polls: when the config says so, or when Kargo's
 * external webhooks server is not reachable from outside (the kargo component without ingress).
 */
export function receiverKind(cluster: ClusterConfig, app: AppConfig): ReceiverKind | undefined {
  const choice = cluster.delivery.receiver;
  if (choice === false) return undefined;
  const kargoOptions = cluster.components.kargo?.options as { ingress?: boolean } | undefined;
  if (kargoOptions?.ingress === false) return undefined;
  return choice === 'auto' ? receiverForRegistry(registryHost(app.image)) : choice;
}

/** Where the receiver's URL goes, for the person who sets it up. */
export function receiverInstructions(kind: ReceiverKind, app: AppConfig): string {
  switch (kind) {
    case 'github':
      return `in the GitHub repository (or organisation) that publishes ${app.image}: Settings > Webhooks > Add webhook, Payload URL: the URL, Content type: application/json, Secret: the "secret" of secret input kargo-webhook, events: "Packages"`;
    case 'dockerhub':
      return `on Docker Hub, repository ${app.image}: Webhooks > New webhook, URL: the URL`;
    case 'quay':
      return `on Quay, repository ${app.image}: Settings > Events and Notifications > Create notification, event "Push to Repository", method "Webhook POST", URL: the URL`;
    case 'azure':
      return `in Azure Container Registry: Services > Webhooks > Add, Service URI: the URL, actions: push, scope: ${app.image.split('/').slice(1).join('/')}`;
    case 'artifactory':
      return 'in Artifactory: Administration > General > Webhooks > New webhook, URL: the URL, events: Docker tag pushed, Secret token: the "secret" of secret input kargo-webhook';
    case 'generic':
      return `in the CI job that pushes ${app.image}, right after the push: curl -fsS -X POST URL`;
  }
}

/** The time one probe allows before it gives up: delay plus period times failures. */
function probeBudget(probe: Record<string, unknown>): number {
  const n = (key: string, fallback: number) => (typeof probe[key] === 'number' ? (probe[key] as number) : fallback);
  return n('initialDelaySeconds', 0) + n('periodSeconds', 10) * n('failureThreshold', 3);
}

/**
 * How long a promotion's argocd-update step waits for the stage to sync and become healthy (its retry timeout):
 * the app's own, or its migration timeout plus its startup budget (the startup probe, else readiness) plus five
 * minutes for the image pull and Argo CD's sync, at least Kargo's default of five minutes doubled. A timeout
 * shorter than the rollout fails a promotion that would have succeeded; an unbounded one hides a stuck rollout.
 */
export function rolloutBudgetSeconds(app: AppConfig): number {
  if (app.rolloutTimeoutSeconds !== undefined) return app.rolloutTimeoutSeconds;
  const probes = declaredProbes(app);
  const starting = probes.startup ? probeBudget(renderProbe(probes.startup, 'startup')) : probes.readiness ? probeBudget(renderProbe(probes.readiness, 'readiness')) : 0;
  const migration = app.migrate?.timeoutSeconds ?? 0;
  return Math.max(600, migration + starting + 300);
}

