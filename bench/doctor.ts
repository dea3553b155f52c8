/**
 * `npm run bench:doctor`: `plinth doctor` against a control plane holding the whole default platform plus
 * generated golden-path apps, every object with the status its controller would write. Reports the wall
 * time (in process, and the CLI end to end) and the number of API requests, first with 50 extra apps, then
 * with 200. Targets: under 2 s, and the same number of requests for 50 and 200 apps. Each run also looks
 * every public host up in DNS.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { registry } from '../src/components/index.ts';
import { doctor } from '../src/commands/doctor.ts';
import { apply } from '../src/commands/live.ts';
import { loadCluster } from '../src/config/load.ts';
import { renderTree } from '../src/core/render.ts';
import type { K8sObject } from '../src/core/types.ts';
import { connect } from '../src/kube/client.ts';
import { healthyWorld, LB_IP, namespacesOf, worldKey, writeStatus } from '../test/health-world.ts';
import { startDnsServer } from '../test/dns-server.ts';
import { dnsResolver } from '../src/health/dns.ts';
import { publicHosts } from '../src/health/doctor.ts';
import { startControlPlane } from '../test/integration/control-plane.ts';
import seed from '../plinth.config.ts';

const REPO = resolve(import.meta.dirname, '..');
const UPSTREAM = resolve(process.env.PLINTH_SCHEMAS_DIR ?? join(REPO, '..', 'shared', 'upstream'));
const CRDS = join(UPSTREAM, 'crds');
const TARGET_MS = 2000;

async function inParallel<T>(items: T[], work: (item: T) => Promise<unknown>, width = 8): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  }));
}

/** The seed's cluster plus `count` generated apps; one in four is public, one in four autoscales on the queue. */
function config(count: number) {
  const apps = Array.from({ length: count }, (_, i) => ({
    name: `bench-${i}`,
    image: `ghcr.io/bench/app-${i}`,
    ...(i % 4 === 0 && { host: `bench-${i}.${seed.domain}` }),
    ...(i % 4 === 1 && { topics: { consume: ['videos'] }, scale: { topic: 'videos', minReplicas: 0, maxReplicas: 2 } }),
  }));
  return { ...seed, apps: [...(seed.apps ?? []), ...apps] };
}

const work = mkdtempSync(join(tmpdir(), 'plinth-bench-doctor-'));
const plane = await startControlPlane();
// The public hosts' records, as external-dns would publish them, on a real name server on a local port: the
// lookups are part of every run, and do not depend on what this machine's resolver lets through.
const records: Record<string, string[]> = {};
const dns = await startDnsServer(records);
try {
  const live = await connect({ kubeconfig: plane.kubeconfig });
  const context = { cwd: work, registry, progress: () => {}, connect, resolveHost: dnsResolver({ server: dns.server }) };
  const existing = new Set<string>();

  /** Applies the config and everything controllers would add, with their statuses. Generated apps run no pods (replicas 0): one fake node holds 110. */
  async function build(count: number) {
    writeFileSync(join(work, 'plinth.config.json'), JSON.stringify(config(count)));
    const applied = await apply({ kubeconfig: plane.kubeconfig, crds: CRDS }, context);
    if (applied.failed.length) throw new Error(`apply failed: ${JSON.stringify(applied.failed.slice(0, 3))}`);
    const tree = renderTree(await loadCluster(work, undefined, registry), registry);
    for (const host of publicHosts(tree)) records[host] = [LB_IP];
    const world = healthyWorld(tree, new Date());
    const rendered = new Set(tree.objects.filter((o) => !o.promoted).map((o) => worldKey(o.object)));
    const fresh = world.objects.filter((o) => !existing.has(worldKey(o)));
    await inParallel(namespacesOf(fresh), (name) => live.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    const scaled = (o: K8sObject): K8sObject =>
      o.kind === 'Deployment' && o.metadata.name.startsWith('bench-') ? { ...o, spec: { ...(o.spec as object), replicas: 0 } } : o;
    await inParallel(fresh.filter((o) => !rendered.has(worldKey(o))), (o) => live.apply(scaled(o)));
    await inParallel(
      fresh.filter((o) => world.statuses.has(worldKey(o)) && o.kind !== 'Deployment' && o.kind !== 'StatefulSet'),
      (o) => writeStatus(live, o, world.statuses.get(worldKey(o))!),
    );
    for (const o of world.objects) existing.add(worldKey(o));
    return world.objects.length;
  }

  async function measure(count: number) {
    const objects = await build(count);
    await doctor({ kubeconfig: plane.kubeconfig }, context); // warm-up: module loading, connections
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await doctor({ kubeconfig: plane.kubeconfig }, context));
    const best = Math.min(...runs.map((r) => r.durationMs));
    // The CLI end to end, a new process each time (Node start, config, render, client, doctor, output): median of 3.
    const cliRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = process.hrtime.bigint();
      // Not spawnSync: this process serves the DNS answers the CLI asks for.
      const args = [join(REPO, 'bin', 'plinth.js'), 'doctor', '--json', '--kubeconfig', plane.kubeconfig, '--dns-server', dns.server];
      // Exit 1 is the checks failing, as they do here; anything else is doctor failing.
      await promisify(execFile)(process.execPath, args, { cwd: work, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 28 }).catch((error: { code?: number; stderr?: string }) => {
        if (error.code !== 1) throw new Error(`plinth doctor exited ${error.code}: ${error.stderr}`);
      });
      cliRuns.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const cliMs = cliRuns.sort((a, b) => a - b)[1]!;
    const result = runs[runs.length - 1]!;
    const checks = result.summary.pass + result.summary.warn + result.summary.fail + result.summary.skip;
    console.log(
      `${String(count).padStart(3)} apps: ${objects} objects, ${checks} checks (${result.summary.fail} fail): ` +
        `doctor ${best} ms in process, ${cliMs.toFixed(0)} ms CLI end to end (median of 3), ${result.requests} API requests`,
    );
    return { ms: best, cliMs, requests: result.requests };
  }

  console.log(`control plane ready in ${plane.startupSeconds?.toFixed(1)} s`);
  const small = await measure(50);
  const large = await measure(200);
  console.log(`wall time, 200 apps              ${large.ms.toFixed(0).padStart(6)} ms in process, ${large.cliMs.toFixed(0)} ms CLI (target: under ${TARGET_MS} ms) ${large.cliMs < TARGET_MS ? 'ok' : 'MISSED'}`);
  console.log(`API requests, 50 -> 200 apps     ${small.requests} -> ${large.requests} ${large.requests === small.requests ? '(constant: one list per kind)' : 'GREW'}`);
} finally {
  await dns.close();
  await plane.stop();
  rmSync(work, { recursive: true, force: true });
}
