import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import type { K8sObject } from '../core/types.ts';
import { minimalCluster, tempDir } from '../../test/helpers.ts';
import { checkCustomResource } from '../../test/upstream.ts';
import { ofRules, run } from '../validate/rules/fixtures.ts';
import { configIssues, renderedFile } from '../../test/components.ts';

function migratingCluster(change: (api: Record<string, any>) => void = () => {}) {
  const config = minimalCluster();
  const api = config.apps[1];
  api.stages = ['staging', 'production'];
  api.migrate = { command: ['npm', 'run', 'db:migrate'], workingDir: '/app', timeoutSeconds: 300 };
  change(api);
  return config;
}

const render = (config: Record<string, any>): RenderedTree => renderTree(resolveCluster(config, registry), registry);
const file = renderedFile;
const warehouse = (tree: RenderedTree) => {
  const path = [...tree.files.keys()].find((f) => f.startsWith('workloads/api/pipeline/') && f.includes('warehouse'))!;
  return file(tree, path) as K8sObject;
};
const issues = (config: Record<string, any>) => configIssues(config);

describe('migrate', () => {
  const tree = render(migratingCluster());
  const stage = (name: string) => `workloads/api/stages/${name}`;
  const job = file(tree, `${stage('staging')}/job-api-migrate.yaml`);
  const deployment = file(tree, `${stage('staging')}/deployment-api.yaml`);

  it('renders a Job per stage that Argo CD runs as a PreSync hook, replaced at the next sync', () => {
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.metadata).toMatchObject({ name: 'api-migrate', namespace: 'staging' });
    expect(job.metadata.annotations).toEqual({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    expect(job.metadata.labels).toMatchObject({ 'plinth.dev/app': 'api', 'plinth.dev/stage': 'staging' });
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.activeDeadlineSeconds).toBe(300);
    expect(file(tree, `${stage('production')}/job-api-migrate.yaml`).metadata.namespace).toBe('production');
    expect(tree.files.has('workloads/web/stages/production/job-web-migrate.yaml')).toBe(false);
  });

  it("runs the app's own container with the migration command: same image, environment, secrets and hardening", () => {
    const pod = job.spec.template.spec;
    const app = deployment.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    // Not the app's ServiceAccount: on a stage's first sync the hook runs before it exists.
    expect(pod.serviceAccountName).toBeUndefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toEqual(app.securityContext);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: {} }]);
    const [container] = pod.containers;
    const [main] = app.containers;
    expect(container.name).toBe('migrate');
    expect(container.image).toBe('ghcr.io/example/api');
    expect(container.command).toEqual(['npm', 'run', 'db:migrate']);
    expect(container.workingDir).toBe('/app');
    expect(container.env).toEqual(main.env);
    expect(container.env.map((e: any) => e.name)).toEqual(expect.arrayContaining(['PGUSER', 'PGPASSWORD', 'DATABASE_URL']));
    expect(container.resources).toEqual(main.resources);
    expect(container.securityContext).toEqual(main.securityContext);
    expect(container.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(container.ports).toBeUndefined();
    expect(container.livenessProbe).toBeUndefined();
    expect(container.readinessProbe).toBeUndefined();
  });

  it("labels its pods apart from the app's, so the Service and the PodDisruptionBudget never select a migration", () => {
    const labels = job.spec.template.metadata.labels;
    expect(labels).toEqual({ 'app.kubernetes.io/name': 'api-migrate', 'app.kubernetes.io/component': 'migration', 'plinth.dev/app': 'api', 'plinth.dev/stage': 'staging' });
    const service = file(tree, `${stage('staging')}/service-api.yaml`);
    expect(Object.entries(service.spec.selector).every(([k, v]) => labels[k] === v)).toBe(false);
  });

  it("gets the app's egress and no ingress from a NetworkPolicy of its own", () => {
    const policy = file(tree, `${stage('staging')}/networkpolicy-api-migrate.yaml`);
    const app = file(tree, `${stage('staging')}/networkpolicy-api.yaml`);
    expect(policy.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'api-migrate' } });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.egress).toEqual(app.spec.egress);
  });

  it('is valid against the Kubernetes schemas and passes every policy', async () => {
    const job = file(tree, `${stage('staging')}/job-api-migrate.yaml`) as K8sObject;
    const policy = file(tree, `${stage('staging')}/networkpolicy-api-migrate.yaml`) as K8sObject;
    expect(await checkCustomResource(job)).toEqual([]);
    expect(await checkCustomResource(policy)).toEqual([]);
    expect(await checkCustomResource({ ...job, spec: { ...(job.spec as object), backoffLimit: 'none' } } as K8sObject)).not.toEqual([]);
    // The Job's untagged image is the app's, which its Kargo Warehouse subscribes to.
    expect(ofRules(run([job, policy, warehouse(tree)]), 'policy/')).toEqual([]);
  });

  it("is in the stage's kustomization, so Kargo's image update (kustomize images) tags the Job with the Deployment", async () => {
    const dir = await tempDir();
    const kustomization = file(tree, `${stage('staging')}/kustomization.yaml`);
    expect(kustomization.resources).toEqual(expect.arrayContaining(['job-api-migrate.yaml', 'networkpolicy-api-migrate.yaml']));
    for (const name of kustomization.resources) await writeFile(join(dir, name), tree.files.get(`${stage('staging')}/${name}`)!);
    // What Kargo's kustomize-set-image step writes for the Freight's image.
    await writeFile(join(dir, 'kustomization.yaml'), stringify({ ...kustomization, images: [{ name: 'ghcr.io/example/api', newTag: '1.4.2' }] }));
    const { stdout } = await promisify(execFile)('kubectl', ['kustomize', dir]);
    const built = parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, any>);
    const image = (kind: string) => built.find((o) => o.kind === kind)!.spec.template.spec.containers[0].image;
    expect(image('Job')).toBe('ghcr.io/example/api:1.4.2');
    expect(image('Deployment')).toBe('ghcr.io/example/api:1.4.2');
    expect(built.find((o) => o.kind === 'Job')!.metadata.annotations['argocd.argoproj.io/hook']).toBe('PreSync');
  });

  it("carries the app's relaxations, and leaves the GPU and its placement to the app", async () => {
    const relaxed = render(
      migratingCluster((api) => {
        api.security = { runAsRoot: 'node:20-slim has no USER yet' };
        api.gpu = { count: 1, nodeSelector: { 'nvidia.com/gpu.present': 'true' } };
      }),
    );
    const job = file(relaxed, `${stage('production')}/job-api-migrate.yaml`);
    const app = file(relaxed, `${stage('production')}/deployment-api.yaml`);
    expect(job.spec.template.spec.securityContext.runAsNonRoot).toBe(false);
    expect(job.spec.template.spec.containers[0].securityContext.runAsNonRoot).toBe(false);
    expect(job.metadata.annotations).toMatchObject({ 'plinth.dev/relaxed-run-as-root': 'node:20-slim has no USER yet', 'plinth.dev/allow-run-as-non-root': 'node:20-slim has no USER yet' });
    expect(job.spec.template.metadata.annotations).toEqual({ 'plinth.dev/relaxed-run-as-root': 'node:20-slim has no USER yet' });
    expect(app.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
    expect(job.spec.template.spec.containers[0].resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } });
    expect(job.spec.template.spec.nodeSelector).toBeUndefined();
    expect(ofRules(run([job as K8sObject, warehouse(relaxed)]), 'policy/')).toEqual([]);
  });

  it('refuses a migration without a command, an empty one, a relative workingDir and a zero timeout', () => {
    const at = (migrate: unknown) => issues(migratingCluster((api) => (api.migrate = migrate)));
    expect(at({})).toEqual([{ path: 'apps[1].migrate.command', message: 'is required (array)', hint: 'add apps[1].migrate.command' }]);
    expect(at({ command: [] })).toEqual([
      { path: 'apps[1].migrate.command', message: 'is empty: a migration needs a command to run', hint: 'give the command as a list, e.g. ["npm", "run", "db:migrate"]' },
    ]);
    expect(at({ command: 'npm run db:migrate' })).toEqual([{ path: 'apps[1].migrate.command', message: 'must be an array, got string "npm run db:migrate"' }]);
    expect(at({ command: ['migrate'], workingDir: 'app', timeoutSeconds: 0 })).toEqual([
      { path: 'apps[1].migrate.workingDir', message: '"app" must be an absolute path such as "/app"' },
      { path: 'apps[1].migrate.timeoutSeconds', message: 'must be at least 1, got number 0' },
    ]);
  });
});
