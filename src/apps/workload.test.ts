import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { UPSTREAM, minimalCluster, tempDir } from '../../test/helpers.ts';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { CATALOGUE_FILE } from '../core/catalogue.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import type { ConfigIssue } from '../errors.ts';
import { validateSubjects } from '../validate/index.ts';
import { openSchemaRegistry, type SchemaRegistry } from '../validate/schema/registry.ts';
import { checkRules } from '../validate/rules/index.ts';
import { configIssues, renderedFile } from '../../test/components.ts';

/**
 * The seed-like apps plus one of each new shape: a GPU worker, a cronjob, a service with everything a real
 * API needs (extra port, command, probes of every form, relaxed hardening, volumes).
 */
function cluster(change: (config: Record<string, any>) => void = () => {}) {
  const config = minimalCluster();
  config.apps.push(
    {
      name: 'video',
      kind: 'worker',
      image: 'ghcr.io/example/video',
      topics: { consume: ['videos'] },
      probes: { liveness: { exec: ['cat', '/tmp/alive'] }, readiness: { exec: ['cat', '/tmp/ready'] } },
      gpu: { count: 2, nodeSelector: { 'nvidia.com/gpu.present': 'true' }, runtimeClassName: 'nvidia' },
      resources: { requests: { memory: '4Gi' }, limits: { memory: '8Gi' } },
      volumes: [{ name: 'scratch', mountPath: '/scratch', emptyDir: { sizeLimit: '20Gi' } }],
    },
    {
      name: 'cleanup',
      kind: 'cronjob',
      image: 'ghcr.io/example/api',
      database: 'app',
      command: ['node', 'dist/cleanup.js'],
      cron: { schedule: '30 3 * * MON-FRI' },
    },
    {
      name: 'models',
      image: 'ghcr.io/example/models',
      port: 8000,
      ports: [{ name: 'metrics', port: 9090 }],
      command: ['python', '-m', 'serve'],
      args: ['--port', '8000'],
      workingDir: '/srv',
      probes: {
        liveness: { tcp: 'http', periodSeconds: 20 },
        readiness: { http: '/ready', port: 'metrics' },
        startup: { http: '/healthz', initialDelaySeconds: 5, failureThreshold: 60 },
      },
      security: { runAsRoot: 'image has no USER yet', writableRootFilesystem: 'the model cache writes to /root/.cache', fsGroup: 1000 },
      volumes: [
        { name: 'weights', mountPath: '/weights', size: '50Gi', storageClass: 'fast' },
        { name: 'shm', mountPath: '/dev/shm', emptyDir: { medium: 'Memory' } },
      ],
    },
  );
  change(config);
  return config;
}

const render = (config: Record<string, any>): RenderedTree => renderTree(resolveCluster(config, registry), registry);
const tree = render(cluster());
const object = (path: string, t = tree) => renderedFile(t, path);
const stageFiles = (app: string, t = tree) => [...t.files.keys()].filter((f) => f.startsWith(`workloads/${app}/stages/production/`)).map((f) => f.split('/').at(-1));
const issues = (config: Record<string, any>): ConfigIssue[] => configIssues(config);

describe('a service (the default kind)', () => {
  it('keeps its defaults: one "http" port, /healthz liveness and readiness, no startup probe, hardened', () => {
    const container = object('workloads/web/stages/production/deployment-web.yaml').spec.template.spec.containers[0];
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.livenessProbe).toEqual({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
    expect(container.readinessProbe).toEqual(container.livenessProbe);
    expect(container.startupProbe).toBeUndefined();
    expect(container.command).toBeUndefined();
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
  });

  it('renders extra named ports on the container and the Service, and the command, args and working directory', () => {
    const deployment = object('workloads/models/stages/production/deployment-models.yaml');
    const container = deployment.spec.template.spec.containers[0];
    expect(container.ports).toEqual([
      { name: 'http', containerPort: 8000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ]);
    expect(container.command).toEqual(['python', '-m', 'serve']);
    expect(container.args).toEqual(['--port', '8000']);
    expect(container.workingDir).toBe('/srv');
    expect(object('workloads/models/stages/production/service-models.yaml').spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
    ]);
  });

  it('renders each probe form: tcp, http on a named port, and a startup probe with its own timing', () => {
    const container = object('workloads/models/stages/production/deployment-models.yaml').spec.template.spec.containers[0];
    expect(container.livenessProbe).toEqual({ tcpSocket: { port: 'http' }, periodSeconds: 20, timeoutSeconds: 2, failureThreshold: 3 });
    expect(container.readinessProbe).toEqual({ httpGet: { path: '/ready', port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
    expect(container.startupProbe).toEqual({ httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 60 });
  });

  it('turns a probe off with false, and keeps the other default', () => {
    const t = render(cluster((c) => (c.apps[0].probes = { liveness: false })));
    const container = object('workloads/web/stages/production/deployment-web.yaml', t).spec.template.spec.containers[0];
    expect(container.livenessProbe).toBeUndefined();
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });
});

describe('security relaxations', () => {
  const deployment = object('workloads/models/stages/production/deployment-models.yaml');
  const pod = deployment.spec.template.spec;

  it('relax runAsNonRoot on the pod and the container both, and the read-only root filesystem, nothing else', () => {
    expect(pod.securityContext).toEqual({ runAsNonRoot: false, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, runAsNonRoot: false, capabilities: { drop: ['ALL'] } });
  });

  it('carry their reasons as annotations on the pod template and the workload, with the policy opt-outs on the workload', () => {
    expect(deployment.spec.template.metadata.annotations).toEqual({
      'plinth.dev/relaxed-run-as-root': 'image has no USER yet',
      'plinth.dev/relaxed-writable-root-filesystem': 'the model cache writes to /root/.cache',
    });
    expect(deployment.metadata.annotations).toEqual({
      'plinth.dev/relaxed-run-as-root': 'image has no USER yet',
      'plinth.dev/allow-run-as-non-root': 'image has no USER yet',
      'plinth.dev/relaxed-writable-root-filesystem': 'the model cache writes to /root/.cache',
      'plinth.dev/allow-read-only-root-filesystem': 'the model cache writes to /root/.cache',
    });
  });

  it('render runAsUser and runAsGroup on a hardened pod without relaxing anything', () => {
    const t = render(cluster((c) => (c.apps[0].security = { runAsUser: 1001, runAsGroup: 1001 })));
    const web = object('workloads/web/stages/production/deployment-web.yaml', t);
    expect(web.spec.template.spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1001, runAsGroup: 1001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(web.metadata.annotations ?? {}).not.toHaveProperty('plinth.dev/allow-run-as-non-root');
    expect(web.spec.template.metadata.annotations).toBeUndefined();
  });
});

describe('a worker', () => {
  it('gets no Service, no Ingress and no ingress rules, but keeps its Deployment, PDB and NetworkPolicy', () => {
    expect(stageFiles('video')).toEqual([
      'deployment-video.yaml',
      'kustomization.yaml',
      'networkpolicy-video.yaml',
      'poddisruptionbudget-video.yaml',
      'serviceaccount-video.yaml',
    ]);
    expect(object('workloads/video/stages/production/networkpolicy-video.yaml').spec.ingress).toEqual([]);
  });

  it('has no port and no default probes; its exec probes are rendered as declared', () => {
    const container = object('workloads/video/stages/production/deployment-video.yaml').spec.template.spec.containers[0];
    expect(container.ports).toBeUndefined();
    expect(container.livenessProbe).toEqual({ exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
    const bare = render(cluster((c) => delete c.apps[3].probes));
    const plain = object('workloads/video/stages/production/deployment-video.yaml', bare).spec.template.spec.containers[0];
    expect([plain.livenessProbe, plain.readinessProbe, plain.startupProbe]).toEqual([undefined, undefined, undefined]);
  });
});

describe('a GPU', () => {
  const pod = object('workloads/video/stages/production/deployment-video.yaml').spec.template.spec;

  it('is requested and limited as nvidia.com/gpu beside the declared resources', () => {
    expect(pod.containers[0].resources).toEqual({
      requests: { cpu: '100m', memory: '4Gi', 'nvidia.com/gpu': '2' },
      limits: { cpu: '1', memory: '8Gi', 'nvidia.com/gpu': '2' },
    });
  });

  it('places the pod with the node selector and runtime class, tolerating the GPU taint by default', () => {
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(pod.runtimeClassName).toBe('nvidia');
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  it('gives a slow-starting GPU app its liveness check as a startup probe (five minutes), unless it says otherwise', () => {
    expect(pod.containers[0].startupProbe).toEqual({ exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 30 });
    const off = render(cluster((c) => (c.apps[3].probes.startup = false)));
    expect(object('workloads/video/stages/production/deployment-video.yaml', off).spec.template.spec.containers[0].startupProbe).toBeUndefined();
    const web = render(cluster((c) => (c.apps[0].gpu = { count: 1 })));
    expect(object('workloads/web/stages/production/deployment-web.yaml', web).spec.template.spec.containers[0].startupProbe).toEqual({
      httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 30,
    });
    expect(object('workloads/web/stages/production/deployment-web.yaml').spec.template.spec.containers[0].startupProbe).toBeUndefined();
  });

  it('takes its own resource name and tolerations', () => {
    const t = render(cluster((c) => (c.apps[3].gpu = { count: 1, resource: 'amd.com/gpu', tolerations: [{ key: 'gpu', operator: 'Equal', value: 'amd', effect: 'NoSchedule' }] })));
    const spec = object('workloads/video/stages/production/deployment-video.yaml', t).spec.template.spec;
    expect(spec.containers[0].resources.limits['amd.com/gpu']).toBe('1');
    expect(spec.tolerations).toEqual([{ key: 'gpu', operator: 'Equal', value: 'amd', effect: 'NoSchedule' }]);
    expect(spec.nodeSelector).toBeUndefined();
  });

  it('can also be given as an extended resource in resources', () => {
    const t = render(cluster((c) => {
      delete c.apps[3].gpu;
      c.apps[3].resources.limits['nvidia.com/gpu'] = '1';
    }));
    expect(object('workloads/video/stages/production/deployment-video.yaml', t).spec.template.spec.containers[0].resources.limits).toEqual({ cpu: '1', memory: '8Gi', 'nvidia.com/gpu': '1' });
  });
});

describe('volumes', () => {
  const deployment = object('workloads/models/stages/production/deployment-models.yaml');

  it('render a PersistentVolumeClaim per stage that Argo CD never prunes', () => {
    const t = render(cluster((c) => (c.apps[5].stages = ['staging', 'production'])));
    for (const stage of ['staging', 'production'])
      expect(object(`workloads/models/stages/${stage}/persistentvolumeclaim-models-weights.yaml`, t)).toEqual({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: 'models-weights',
          namespace: stage,
          labels: expect.objectContaining({ 'plinth.dev/app': 'models', 'plinth.dev/stage': stage }),
          annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false' },
        },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '50Gi' } } },
      });
    expect(object('workloads/models/stages/staging/kustomization.yaml', t).resources).toContain('persistentvolumeclaim-models-weights.yaml');
  });

  it('are mounted beside /tmp, an emptyDir keeps its size limit and medium, and a claim makes rollouts Recreate', () => {
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toEqual([
      { name: 'tmp', emptyDir: {} },
      { name: 'weights', persistentVolumeClaim: { claimName: 'models-weights' } },
      { name: 'shm', emptyDir: { medium: 'Memory' } },
    ]);
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'weights', mountPath: '/weights' },
      { name: 'shm', mountPath: '/dev/shm' },
    ]);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const video = object('workloads/video/stages/production/deployment-video.yaml');
    expect(video.spec.template.spec.volumes[1]).toEqual({ name: 'scratch', emptyDir: { sizeLimit: '20Gi' } });
    expect(video.spec.strategy).toBeUndefined();
  });
});

describe('a cronjob', () => {
  const cronJob = object('workloads/cleanup/stages/production/cronjob-cleanup.yaml');

  it('renders a CronJob and no Service, Ingress or PDB', () => {
    expect(stageFiles('cleanup')).toEqual(['cronjob-cleanup.yaml', 'kustomization.yaml', 'networkpolicy-cleanup.yaml', 'serviceaccount-cleanup.yaml']);
  });

  it('runs on its schedule with Forbid and the default history limits, its pod never restarted in place', () => {
    expect(cronJob.apiVersion).toBe('batch/v1');
    expect(cronJob.spec).toMatchObject({ schedule: '30 3 * * MON-FRI', concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    const template = cronJob.spec.jobTemplate.spec.template;
    expect(template.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'cleanup', 'plinth.dev/app': 'cleanup' });
    expect(template.spec.restartPolicy).toBe('Never');
    const [container] = template.spec.containers;
    expect(container.image).toBe('ghcr.io/example/api');
    expect(container.command).toEqual(['node', 'dist/cleanup.js']);
    expect(container.ports).toBeUndefined();
    expect(container.livenessProbe).toBeUndefined();
    expect(container.env.map((e: { name: string }) => e.name)).toContain('PGHOST');
    expect(cronJob.metadata.annotations).toEqual({ 'plinth.dev/database': 'app' });
  });

  it("gets its image tag from the stage's kustomization, as Kargo's kustomize-set-image and kustomize-build give it", async () => {
    // kustomize sets the image of `containers` at any path of any kind (api/konfig/builtinpluginconsts/images.go).
    const dir = await tempDir();
    const prefix = 'workloads/cleanup/stages/production/';
    for (const [file, content] of tree.files) if (file.startsWith(prefix)) await writeFile(join(dir, file.slice(prefix.length)), content);
    const kustomization = object(`${prefix}kustomization.yaml`);
    await writeFile(join(dir, 'kustomization.yaml'), JSON.stringify({ ...kustomization, images: [{ name: 'ghcr.io/example/api', newTag: '1.4.2' }] }));
    const built = parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' })).map((d) => d.toJS());
    const cron = built.find((o) => o.kind === 'CronJob');
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].image).toBe('ghcr.io/example/api:1.4.2');
  });

  it('takes its concurrency policy and history limits', () => {
    const t = render(cluster((c) => (c.apps[4].cron = { schedule: '@hourly', concurrencyPolicy: 'Replace', successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 5 })));
    expect(object('workloads/cleanup/stages/production/cronjob-cleanup.yaml', t).spec).toMatchObject({
      schedule: '@hourly', concurrencyPolicy: 'Replace', successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 5,
    });
  });
});

describe('the new shapes against the upstream schemas and the platform policies', () => {
  let schemas: SchemaRegistry;
  beforeAll(async () => {
    schemas = await openSchemaRegistry({ schemasDir: UPSTREAM, cacheDir: false });
  });

  it('validate with no error or warning; every relaxation is listed with its reason', async () => {
    const config = resolveCluster(cluster(), registry).config;
    const subjects = tree.objects.map(({ file, object: o }) => ({ file, document: 1, object: o }));
    expect(subjects.map((s) => s.object.kind)).toEqual(expect.arrayContaining(['CronJob', 'PersistentVolumeClaim', 'Deployment']));
    const findings = await validateSubjects(subjects, { schemas, cluster: config });
    // The minimal cluster declares no Postgres backup: a warning on a component, not on an app.
    expect(findings.filter((f) => f.severity !== 'info' && f.file.startsWith('workloads/'))).toEqual([]);
    expect(findings.filter((f) => f.rule.startsWith('relaxation/'))).toEqual([
      {
        file: 'workloads/models/stages/production/deployment-models.yaml',
        document: 1,
        object: 'Deployment/production/models',
        path: '/metadata/annotations/plinth.dev~1relaxed-run-as-root',
        rule: 'relaxation/run-as-root',
        severity: 'info',
        message: 'Deployment runs as root: "image has no USER yet"',
        hint: 'remove apps[5].security.runAsRoot once the reason no longer holds',
      },
      {
        file: 'workloads/models/stages/production/deployment-models.yaml',
        document: 1,
        object: 'Deployment/production/models',
        path: '/metadata/annotations/plinth.dev~1relaxed-writable-root-filesystem',
        rule: 'relaxation/writable-root-filesystem',
        severity: 'info',
        message: 'Deployment writes to its root filesystem: "the model cache writes to /root/.cache"',
        hint: 'remove apps[5].security.writableRootFilesystem once the reason no longer holds',
      },
    ]);
  });

  it('a CronJob or PVC with a typo fails the schema (the check can fail)', async () => {
    for (const file of ['workloads/cleanup/stages/production/cronjob-cleanup.yaml', 'workloads/models/stages/production/persistentvolumeclaim-models-weights.yaml']) {
      const broken = structuredClone(object(file));
      broken.spec.plinthTypo = 1;
      expect((await schemas.check(broken as never)).filter((p) => p.severity === 'error').map((p) => p.path)).toEqual(['/spec/plinthTypo']);
    }
  });

  it('a hand-written relaxation without a reason is a warning', () => {
    const findings = checkRules([
      {
        file: 'job.yaml',
        document: 1,
        object: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'x', annotations: { 'plinth.dev/relaxed-run-as-root': ' ' } }, spec: { template: { spec: { containers: [] } } } },
      },
    ]);
    expect(findings.filter((f) => f.rule.startsWith('relaxation/'))).toEqual([
      expect.objectContaining({ rule: 'relaxation/run-as-root', severity: 'warning', message: 'Job runs as root and gives no reason' }),
    ]);
  });

  it('the catalogue lists each app\'s relaxations and egress', () => {
    const t = render(cluster((c) => (c.apps[1].egress = [{ to: 'internet', ports: [443], reason: 'S3 presigned URLs' }])));
    const catalogue = t.files.get(CATALOGUE_FILE)!;
    expect(catalogue).toContain('| app | relaxed hardening | egress |');
    expect(catalogue).toContain('| `api` | - | internet 443/TCP: S3 presigned URLs |');
    expect(catalogue).toContain('| `models` | run-as-root: image has no USER yet<br>writable-root-filesystem: the model cache writes to /root/.cache | - |');
    expect(render(minimalCluster()).files.get(CATALOGUE_FILE)).not.toContain('relaxed hardening');
  });
});

describe('workload options that cannot work', () => {
  const cases: [string, (c: Record<string, any>) => void, string, RegExp, RegExp][] = [
    ['a GPU count below 1', (c) => (c.apps[3].gpu.count = 0), 'apps[3].gpu.count', /at least 1/, /count: 1/],
    ['an empty command', (c) => (c.apps[4].command = []), 'apps[4].command', /is empty/, /ENTRYPOINT/],
    ['runAsRoot without a reason', (c) => (c.apps[5].security.runAsRoot = '  '), 'apps[5].security.runAsRoot', /no reason/, /why/],
    ['runAsUser 0 without runAsRoot', (c) => (c.apps[0].security = { runAsUser: 0 }), 'apps[0].security.runAsUser', /root/, /runAsRoot/],
    ['a six-field cron schedule', (c) => (c.apps[4].cron.schedule = '0 30 3 * * *'), 'apps[4].cron.schedule', /6 fields.*no seconds/, /0 3 \* \* \*/],
    ['a cron minute out of range', (c) => (c.apps[4].cron.schedule = '60 3 * * *'), 'apps[4].cron.schedule', /"60" is not a minute between 0 and 59/, /e\.g\./],
    ['a cron step of zero', (c) => (c.apps[4].cron.schedule = '*/0 * * * *'), 'apps[4].cron.schedule', /step/, /e\.g\./],
    ['a cronjob without cron', (c) => delete c.apps[4].cron, 'apps[4].cron', /required for a cronjob/, /schedule/],
    ['cron on a service', (c) => (c.apps[0].cron = { schedule: '0 3 * * *' }), 'apps[0].cron', /only a cronjob/, /kind: "cronjob"/],
    ['a cronjob with replicas', (c) => (c.apps[4].replicas = 2), 'apps[4].replicas', /replicas means nothing/, /remove replicas/],
    ['a scaled cronjob', (c) => (c.apps[4].scale = { topic: 'videos', maxReplicas: 2 }), 'apps[4].scale', /not scaled/, /worker/],
    ['an empty exec probe', (c) => (c.apps[3].probes.liveness = { exec: [] }), 'apps[3].probes.liveness.exec', /non-empty command/, /list of strings/],
    ['a probe with two checks', (c) => (c.apps[0].probes = { readiness: { http: '/a', tcp: 80 } }), 'apps[0].probes.readiness', /http and tcp/, /exactly|tcp/],
    ['a probe path without "/"', (c) => (c.apps[0].probes = { liveness: 'healthz' }), 'apps[0].probes.liveness', /starting with "\/"/, /healthz/],
    ['a probe on an undeclared port', (c) => (c.apps[5].probes.readiness = { http: '/ready', port: 'admin' }), 'apps[5].probes.readiness.port', /"admin"/, /metrics/],
    ['a worker probing "http"', (c) => (c.apps[3].probes.liveness = '/healthz'), 'apps[3].probes.liveness', /declares no ports/, /by number/],
    ['a worker with a host', (c) => (c.apps[3].host = 'video.example.org'), 'apps[3].host', /no port, Service or Ingress/, /kind: "service"/],
    ['a worker with routes', (c) => (c.apps[3].routes = [{ path: '/api' }]), 'apps[3].routes', /cannot have routes/, /kind: "service"/],
    ['a worker with a port', (c) => (c.apps[3].port = 9000), 'apps[3].port', /port means nothing/, /remove port/],
    ['a worker with ports', (c) => (c.apps[3].ports = [{ name: 'metrics', port: 9090 }]), 'apps[3].ports', /cannot have ports/, /remove ports/],
    ['a worker another app calls', (c) => (c.apps[0].calls = ['video']), 'apps[0].calls[0]', /"video" is a worker/, /topic/],
    ['a port named "http"', (c) => (c.apps[5].ports.push({ name: 'http', port: 81 })), 'apps[5].ports[1].name', /main port/, /own name/],
    ['a port declared twice', (c) => (c.apps[5].ports.push({ name: 'other', port: 8000 })), 'apps[5].ports[1].port', /8000 is declared twice/, /own number/],
    ['a bad port name', (c) => (c.apps[5].ports[0].name = 'Metrics_Port'), 'apps[5].ports[0].name', /port name/, /.*/],
    ['a volume with size and emptyDir', (c) => (c.apps[5].volumes[1].size = '1Gi'), 'apps[5].volumes[1]', /both size and emptyDir/, /not both/],
    ['a volume with neither', (c) => delete c.apps[3].volumes[0].emptyDir, 'apps[3].volumes[0]', /neither size nor emptyDir/, /emptyDir: \{\}/],
    ['a volume named tmp', (c) => (c.apps[3].volumes[0].name = 'tmp'), 'apps[3].volumes[0].name', /\/tmp volume/, /own name/],
    ['a volume at /tmp', (c) => (c.apps[3].volumes[0].mountPath = '/tmp'), 'apps[3].volumes[0].mountPath', /already/, /own path/],
    ['a claim shared by replicas', (c) => (c.apps[5].replicas = 3), 'apps[5].volumes[0].size', /3 replicas/, /one replica/],
    ['a relative mount path', (c) => (c.apps[3].volumes[0].mountPath = 'scratch'), 'apps[3].volumes[0].mountPath', /absolute path/, /.*/],
    ['an unknown resource', (c) => (c.apps[0].resources = { limits: { gpu: '1' } }), 'apps[0].resources.limits.gpu', /not a resource/, /nvidia\.com\/gpu/],
    ['the GPU given twice', (c) => (c.apps[3].resources.limits['nvidia.com/gpu'] = '2'), 'apps[3].resources.limits["nvidia.com/gpu"]', /gpu\.count too/, /gpu: \{ count: 2 \}/],
    ['an extended request unlike its limit', (c) => (c.apps[0].resources = { requests: { 'example.com/fpga': '1' }, limits: { 'example.com/fpga': '2' } }), 'apps[0].resources.requests["example.com/fpga"]', /does not overcommit/, /equal/],
  ];
  it.each(cases)('%s: an error at its path, with a hint', (_, change, path, message, hint) => {
    const found = issues(cluster(change));
    // Another check may also speak of the same path (a worker's routes have no host either): this one must be among them.
    const issue = found.find((i) => i.path === path && message.test(i.message)) ?? found.find((i) => i.path === path);
    expect(issue, JSON.stringify(found, null, 1)).toBeDefined();
    expect(issue!.message).toMatch(message);
    expect(issue!.hint ?? '').toMatch(hint);
    if (hint.source !== '.*') expect(issue!.hint).toBeTruthy();
  });

  it('the example shapes themselves are valid', () => {
    expect(issues(cluster())).toEqual([]);
  });
});
