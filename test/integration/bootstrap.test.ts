import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootstrap } from '../../src/commands/bootstrap.ts';
import { readCrds } from '../../src/commands/live.ts';
import { REPO, runCli, UPSTREAM } from '../helpers.ts';
import { useControlPlane } from './live.ts';

const cluster = useControlPlane();
const argoCrds = join(UPSTREAM, 'crds', 'argo-cd');

describe('plinth bootstrap on an empty cluster', () => {
  it('refuses --crds of another Argo CD version than the pinned chart ships, before it touches the cluster', async () => {
    // The upstream fixtures hold Argo CD v3.5.1's CRDs; chart argo-cd 10.1.1 ships v3.4.4.
    const cli = await runCli(['bootstrap', '--kubeconfig', cluster.control.kubeconfig, '--crds', argoCrds]);
    expect(cli.code).toBe(2);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toContain(
      `error: the Argo CD CRDs in ${argoCrds} are not those of the pinned chart argo-cd 10.1.1 (Argo CD v3.4.4): ` +
        'applications.argoproj.io (another version), applicationsets.argoproj.io (another version), appprojects.argoproj.io (another version); nothing was applied',
    );
    expect(cli.stderr).toContain("hint: leave out --crds: the chart installs its own CRDs. Or pass Argo CD v3.4.4's: manifests/crds of argoproj/argo-cd at v3.4.4");
    expect(await cluster.live.get({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } })).toBeUndefined();
    expect(await cluster.live.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).toEqual([]);
  });

  it('installs Argo CD through an in-cluster Helm job, applies the AppProject before the root Application, and is idempotent', { timeout: 300_000 }, async () => {
    const { live } = cluster;
    // The control plane runs no Helm: put Argo CD's CRDs in as the chart's install would.
    for (const crd of await readCrds(argoCrds)) await live.apply(crd);
    const options = { kubeconfig: cluster.control.kubeconfig, timeout: 120 };
    const first = await bootstrap(options, cluster.context(REPO));
    expect(first.steps.map((s) => s.status).every((s) => s === 'created')).toBe(true);
    const names = first.steps.map((s) => s.name);
    expect(names[0]).toBe('Namespace/argocd');
    expect(names.slice(-2)).toEqual(['AppProject/argocd/plinth', 'Application/argocd/mswa-root']);

    const jobName = names.find((n) => n.startsWith('Job/'))!.split('/')[2]!;
    const job = await live.get({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: jobName, namespace: 'argocd' } });
    const container = (job!.spec as any).template.spec.containers[0];
    expect(container.args.slice(0, 10)).toEqual([
      'upgrade', '--install', 'argocd', 'argo-cd', '--repo', 'https://argoproj.github.io/argo-helm', '--version', '10.1.1', '--namespace', 'argocd',
    ]);
    expect((job!.status as { succeeded?: number }).succeeded).toBe(1);
    const values = await live.get({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: jobName, namespace: 'argocd' } });
    expect((values!.data as Record<string, string>)['values.yaml']).toContain('resource.customizations.health.argoproj.io_Application');
    // The cluster-admin binding the install needed is gone once Argo CD is in.
    expect(await live.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'plinth-bootstrap' } })).toBeUndefined();

    const project = await live.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'plinth', namespace: 'argocd' } });
    const root = await live.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'mswa-root', namespace: 'argocd' } });
    expect((root!.spec as any).source.path).toBe('rendered/apps');
    expect((root!.spec as any).project).toBe('plinth');
    expect((project!.spec as any).sourceRepos).toContain('https://github.com/Mobility-Scooter-Web-App/infra.git');
    // Written in that order: etcd revisions of one control plane only grow.
    expect(Number(project!.metadata.resourceVersion)).toBeLessThan(Number(root!.metadata.resourceVersion));
    expect(first.checklist[0]).toMatch(/^provide secret input argocd-repo-credentials \(token\)/);

    const second = await bootstrap(options, cluster.context(REPO));
    expect(second.steps.filter((s) => s.status !== 'unchanged')).toEqual([]);
  });
});
