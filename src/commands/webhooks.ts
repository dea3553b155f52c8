import { receiverInstructions, receiverKind, type ReceiverKind } from '../apps/delivery.ts';
import { projectName, receiverName } from '../apps/pipeline.ts';
import { loadCluster } from '../config/load.ts';
import { UsageError } from '../errors.ts';
import type { ConnectOptions } from '../kube/client.ts';
import type { LiveContext } from './live.ts';
import { connectEnvironment } from './environment.ts';

export interface WebhooksOptions extends ConnectOptions {
  /** With environments: the one to work on (required then); its kubeconfig context unless --context is given. */
  env?: string;
  config?: string;
  /** Only this app. */
  app?: string;
}

export interface WebhookEntry {
  app: string;
  /** ready: the URL is known; pending: Kargo has not published it yet; poll: the app has no receiver. */
  status: 'ready' | 'pending' | 'poll';
  receiver?: { kind: ReceiverKind; name: string };
  url?: string;
  /** Where the URL goes (ready), why it is not known yet (pending), or why the app only polls. */
  detail: string;
  pollInterval: string;
}

export interface WebhooksResult {
  entries: WebhookEntry[];
  /** True when every receiver's URL is known. */
  ready: boolean;
}

const PROJECT_CONFIG = { apiVersion: 'kargo.akuity.io/v1alpha1', kind: 'ProjectConfig' } as const;

interface ProjectConfigStatus {
  webhookReceivers?: { name?: string; path?: string; url?: string }[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

/**
 * Each app's push receiver and its URL, read from the status Kargo's management controller writes on the app's
 * ProjectConfig (status.webhookReceivers of the pinned CRD): the URL derives from the shared secret, so only the
 * cluster knows it.
 */
export async function webhooks(options: WebhooksOptions, ctx: LiveContext): Promise<WebhooksResult> {
  const { config } = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  const apps = options.app === undefined ? config.apps : config.apps.filter((app) => app.name === options.app);
  if (options.app !== undefined && apps.length === 0)
    throw new UsageError(
      `no app "${options.app}" in the config`,
      config.apps.length > 0 ? `name one of: ${config.apps.map((a) => a.name).join(', ')}` : 'the config declares no apps',
    );
  const cluster = await connectEnvironment(ctx, options, config);
  const kargoServed = await cluster.serves(PROJECT_CONFIG.apiVersion, PROJECT_CONFIG.kind);
  const entries: WebhookEntry[] = [];
  for (const app of apps) {
    const pollInterval = config.delivery.pollInterval;
    const kind = receiverKind(config, app);
    if (!kind) {
      entries.push({
        app: app.name,
        status: 'poll',
        detail:
          config.delivery.receiver === false
            ? 'delivery.receiver is false'
            : 'Kargo has no ingress (components.kargo.ingress: false), so nothing outside the cluster can reach a receiver',
        pollInterval,
      });
      continue;
    }
    const receiver = { kind, name: receiverName(app.name) };
    const project = projectName(app.name);
    const live = kargoServed ? await cluster.get({ ...PROJECT_CONFIG, metadata: { name: project, namespace: project } }) : undefined;
    const status = (live?.status ?? {}) as ProjectConfigStatus;
    const published = status.webhookReceivers?.find((r) => r.name === receiver.name && r.url);
    if (published) {
      entries.push({ app: app.name, status: 'ready', receiver, url: published.url!, detail: receiverInstructions(kind, app), pollInterval });
      continue;
    }
    const notReady = status.conditions?.find((c) => c.type === 'Ready' && c.status !== 'True');
    entries.push({
      app: app.name,
      status: 'pending',
      receiver,
      detail: !kargoServed
        ? 'Kargo is not installed yet (no ProjectConfig kind): run again once its wave is synced (plinth doctor)'
        : !live
          ? `ProjectConfig ${project}/${project} is not in the cluster yet: Argo CD syncs it with ${app.name}-pipeline (plinth doctor)`
          : notReady
            ? `Kargo has not published it: ${notReady.message ?? notReady.reason ?? 'not ready'} (is secret input kargo-webhook set? plinth secrets check)`
            : 'Kargo has not published it yet: run again in a minute',
      pollInterval,
    });
  }
  return { entries, ready: entries.every((entry) => entry.status !== 'pending') };
}
