import { loadCluster } from '../config/load.ts';
import { renderTree } from '../core/render.ts';
import { diagnose, findRootCauses, kindsToRead, publicHosts, summarize, type Feature, type RootCause, type Summary } from '../health/doctor.ts';
import { dnsResolver, lookupAll, type ResolveHost } from '../health/dns.ts';
import { takeSnapshot } from '../health/snapshot.ts';
import { worstStatus, type CheckStatus } from '../health/status.ts';
import type { ConnectOptions } from '../kube/client.ts';
import type { LiveContext } from './live.ts';
import { connectEnvironment } from './environment.ts';

export interface DoctorOptions extends ConnectOptions {
  config?: string;
  /** With environments: the one to work on (required then); its kubeconfig context unless --context is given. */
  env?: string;
  /** false: do not look the public hosts up in DNS (a machine without DNS, or an air gap). */
  dns?: boolean;
  /** Ask this name server (IP[:port]) instead of the system's resolver, e.g. the zone's authoritative one. */
  dnsServer?: string;
}

export interface DoctorContext extends LiveContext {
  /** The clock certificates' expiry is measured against; injected so tests can move it. */
  now?: () => Date;
  /** How public hosts are looked up; default: DNS, through options.dnsServer or the system's resolver. */
  resolveHost?: ResolveHost;
}

export interface DoctorResult {
  cluster: string;
  /** The environment diagnosed, when the config declares environments. */
  environment?: string;
  server: string;
  generatedAt: string;
  /** Worst check status: `fail` means exit code 1. */
  status: CheckStatus;
  summary: Summary;
  /** Causes that several checks share, the first to fix first; each of those checks names it in `rootCause`. */
  rootCauses: RootCause[];
  features: Feature[];
  /** API requests this run sent, and how long it took. */
  requests: number;
  durationMs: number;
}

export interface DoctorSession {
  run(): Promise<DoctorResult>;
}

/** Renders the config and connects once; each run then takes one snapshot of the cluster and diagnoses it. */
export async function openDoctor(options: DoctorOptions, ctx: DoctorContext): Promise<DoctorSession> {
  // Connecting loads the Kubernetes client library, which takes a while: start it before the render.
  // An environment's context comes from the config: then the config is read first.
  const connecting = options.env === undefined ? ctx.connect(options) : undefined;
  connecting?.catch(() => {});
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  const tree = renderTree(resolved, ctx.registry, { files: false });
  const argoNamespace = resolved.config.components['argo-cd']?.common.namespace ?? ctx.registry['argo-cd']?.namespace ?? 'argocd';
  const resolveHost = options.dns === false ? undefined : (ctx.resolveHost ?? dnsResolver(options.dnsServer ? { server: options.dnsServer } : {}));
  const hosts = resolveHost ? publicHosts(tree) : [];
  const cluster = connecting ? await connecting : await connectEnvironment(ctx, options, resolved.config);
  const kinds = kindsToRead(tree);
  return {
    async run() {
      const started = performance.now();
      const before = cluster.requestCount();
      const now = ctx.now?.() ?? new Date();
      ctx.progress(`reading ${kinds.list.length} kinds from ${cluster.server}`);
      // DNS answers while the cluster is read.
      const lookups = resolveHost && hosts.length > 0 && lookupAll(hosts, resolveHost);
      const snapshot = await takeSnapshot(cluster, kinds.list, kinds.probe, now);
      const { features, rootCauses } = findRootCauses(tree, snapshot, diagnose(tree, snapshot, argoNamespace, lookups ? await lookups : undefined), argoNamespace);
      return {
        cluster: resolved.config.name,
        ...(resolved.config.environment && { environment: resolved.config.environment.name }),
        server: cluster.server,
        generatedAt: now.toISOString(),
        status: worstStatus(features.map((f) => f.status)),
        summary: summarize(features),
        rootCauses,
        features,
        requests: cluster.requestCount() - before,
        durationMs: Math.round(performance.now() - started),
      };
    },
  };
}

export async function doctor(options: DoctorOptions, ctx: DoctorContext): Promise<DoctorResult> {
  return (await openDoctor(options, ctx)).run();
}

/** Runs doctor every `intervalMs` until the signal aborts, handing each result over as it comes. */
export async function watchDoctor(
  options: DoctorOptions,
  ctx: DoctorContext,
  watch: { intervalMs: number; signal: AbortSignal; onResult: (result: DoctorResult) => void | Promise<void> },
): Promise<DoctorResult | undefined> {
  const session = await openDoctor(options, ctx);
  let last: DoctorResult | undefined;
  while (!watch.signal.aborted) {
    last = await session.run();
    await watch.onResult(last);
    if (watch.signal.aborted) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, watch.intervalMs);
      watch.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  return last;
}
