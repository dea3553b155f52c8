// The rig the control-plane doctor tests share: a platform applied as rendered, with what its charts and operators would
// add (test/health-world.ts), running on the control plane's kwok nodes; and the small helpers their checks use.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { expect } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
import type { K8sObject } from '../../src/core/types.ts';
import { doctor, type DoctorResult } from '../../src/commands/doctor.ts';
import { apply } from '../../src/commands/live.ts';
import type { DoctorCheck } from '../../src/health/doctor.ts';
import { KubeError } from '../../src/kube/client.ts';
import { UPSTREAM } from '../helpers.ts';
import { healthyStatus, healthyWorld, namespacesOf, worldKey, writeStatus } from '../health-world.ts';
import { until, type LiveTest } from './live.ts';

export { configDir } from '../helpers.ts';

export const UPSTREAM_CRDS = join(UPSTREAM, 'crds');

/** A platform's config on example.org, its GitOps repository on git.example.org. */
export const platformConfig = (name: string, components: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
  name,
  domain: 'example.org',
  git: { repoURL: 'https://git.example.org/infra.git' },
  components,
  ...rest,
});

/** `plinth doctor` on the control plane, for the config in `dir`. */
export const runDoctor = (cluster: LiveTest, dir: string): Promise<DoctorResult> => doctor({ kubeconfig: cluster.control.kubeconfig, dns: false }, cluster.context(dir));

/** The check `name` of a feature, failing with the feature's check names when there is none. */
export function checkOf(result: DoctorResult, feature: string, name: string): DoctorCheck {
  const found = result.features.find((f) => f.id === feature)?.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check "${name}" in ${feature}: ${JSON.stringify(result.features.find((f) => f.id === feature)?.checks.map((c) => c.name))}`);
  return found;
}

/** The names of a feature's checks, once every one of them has passed. */
export function passingCheckNames(result: DoctorResult, feature: string): string[] {
  const checks = result.features.find((f) => f.id === feature)!.checks;
  expect(checks.filter((c) => c.status !== 'pass')).toEqual([]);
  return checks.map((c) => c.name);
}

export const ref = (apiVersion: string, kind: string, name: string, namespace?: string): K8sObject => ({ apiVersion, kind, metadata: { name, ...(namespace && { namespace }) } });

/** The object as it was read, fit to apply again. */
export const reapplicable = (kept: K8sObject): K8sObject => {
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, managedFields: _mf, ...metadata } = kept.metadata as Record<string, unknown>;
  return { ...kept, metadata: metadata as K8sObject['metadata'] };
};

/** A node agent as a chart runs it: a DaemonSet, whose pods the real controller puts on each kwok node; `cpu` it requests. */
export const schedulableDaemonSet = (name: string, namespace: string, cpu?: string): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace },
  spec: {
    selector: { matchLabels: { 'app.kubernetes.io/name': name } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': name } },
      spec: { containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', ...(cpu && { resources: { requests: { cpu } } }) }] },
    },
  },
});

/** Waits until every Deployment, StatefulSet and DaemonSet on the control plane has its pods ready. */
export const workloadsReady = (cluster: LiveTest) =>
  until('every Deployment, StatefulSet and DaemonSet ready', async () => {
    const [deployments, sets, daemons] = await Promise.all(['Deployment', 'StatefulSet', 'DaemonSet'].map((kind) => cluster.live.list('apps/v1', kind)));
    const waiting = [...deployments!, ...sets!].filter((d) => ((d.status as { readyReplicas?: number })?.readyReplicas ?? 0) < ((d.spec as { replicas?: number }).replicas ?? 1));
    const daemonsWaiting = daemons!.filter((d) => {
      const s = (d.status ?? {}) as { desiredNumberScheduled?: number; numberReady?: number };
      return !s.desiredNumberScheduled || (s.numberReady ?? 0) < s.desiredNumberScheduled;
    });
    return waiting.length + daemonsWaiting.length === 0 ? true : undefined;
  }, 120);

export interface PlatformOptions {
  /** The CRDs directory `apply` reads; the upstream CRDs by default. */
  crds?: string;
  /** CRD files or directories under `crds` a chart would bring: apply installs only the CRDs of the kinds it applies. */
  chartCrds?: string[];
  /** The object a chart or operator would make of a world object, where it differs from it (undefined: as it is). */
  fit?: (object: K8sObject) => K8sObject | undefined;
  /** Objects beside the world's, as a chart would render them. */
  objects?: K8sObject[];
}

/**
 * Applies the config in `dir` as rendered, then what the world adds beside it (its DaemonSets with pod templates, so
 * the real controller schedules them on the kwok nodes) and the statuses controllers write; resolves once every
 * workload is ready.
 */
export async function buildHealthyPlatform(cluster: LiveTest, dir: string, options: PlatformOptions = {}): Promise<void> {
  const crds = options.crds ?? UPSTREAM_CRDS;
  const now = new Date();
  const applied = await apply({ kubeconfig: cluster.control.kubeconfig, crds }, cluster.context(dir));
  expect(applied.failed).toEqual([]);
  const tree = renderTree(await loadCluster(dir, undefined, registry), registry);
  const world = healthyWorld(tree, now);
  const rendered = new Set(tree.objects.map((o) => worldKey(o.object)));
  // The world's eraser ImageJob belongs to a component a config may leave off.
  const eraser = tree.components.some((c) => c.id === 'eraser');
  const objects = [...world.objects.filter((o) => eraser || o.kind !== 'ImageJob'), ...(options.objects ?? [])];
  const fitted = new Map(objects.map((o) => [o, options.fit?.(o) ?? (o.kind === 'DaemonSet' ? schedulableDaemonSet(o.metadata.name, o.metadata.namespace!) : o)]));
  // Not the rendered namespaces: applying them bare would drop the labels the render gives them.
  const renderedNamespaces = new Set(tree.objects.filter((o) => o.object.kind === 'Namespace').map((o) => o.object.metadata.name));
  for (const name of namespacesOf([...fitted.values()]).filter((n) => !renderedNamespaces.has(n))) await cluster.live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (const path of options.chartCrds ?? []) {
    const full = join(crds, path);
    const files = (await stat(full)).isDirectory() ? (await readdir(full)).map((f) => join(full, f)) : [full];
    for (const file of files) await cluster.live.apply(load(await readFile(file, 'utf8')) as K8sObject);
  }
  for (const object of objects.filter((o) => !rendered.has(worldKey(o))).map((o) => fitted.get(o)!))
    // Until the API server serves the CRD it was just given.
    await until(`${worldKey(object)} applied`, () => cluster.live.apply(object).then(() => true, (error) => (error instanceof KubeError && error.status === 404 ? undefined : Promise.reject(error))), 30, 250);
  for (const [object, fit] of fitted) {
    if (!world.statuses.has(worldKey(object)) || ['Deployment', 'StatefulSet', 'DaemonSet'].includes(object.kind)) continue;
    // An object the test fitted carries the status its own spec gives.
    await writeStatus(cluster.live, fit, (fit === object ? world.statuses.get(worldKey(object)) : healthyStatus(fit, now))!);
  }
  await workloadsReady(cluster);
}
