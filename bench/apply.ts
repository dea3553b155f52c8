/**
 * `npm run bench:apply`: the whole default render, CRDs included, applied to a fresh control plane by
 * `plinth apply` and by `kubectl apply --server-side` on the same objects, in the same run.
 * Target: Plinth takes at most half of kubectl's time. Also reports the control plane's start time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { registry } from '../src/components/index.ts';
import { loadCluster } from '../src/config/load.ts';
import { renderTree } from '../src/core/render.ts';
import { applyPhases } from '../src/kube/apply.ts';
import { controlPlaneBinary, startControlPlane } from '../test/integration/control-plane.ts';

const REPO = resolve(import.meta.dirname, '..');
const UPSTREAM = resolve(process.env.PLINTH_SCHEMAS_DIR ?? join(REPO, '..', 'shared', 'upstream'));
const CRDS = join(UPSTREAM, 'crds');

function timed(label: string, command: string, args: string[], env: Record<string, string> = {}): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${label} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return ms;
}

const work = mkdtempSync(join(tmpdir(), 'plinth-bench-apply-'));
const binary = controlPlaneBinary();
try {
  // The same objects for both tools: the CRDs, then every namespace and rendered object, as plinth orders them.
  const crdFiles = readdirSync(CRDS, { recursive: true }).map(String).filter((f) => f.endsWith('.yaml'));
  const crdCount = crdFiles.reduce(
    (n, f) => n + parseAllDocuments(readFileSync(join(CRDS, f), 'utf8')).filter((d) => d.toJS()?.kind === 'CustomResourceDefinition').length,
    0,
  );
  const tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
  const objects = applyPhases(tree).flat();
  writeFileSync(join(work, 'objects.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  console.log(`objects: ${crdCount} CRDs + ${objects.length} rendered objects and namespaces`);

  const plinthPlane = await startControlPlane();
  console.log(`control plane ready in ${plinthPlane.startupSeconds?.toFixed(1)} s (as measured by up)`);
  const plinthMs = timed('plinth apply', process.execPath, [join(REPO, 'bin', 'plinth.js'), 'apply', '--kubeconfig', plinthPlane.kubeconfig, '--crds', CRDS]);
  await plinthPlane.stop();

  const kubectlPlane = await startControlPlane();
  const kubectl = (args: string[]) => timed(`kubectl ${args[0]}`, binary, ['kubectl', '--kubeconfig', kubectlPlane.kubeconfig, ...args]);
  const kubectlMs =
    kubectl(['apply', '--server-side', '--force-conflicts', '-R', '-f', CRDS]) +
    kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=120s']) +
    kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(work, 'objects.json')]);
  await kubectlPlane.stop();

  console.log(`plinth apply                     ${plinthMs.toFixed(0).padStart(6)} ms`);
  console.log(`kubectl apply --server-side      ${kubectlMs.toFixed(0).padStart(6)} ms`);
  console.log(`ratio plinth/kubectl             ${(plinthMs / kubectlMs).toFixed(2)}x (target: at most 0.50x)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
