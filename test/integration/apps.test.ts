// The real team's apps (examples/real-team.config.ts) on a real API server, scheduler and kwok nodes: each app's
// stage objects, tagged as Kargo's kustomize-set-image tags them, are applied and their pods reach Running.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/components/index.ts';
import { loadCluster } from '../../src/config/load.ts';
import { renderTree } from '../../src/core/render.ts';
import { REPO, tempDir, UPSTREAM } from '../helpers.ts';
import { controlPlaneBinary } from './control-plane.ts';
import { until, useControlPlane } from './live.ts';

const cluster = useControlPlane();
const run = promisify(execFile);
const STAGE = 'production';
const TAG = '1.4.2';
/** The kwok node `plinth-cp up` starts (test/control-plane/README.md): 32 CPU, 256Gi, no GPU, no taint. */
const NODE = 'kwok-node-0';

async function kubectl(args: string[], input?: string): Promise<string> {
  const child = run(controlPlaneBinary(), ['kubectl', '--kubeconfig', cluster.control.kubeconfig, ...args], { maxBuffer: 64 * 2 ** 20 });
  if (input !== undefined) child.child.stdin!.end(input);
  return (await child).stdout;
}
const json = async (args: string[]) => JSON.parse(await kubectl([...args, '-o', 'json']));

type Pod = { metadata: { name: string; labels: Record<string, string> }; spec: { nodeName?: string }; status: { phase: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };
const podsOf = async (app: string): Promise<Pod[]> => (await json(['get', 'pods', '-n', STAGE, '-l', `app.kubernetes.io/name=${app}`])).items;


describe('the real team on a control plane', () => {
  it('applies every stage with its tag, runs the pods, schedules the GPU worker only onto GPU capacity, and keeps the migration a PreSync hook', { timeout: 400_000 }, async () => {
    const resolved = await loadCluster(join(REPO, 'examples'), 'real-team.config.ts', registry);
    const tree = renderTree(resolved, registry);

    // The kinds the stages use beyond Kubernetes' own, from the pinned upstream CRDs.
    for (const crd of ['external-secrets/external-secrets.io_externalsecrets.yaml', 'external-secrets/external-secrets.io_secretstores.yaml', 'traefik/traefik.io_middlewares.yaml']) {
      await kubectl(['apply', '--server-side', '-f', join(UPSTREAM, 'crds', crd)]);
    }
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/externalsecrets.external-secrets.io', 'crd/secretstores.external-secrets.io', 'crd/middlewares.traefik.io']);
    await kubectl(['create', 'namespace', STAGE]);

    // Per app, what Kargo's promotion builds: the stage folder, its kustomization given the Freight's tag.
    let built = '';
    for (const app of resolved.config.apps) {
      const folder = `workloads/${app.name}/stages/${STAGE}`;
      const dir = join(await tempDir(), app.name);
      await mkdir(dir);
      const kustomization = parse(tree.files.get(`${folder}/kustomization.yaml`)!);
      for (const file of kustomization.resources as string[]) await writeFile(join(dir, file), tree.files.get(`${folder}/${file}`)!);
      await writeFile(join(dir, 'kustomization.yaml'), stringify({ ...kustomization, images: [{ name: app.image, newTag: TAG }] }));
      built += `---\n${(await run('kubectl', ['kustomize', dir])).stdout}`;
    }
    const applied = await kubectl(['apply', '--server-side', '-f', '-'], built);
    expect(applied).toMatch(/deployment\.apps\/video-worker serverside-applied/);

    // Every pod but the GPU worker's runs, with the promoted tag.
    for (const app of ['web', 'api', 'transcriber', 'summarizer']) {
      const pod = await until(`a Running pod of ${app}`, async () => (await podsOf(app)).find((p) => p.status.phase === 'Running'));
      const spec = (await json(['get', 'pod', '-n', STAGE, pod.metadata.name])).spec;
      expect(spec.containers[0].image).toBe(`ghcr.io/clinic/${app}:${TAG}`);
    }

    // No node has a GPU yet: the scheduler refuses the worker for want of nvidia.com/gpu.
    const waiting = await until('the GPU worker to be found unschedulable', async () =>
      (await podsOf('video-worker')).find((p) => p.status.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')),
    );
    expect(waiting.spec.nodeName).toBeUndefined();
    expect(waiting.status.conditions!.find((c) => c.type === 'PodScheduled')!.message).toContain('Insufficient nvidia.com/gpu');

    // A node gains GPU capacity (as the NVIDIA device plugin would report it): the worker goes there and runs.
    await kubectl(['patch', 'node', NODE, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { capacity: { 'nvidia.com/gpu': '1' }, allocatable: { 'nvidia.com/gpu': '1' } } })]);
    const worker = await until('the GPU worker to run', async () => (await podsOf('video-worker')).find((p) => p.status.phase === 'Running'));
    expect(worker.spec.nodeName).toBe(NODE);
    const workerSpec = (await json(['get', 'pod', '-n', STAGE, worker.metadata.name])).spec;
    expect(workerSpec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
    expect(workerSpec.containers[0].image).toBe(`ghcr.io/clinic/video-worker:${TAG}`);

    // The migration is a PreSync hook Job with the promoted image; its connection URL comes from a hook of an earlier wave.
    const job = await json(['get', 'job', '-n', STAGE, 'api-migrate']);
    expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' });
    expect(job.spec.template.spec.containers[0].image).toBe(`ghcr.io/clinic/api:${TAG}`);
    const externalSecret = await json(['get', 'externalsecret', '-n', STAGE, 'api-connections']);
    expect(externalSecret.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '-1' });
    expect((await json(['get', 'middleware', '-n', STAGE, 'api-strip-0'])).spec.stripPrefix.prefixes).toEqual(['/api/v1']);
  });
});
