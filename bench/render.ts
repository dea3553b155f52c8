/**
 * `npm run bench`: whole-process wall time and peak memory of `plinth render`, against the targets.
 * Not a test: figures vary with the machine, so nothing here asserts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const BIN = join(REPO, 'bin', 'plinth.js');
const PROBE = join(REPO, 'bench', 'rss-probe.ts');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Sample {
  ms: number;
  rssMb: number;
}

function run(args: string[], cwd: string): Sample {
  const rssFile = join(mkdtempSync(join(tmpdir(), 'plinth-bench-')), 'rss');
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', PROBE, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', PLINTH_BENCH_RSS_FILE: rssFile },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  const rssKb = Number(readFileSync(rssFile, 'utf8').trim());
  return { ms, rssMb: rssKb / 1024 };
}

function measure(name: string, args: string[], cwd: string, target: { ms: number; rssMb?: number }) {
  const samples = Array.from({ length: RUNS }, () => run(args, cwd)).sort((a, b) => a.ms - b.ms);
  const median = samples[Math.floor(samples.length / 2)]!;
  const peak = Math.max(...samples.map((s) => s.rssMb));
  const timeRatio = median.ms / target.ms;
  const memory = target.rssMb ? `, ${(peak / target.rssMb).toFixed(2)}x of ${target.rssMb} MB` : '';
  console.log(
    `${name.padEnd(34)} median ${median.ms.toFixed(0).padStart(5)} ms (${timeRatio.toFixed(2)}x of ${target.ms} ms target)` +
      `  peak ${peak.toFixed(0).padStart(4)} MB${memory}`,
  );
}

const work = mkdtempSync(join(tmpdir(), 'plinth-bench-'));
try {
  // The floor every CLI pays: starting Node itself.
  measure('node startup (floor)', ['-e', ''], work, { ms: 1000 });
  measure('render default config', [BIN, 'render', '--out', join(work, 'default')], REPO, { ms: 1000 });

  const objects = Array.from({ length: 1000 }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `generated-${String(i).padStart(4, '0')}`, namespace: 'argocd', labels: { app: `app-${i % 50}` } },
    data: { index: String(i), enabled: 'yes', json: JSON.stringify({ replicas: i % 5, tags: ['a', 'b'] }) },
  }));
  const config = JSON.parse(
    spawnSync(process.execPath, ['-e', `import('${join(REPO, 'plinth.config.ts')}').then(m => console.log(JSON.stringify(m.default)))`], {
      encoding: 'utf8',
      cwd: REPO,
    }).stdout,
  );
  config.components['argo-cd'] = { ...config.components['argo-cd'], extraObjects: objects };
  writeFileSync(join(work, 'plinth.config.json'), JSON.stringify(config));
  measure('render + 1,000 extra objects', [BIN, 'render', '--out', join(work, 'large')], work, { ms: 5000, rssMb: 500 });
  // A second run over an existing tree compares every file instead of writing it.
  measure('re-render 1,000 (all unchanged)', [BIN, 'render', '--out', join(work, 'large')], work, { ms: 5000, rssMb: 500 });

  // 1,000 golden-path apps in two stages each: about 20,000 files (workloads, pipelines, Applications).
  const apps = Array.from({ length: 1000 }, (_, i) => ({
    name: `app-${String(i).padStart(4, '0')}`,
    image: `ghcr.io/example/app-${i}`,
    stages: ['staging', 'production'],
    ...(i % 2 === 0 && { host: `app-${i}.${config.domain}` }),
    ...(i % 3 === 0 && { database: config.postgres.databases[0].name }),
    ...(i % 4 === 0 && { cache: config.caches[0].name }),
    ...(i % 5 === 0 && { topics: { consume: [config.topics[0].name] }, scale: { topic: config.topics[0].name, maxReplicas: 4 } }),
  }));
  const appsDir = join(work, 'apps');
  mkdirSync(appsDir);
  writeFileSync(join(appsDir, 'plinth.config.json'), JSON.stringify({ ...config, apps }));
  measure('render 1,000 apps x 2 stages', [BIN, 'render', '--out', join(appsDir, 'tree')], appsDir, { ms: 5000, rssMb: 500 });
} finally {
  rmSync(work, { recursive: true, force: true });
}
