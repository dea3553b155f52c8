import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadCluster } from '../config/load.ts';
import { renderTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { readYamlAll } from '../core/yaml.ts';
import { BlockedError, UsageError } from '../errors.ts';
import {
  ARGO_APPLICATION,
  executePlan,
  MissingCrdsError,
  namedPhases,
  planLive,
  unservedKinds,
  type ApplySummary,
  type ObjectChange,
} from '../kube/apply.ts';
import type { ConnectOptions, LiveCluster } from '../kube/client.ts';
import type { Context } from './context.ts';
import { connectEnvironment, recordIdentity } from './environment.ts';

export interface LiveOptions extends ConnectOptions {
  config?: string;
  /** With environments: the one to work on (required then); its kubeconfig context unless --context is given. */
  env?: string;
  /** A directory of CRD manifests to apply first, for clusters where no chart has installed them. */
  crds?: string;
  prune?: boolean;
  allowDataLoss?: boolean;
}

export interface LiveContext extends Context {
  /** Opens the cluster; injected so tests can hand in a cluster they started. */
  connect: (options: ConnectOptions) => Promise<LiveCluster>;
}

/** A change as reported, without the object itself. */
export type ReportedChange = Omit<ObjectChange, 'object'>;

export interface DiffResult {
  server: string;
  changes: ReportedChange[];
  /** Objects that would be created, changed or pruned. */
  differences: number;
}

export interface ApplyResult extends ApplySummary {
  server: string;
}

export async function readCrds(dir: string): Promise<K8sObject[]> {
  let files: string[];
  try {
    files = (await readdir(dir, { recursive: true })).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    throw new UsageError(`cannot read CRDs from ${dir}`, 'pass a directory of CRD YAML files to --crds');
  }
  const crds: K8sObject[] = [];
  // js-yaml: upstream CRD files are large, and it reads them several times faster than the yaml package.
  for (const file of files) {
    for (const object of readYamlAll(await readFile(join(dir, file), 'utf8')) as (K8sObject | null)[]) {
      if (object?.kind === 'CustomResourceDefinition') crds.push(object);
    }
  }
  return crds;
}

async function plan(options: LiveOptions, ctx: LiveContext, { forApply }: { forApply: boolean }) {
  const resolved = await loadCluster(ctx.cwd, options.config, ctx.registry, options.env);
  const hub = resolved.config.environment?.managedBy;
  // A spoke's tree is its hub's Argo CD's to run: its Applications live on the hub, its objects reach the spoke through them.
  if (hub)
    throw new UsageError(
      `environment "${resolved.config.environment!.name}" is deployed by environment "${hub}"'s Argo CD: nothing is applied to it directly; nothing was ${forApply ? 'applied' : 'compared'}`,
      `plinth ${forApply ? 'apply' : 'diff'} --env ${hub} (the hub's tree runs this environment's root); plinth bootstrap --env ${resolved.config.environment!.name} prepares the spoke itself`,
    );
  const tree = renderTree(resolved, ctx.registry);
  const crds = options.crds ? await readCrds(resolve(ctx.cwd, options.crds)) : [];
  const cluster = await connectEnvironment(ctx, options, resolved.config);
  const phases = namedPhases(tree, crds);
  const objects = phases.flatMap((phase) => phase.objects);
  ctx.progress(`checking that ${cluster.server} serves the ${new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`)).size} kinds to apply`, { phase: true });
  const unserved = await unservedKinds(cluster, objects);
  const missing = unserved.filter((k) => !k.providedHere);
  // With Argo CD on the cluster, its charts bring the missing CRDs and their objects are skipped; without it, nothing
  // ever would, and applying would fail them one by one: stop before writing anything.
  // Discovery of Argo CD's group is cached from unservedKinds when the render has Applications: no request more.
  const argoCdInstalled = await cluster.serves(ARGO_APPLICATION.apiVersion, ARGO_APPLICATION.kind);
  if (forApply && missing.length > 0 && !argoCdInstalled) throw new MissingCrdsError(missing);
  ctx.progress(`dry-running ${objects.length} objects against ${cluster.server}`, { phase: true });
  const deliveredElsewhere = tree.objects.filter((o) => o.promoted).map((o) => o.object);
  return { cluster, config: resolved.config, plan: await planLive(cluster, phases, { ...options, deliveredElsewhere, unserved, argoCdInstalled, progress: ctx.progress }) };
}

const report = ({ object: _object, ...change }: ObjectChange): ReportedChange => change;

export async function diff(options: LiveOptions, ctx: LiveContext): Promise<DiffResult> {
  const { cluster, plan: livePlan } = await plan(options, ctx, { forApply: false });
  const changes = livePlan.changes.map(report);
  return {
    server: cluster.server,
    changes,
    differences: changes.filter((c) => c.action === 'create' || c.action === 'update' || c.action === 'prune').length,
  };
}

export { BlockedError };

export async function apply(options: LiveOptions, ctx: LiveContext): Promise<ApplyResult> {
  const { cluster, config, plan: livePlan } = await plan(options, ctx, { forApply: true });
  if (livePlan.blocked.length > 0) throw new BlockedError(livePlan.blocked.map(report));
  // The first apply to an environment's cluster records which environment it is (the wrong-cluster guard).
  await recordIdentity(cluster, config);
  const summary = await executePlan(cluster, livePlan, ctx.progress);
  return { server: cluster.server, ...summary };
}
