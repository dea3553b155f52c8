/**
 * `npm run bench:validate`: `plinth validate` and kubeconform on the same 10,000 generated objects (built-in
 * kinds and custom resources, in multi-document files), with the same schemas, in the same run.
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
import { dump } from 'js-yaml';
import { registry } from '../src/components/index.ts';
import { loadCluster } from '../src/config/load.ts';
import { renderTree } from '../src/core/render.ts';
import type { K8sObject } from '../src/core/types.ts';
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
const PER_FILE = 100;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

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

/** Built-in objects of the kinds an app needs, varied by index; custom resources come from the default render. */
function builtins(i: number): K8sObject[] {
  const name = `app-${i}`;
  const labels = { 'app.kubernetes.io/name': name };
  return [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'apps', labels },
      spec: {
        replicas: 2, selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [{
              name, image: `ghcr.io/example/${name}:1.${i}`, ports: [{ name: 'http', containerPort: 8080 }],
              env: [{ name: 'PORT', value: '8080' }], resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' } }, securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true },
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'apps', labels }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'apps' }, data: { 'config.yaml': `index: ${i}\n` } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'apps' }, spec: { minAvailable: 1, selector: { matchLabels: labels } } },
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'apps' },
      spec: { ingressClassName: 'traefik', tls: [{ hosts: [`${name}.example.org`], secretName: `${name}-tls` }], rules: [{ host: `${name}.example.org`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { name: 'http' } } } }] } }] },
    },
  ];
}

const work = mkdtempSync(join(tmpdir(), 'plinth-bench-validate-'));
try {
  const kc = kubeconform();
  const tree = renderTree(await loadCluster(REPO, undefined, registry), registry);
  const custom = tree.objects.map((o) => o.object).filter((o) => !/^(v1|[a-z.]+\.k8s\.io\/.+|apps\/v1|batch\/v1|policy\/v1)$/.test(o.apiVersion));
  const objects: K8sObject[] = [];
  for (let i = 0; objects.length < OBJECTS; i++) {
    objects.push(...builtins(i));
    const cr = structuredClone(custom[i % custom.length]!);
    cr.metadata.name = `${cr.metadata.name}-${i}`;
    objects.push(cr);
  }
  objects.length = OBJECTS;
  const manifests = join(work, 'manifests');
  mkdirSync(manifests);
  for (let f = 0; f * PER_FILE < objects.length; f++)
    writeFileSync(join(manifests, `objects-${String(f).padStart(3, '0')}.yaml`), objects.slice(f * PER_FILE, (f + 1) * PER_FILE).map((o) => dump(o, { noRefs: true })).join('---\n'));
  const kinds = new Set(objects.map((o) => `${o.apiVersion}/${o.kind}`));
  const crdShare = objects.filter((o) => custom.some((c) => c.kind === o.kind && c.apiVersion === o.apiVersion)).length;

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

  const kcArgs = ['-strict', '-summary', '-output', 'json', '-schema-location', join(schemaDir, '{{ .Group }}', '{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'), manifests];
  const kcRuns = Array.from({ length: RUNS }, () => run(kc, kcArgs));
  const kcSummary = JSON.parse(kcRuns[0]!.stdout).summary as { valid: number; invalid: number; errors: number; skipped: number };
  if (kcRuns[0]!.status !== 0) console.log(`kubeconform exit ${kcRuns[0]!.status}: ${JSON.stringify(kcSummary)}`);

  const cache = join(work, 'cache');
  const plinthArgs = [BIN, 'validate', manifests, '--output', 'json'];
  const env = { PLINTH_SCHEMAS_DIR: UPSTREAM, PLINTH_CACHE_DIR: cache };
  const cold = run(process.execPath, plinthArgs, env);
  const warmRuns = Array.from({ length: RUNS }, () => run(process.execPath, plinthArgs, env));
  const report = JSON.parse(cold.stdout) as { objects: number; errors: number; warnings: number; infos: number };
  if (cold.status !== 0 && cold.status !== 1) throw new Error(`plinth validate failed (${cold.status}):\n${cold.stderr}`);

  const kcMs = median(kcRuns.map((r) => r.ms));
  const warmMs = median(warmRuns.map((r) => r.ms));
  const rate = (ms: number) => Math.round((OBJECTS / ms) * 1000);
  console.log(`validate ${OBJECTS.toLocaleString('en')} objects (${kinds.size} kinds, ${crdShare} custom resources) in ${Math.ceil(OBJECTS / PER_FILE)} files, median of ${RUNS}`);
  console.log(`  kubeconform ${KUBECONFORM_VERSION} -strict   ${kcMs.toFixed(0).padStart(6)} ms  ${String(rate(kcMs)).padStart(7)} objects/s  (valid ${kcSummary.valid}, invalid ${kcSummary.invalid}, errors ${kcSummary.errors}, skipped ${kcSummary.skipped})`);
  console.log(`  plinth validate (warm cache)  ${warmMs.toFixed(0).padStart(6)} ms  ${String(rate(warmMs)).padStart(7)} objects/s  (${report.errors} errors, ${report.warnings} warnings, ${report.infos} rules not evaluated)`);
  console.log(`  plinth validate (cold cache)  ${cold.ms.toFixed(0).padStart(6)} ms  ${String(rate(cold.ms)).padStart(7)} objects/s  (compiles every schema used)`);
  console.log(`  ratio plinth/kubeconform: ${(rate(warmMs) / rate(kcMs)).toFixed(2)}x warm, ${(rate(cold.ms) / rate(kcMs)).toFixed(2)}x cold (>= 1.00x is the target)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
