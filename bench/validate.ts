/**
 * `npm run bench:validate`: `plinth validate` and kubeconform on the same rendered tree of a generated config
 * (10,000 objects: the default platform plus golden-path apps), with the same schemas, in the same run.
 * Target: Plinth at least as fast as kubeconform, while checking more (CEL rules, list-map keys, metadata,
 * cross-references and policies). Not a test: nothing here asserts.
 *
 * kubeconform cannot download schemas here, so it gets the very schemas Plinth compiles, written as JSON
 * Schema files in the `{group}/{kind}_{version}.json` layout: the CRDs from the schemas directory and the
 * built-ins from @kubernetes/client-node's models. It is installed with `go install` at a pinned version.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { registry } from '../src/components/index.ts';
import { loadCluster } from '../src/config/load.ts';
import { renderTree } from '../src/core/render.ts';
import { resolveCluster } from '../src/config/validate.ts';
import type { K8sObject } from '../src/core/types.ts';
import { toYaml } from '../src/core/yaml.ts';
import { builtinKinds, builtinSchema } from '../src/validate/schema/builtin.ts';
import { openSchemaRegistry } from '../src/validate/schema/registry.ts';
import { METADATA, rootToAjv } from '../src/validate/schema/structural.ts';
import { readFile } from 'node:fs/promises';
import { loadAll } from 'js-yaml';

const REPO = resolve(import.meta.dirname, '..');
const BIN = join(REPO, 'bin', 'plinth.js');
const UPSTREAM = resolve(process.env.PLINTH_SCHEMAS_DIR ?? join(REPO, '..', 'shared', 'upstream'));
const KUBECONFORM_VERSION = 'v0.8.0';
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function kubeconform(): string {
  const bin = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'plinth', 'bench', 'bin');
  const path = join(bin, 'kubeconform');
  if (!existsSync(path)) {
    mkdirSync(bin, { recursive: true });
    const go = spawnSync('go', ['install', `github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}`], {
      env: { ...process.env, GOBIN: bin, PATH: `${process.env.PATH}:/usr/local/go/bin` },
      encoding: 'utf8',
    });
    if (go.status !== 0) throw new Error(`go install kubeconform failed:\n${go.stderr}`);
  }
  return path;
}

/**
 * The benchmark input: the tree of a generated config. The default cluster plus enough golden-path
 * apps (two stages each, every other one public, with database, cache, queue and scaler mixed in) to pass
 * OBJECTS rendered objects, written by `plinth render` as GitOps files: one object per file, as Argo CD reads them.
 */
async function generatedConfig(dir: string): Promise<{ objects: K8sObject[]; config: Record<string, any> }> {
  const base = (await loadCluster(REPO, undefined, registry)).config;
  const config = JSON.parse(
    spawnSync(process.execPath, ['-e', `import('${join(REPO, 'plinth.config.ts')}').then(m => console.log(JSON.stringify(m.default)))`], { encoding: 'utf8', cwd: REPO }).stdout,
  );
  const apps: Record<string, unknown>[] = [];
  const db = base.postgres.databases[0]!.name;
  const topic = base.topics[0]!.name;
  const cache = base.caches[0]!.name;
  const render = () => renderTree(resolveCluster({ ...config, apps }, registry), registry);
  // About 20 objects per app: add apps in batches until the render has enough objects.
  while (render().objects.length < OBJECTS) {
    for (let k = 0; k < 50; k++) {
      const i = apps.length;
      apps.push({
        name: `app-${String(i).padStart(4, '0')}`,
        image: `ghcr.io/example/app-${i}`,
        stages: ['staging', 'production'],
        ...(i % 2 === 0 && { host: `app-${i}.${base.domain}` }),
        ...(i % 3 === 0 && { database: db }),
        ...(i % 4 === 0 && { cache }),
        ...(i % 5 === 0 && { topics: { consume: [topic] }, scale: { topic, maxReplicas: 4 } }),
      });
    }
  }
  writeFileSync(join(dir, 'plinth.config.json'), JSON.stringify({ ...config, apps }));
  return { objects: render().objects.map((o) => o.object), config };
}

const work = mkdtempSync(join(tmpdir(), 'plinth-bench-validate-'));
try {
  const kc = kubeconform();
  const { objects } = await generatedConfig(work);
  const manifests = join(work, 'rendered');
  const rendered = spawnSync(process.execPath, [BIN, 'render', '--out', manifests], { cwd: work, encoding: 'utf8' });
  if (rendered.status !== 0) throw new Error(`plinth render failed:\n${rendered.stderr}`);
  const files = objects.length;
  const kinds = new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`));
  const crdShare = objects.filter((o) => !/^(v1|[a-z.]+\.k8s\.io\/.+|apps\/v1|batch\/v1|policy\/v1)$/.test(o.apiVersion)).length;

  // The schemas kubeconform reads: the same ones Plinth compiles, closed the same way.
  const schemaDir = join(work, 'schemas');
  const builtin = await builtinKinds();
  const crdRefs = await openSchemaRegistry({ schemasDir: UPSTREAM, cacheDir: false });
  const crdFiles = new Map<string, any[]>();
  for (const key of kinds) {
    const [group, version] = key.split('/').length === 3 ? key.split('/') : ['', key.split('/')[0]!];
    const kind = key.split('/').at(-1)!;
    let schema: Record<string, unknown>;
    const b = builtin.get(key);
    if (b) {
      const s = await builtinSchema(b.model);
      schema = { ...s, properties: { ...s.properties, metadata: METADATA } };
    } else {
      const origin = crdRefs.kind(`${group}/${version}`, kind)!.origin;
      if (!crdFiles.has(origin)) crdFiles.set(origin, loadAll(await readFile(origin, 'utf8')) as any[]);
      const crd = crdFiles.get(origin)!.find((d) => d?.spec?.group === group && d.spec.names.kind === kind);
      schema = rootToAjv(crd.spec.versions.find((v: any) => v.name === version).schema.openAPIV3Schema);
    }
    // kubeconform's {{ .Group }} of a core kind is its apiVersion, "v1".
    const folder = group || version!;
    mkdirSync(join(schemaDir, folder), { recursive: true });
    writeFileSync(join(schemaDir, folder, `${kind.toLowerCase()}_${version}.json`), JSON.stringify(schema));
  }

  const run = (command: string, args: string[], env: Record<string, string> = {}) => {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1', ...env } });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    return { ms, status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const median = (samples: number[]) => samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

  const cache = join(work, 'cache');
  const env = { PLINTH_SCHEMAS_DIR: UPSTREAM, PLINTH_CACHE_DIR: cache };
  const rate = (ms: number) => Math.round((files / ms) * 1000);

  /** Both tools on one layout of the same objects; Kustomizations are kustomize's build input and skipped by both. */
  const compare = (title: string, dir: string) => {
    const kcArgs = ['-strict', '-summary', '-output', 'json', '-skip', 'Kustomization', '-schema-location', join(schemaDir, '{{ .Group }}', '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'), dir];
    const plinthArgs = [BIN, 'validate', dir, '--output', 'json'];
    const cold = run(process.execPath, plinthArgs, env);
    if (cold.status !== 0 && cold.status !== 1) throw new Error(`plinth validate failed (${cold.status}):\n${cold.stderr}`);
    // Interleaved, so a slower minute of a shared machine weighs on both tools alike.
    const kcRuns: ReturnType<typeof run>[] = [];
    const warmRuns: ReturnType<typeof run>[] = [];
    for (let i = 0; i < RUNS; i++) {
      kcRuns.push(run(kc, kcArgs));
      warmRuns.push(run(process.execPath, plinthArgs, env));
    }
    const kcSummary = JSON.parse(kcRuns[0]!.stdout).summary as { valid: number; invalid: number; errors: number; skipped: number };
    if (kcRuns[0]!.status !== 0) console.log(`kubeconform exit ${kcRuns[0]!.status}: ${JSON.stringify(kcSummary)}`);
    const report = JSON.parse(warmRuns[0]!.stdout) as { objects: number; errors: number; warnings: number; infos: number };
    const kcMs = median(kcRuns.map((r) => r.ms));
    const warmMs = median(warmRuns.map((r) => r.ms));
    console.log(`${title}, median of ${RUNS}`);
    console.log(`  kubeconform ${KUBECONFORM_VERSION} -strict   ${kcMs.toFixed(0).padStart(6)} ms  ${String(rate(kcMs)).padStart(7)} objects/s  (valid ${kcSummary.valid}, invalid ${kcSummary.invalid}, errors ${kcSummary.errors})`);
    console.log(`  plinth validate (warm cache)  ${warmMs.toFixed(0).padStart(6)} ms  ${String(rate(warmMs)).padStart(7)} objects/s  (${report.objects} objects: ${report.errors} errors, ${report.warnings} warnings, ${report.infos} rules not evaluated)`);
    console.log(`  plinth validate (cold cache)  ${cold.ms.toFixed(0).padStart(6)} ms  ${String(rate(cold.ms)).padStart(7)} objects/s  (compiles every schema used)`);
    console.log(`  ratio plinth/kubeconform: ${(rate(warmMs) / rate(kcMs)).toFixed(2)}x warm, ${(rate(cold.ms) / rate(kcMs)).toFixed(2)}x cold (>= 1.00x is the target)`);
  };

  compare(`the rendered tree of a generated config: ${files.toLocaleString('en')} objects (${kinds.size} kinds, ${crdShare} custom resources), one per file`, manifests);
  // The same objects as multi-document files of 100, the layout of `helm template` or `kustomize build` output.
  const multi = join(work, 'multi');
  mkdirSync(multi);
  for (let f = 0; f * 100 < objects.length; f++)
    writeFileSync(join(multi, `objects-${String(f).padStart(3, '0')}.yaml`), objects.slice(f * 100, (f + 1) * 100).map((o) => toYaml(o)).join('---\n'));
  rmSync(cache, { recursive: true, force: true });
  compare(`the same objects in ${Math.ceil(objects.length / 100)} multi-document files of 100`, multi);
} finally {
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
