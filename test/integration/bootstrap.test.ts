import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootstrap } from '../../src/commands/bootstrap.ts';
import { REPO, UPSTREAM } from '../helpers.ts';
import { useControlPlane } from './live.ts';

const cluster = useControlPlane();

describe('plinth bootstrap on an empty cluster', () => {
  it('installs Argo CD through an in-cluster Helm job, applies the root Application, and is idempotent', async () => {
    const { live } = cluster;
    const options = { kubeconfig: cluster.control.kubeconfig, crds: join(UPSTREAM, 'crds'), timeout: 120 };
    const first = await bootstrap(options, cluster.context(REPO));
    expect(first.steps.map((s) => s.status).every((s) => s === 'created')).toBe(true);
    const names = first.steps.map((s) => s.name);
    expect(names[0]).toBe('Namespace/argocd');
    expect(names).toContain('CustomResourceDefinition/applications.argoproj.io');
    expect(names.at(-1)).toBe('Application/argocd/mswa-root');

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
    const root = await live.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'mswa-root', namespace: 'argocd' } });
    expect((root!.spec as any).source.path).toBe('rendered/apps');
    expect(first.checklist[0]).toMatch(/^provide secret input argocd-repo-credentials \(token\)/);

    const second = await bootstrap(options, cluster.context(REPO));
    expect(second.steps.filter((s) => s.status !== 'unchanged')).toEqual([]);
  });
});
