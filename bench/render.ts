/**
 * `npm run bench`: whole-process wall time and peak memory of `plinth render`, against the targets.
 * Not a test: figures vary with the machine, so nothing here asserts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

function measure(name: string, args: string[], cwd: string, target: { ms: number; rssMb?: number }): number {
  const samples = Array.from({ length: RUNS }, () => run(args, cwd)).sort((a, b) => a.ms - b.ms);
  const median = samples[Math.floor(samples.length / 2)]!;
  const peak = Math.max(...samples.map((s) => s.rssMb));
  const timeRatio = median.ms / target.ms;
  const memory = target.rssMb ? `, ${(peak / target.rssMb).toFixed(2)}x of ${target.rssMb} MB` : '';
  console.log(
    `${name.padEnd(34)} median ${median.ms.toFixed(0).padStart(5)} ms (${timeRatio.toFixed(2)}x of ${target.ms} ms target)` +
      `  peak ${peak.toFixed(0).padStart(4)} MB${memory}`,
  );
  return median.ms;
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
  const plain = measure('render 1,000 apps x 2 stages', [BIN, 'render', '--out', join(appsDir, 'tree')], appsDir, { ms: 5000, rssMb: 500 });

  // The same 1,000 apps with the golden path v2 options (issue 15): workload kinds, probes, relaxations, GPUs,
  // volumes, egress, routes, migrations, renamed variables, connection URLs, consumer groups and merged patches.
  const v2 = apps.map((app, i) => {
    const shape = i % 10 === 1 ? 'worker' : i % 10 === 3 ? 'cronjob' : 'service';
    const { host, scale, ...rest } = app as typeof app & { host?: string; scale?: unknown };
    const consumes = 'topics' in rest && rest.topics !== undefined;
    return {
      ...rest,
      ...(shape === 'service' && host && { host, routes: [{ path: '/api/v1', stripPrefix: true }, { path: '/static' }] }),
      ...(shape === 'service' && scale !== undefined && { scale }),
      ...(shape === 'service' && { port: 3000, ports: [{ name: 'metrics', port: 9090 }], probes: { startup: { http: '/health', failureThreshold: 30 }, liveness: '/health', readiness: { tcp: 'http' } } }),
      ...(shape === 'worker' && { kind: 'worker', gpu: { count: 1, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }, probes: { liveness: { exec: ['test', '-f', '/tmp/alive'] } } }),
      ...(shape === 'cronjob' && { kind: 'cronjob', replicas: undefined, cron: { schedule: '*/15 * * * *' } }),
      command: ['node', 'dist/server.js'],
      args: ['--color=false'],
      security: { runAsRoot: 'node:20-slim has no USER', writableRootFilesystem: 'npm writes its cache' },
      volumes: [{ name: 'scratch', mountPath: '/scratch', emptyDir: { sizeLimit: '1Gi' } }],
      egress: [{ to: 'internet', ports: [443], reason: 'S3-compatible object storage' }, { to: '203.0.113.10/32', ports: [8200], reason: 'Vault' }],
      ...('database' in rest && rest.database !== undefined && shape !== 'cronjob' && { migrate: { command: ['npm', 'run', 'db:migrate'] } }),
      ...(consumes && { topics: { ...rest.topics, consumerGroup: `group-${i}` }, envNames: { KAFKA_BROKERS: 'BROKER_URL' } }),
      ...(('database' in rest && rest.database) || ('cache' in rest && rest.cache)
        ? { connectionUrls: { ...('database' in rest && rest.database && { database: 'DATABASE_URL' }), ...('cache' in rest && rest.cache && { cache: 'KV_URL' }) } }
        : {}),
      deployment: { spec: { template: { spec: { containers: [{ name: app.name, env: [{ name: 'LOG_LEVEL', value: 'info' }] }] } } } },
    };
  });
  const v2Dir = join(work, 'apps-v2');
  mkdirSync(v2Dir);
  writeFileSync(join(v2Dir, 'plinth.config.json'), JSON.stringify({ ...config, apps: v2 }));
  const v2Args = [BIN, 'render', '--out', join(v2Dir, 'tree')];
  const withOptions = measure('render 1,000 apps x 2, v2 options', v2Args, v2Dir, { ms: 4000, rssMb: 500 });
  console.log(`v2 options / plain apps, same run: ${(withOptions / plain).toFixed(2)}x`);

  // BENCH_BASELINE_REF=<commit>: that commit's code renders the plain apps, interleaved run by run with this code
  // rendering the v2 apps, so a busy machine slows both alike.
  if (process.env.BENCH_BASELINE_REF) {
    const ref = process.env.BENCH_BASELINE_REF;
    const baseline = join(work, 'baseline');
    mkdirSync(baseline);
    const archive = spawnSync('git', ['archive', ref], { cwd: REPO, maxBuffer: 2 ** 30 });
    if (archive.status !== 0) throw new Error(`git archive ${ref} failed:\n${archive.stderr}`);
    spawnSync('tar', ['-x', '-C', baseline], { input: archive.stdout });
    symlinkSync(join(REPO, 'node_modules'), join(baseline, 'node_modules'));
    const baselineArgs = [join(baseline, 'bin', 'plinth.js'), 'render', '--out', join(appsDir, 'tree-baseline')];
    const pairs = Array.from({ length: RUNS }, () => ({ before: run(baselineArgs, appsDir).ms, after: run(v2Args, v2Dir).ms }));
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const before = median(pairs.map((p) => p.before));
    const after = median(pairs.map((p) => p.after));
    console.log(`interleaved x${RUNS}: ${ref.slice(0, 10)} plain apps median ${before.toFixed(0)} ms, v2 options median ${after.toFixed(0)} ms: ${(after / before).toFixed(2)}x`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
