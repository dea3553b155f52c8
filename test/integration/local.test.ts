// The local preset on a real API server: `plinth bootstrap --env local` installs Argo CD with the laptop's values
// (hosts under localtest.me, the local CA issuer) and the root of the local tree, records the environment, and asks
// for nothing a laptop cannot have (a DNS provider credential, a delegated zone).
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../src/commands/bootstrap.ts';
import { IDENTITY } from '../../src/commands/environment.ts';
import { readCrds } from '../../src/commands/live.ts';
import { configDir, publicHostComponents, UPSTREAM } from '../helpers.ts';
import { useControlPlane } from './live.ts';

const cluster = useControlPlane();
const config = {
  name: 'seed',
  domain: 'example.org',
  git: { repoURL: 'https://github.com/example/infra.git' },
  components: publicHostComponents(),
  environments: {
    production: { context: 'production' },
    // The control plane's kubeconfig names its one context "plinth".
    local: { context: 'plinth', preset: 'local' },
  },
};
let dir: string;

beforeAll(async () => {
  dir = await configDir(config, 'plinth-local-');
});

describe('the local preset on a control plane', () => {
  it('bootstrap --env local installs Argo CD with the local hosts and CA, and the root of the local tree', { timeout: 300_000 }, async () => {
    const { live } = cluster;
    // The control plane runs no Helm: put Argo CD's CRDs in as the chart's install would.
    for (const crd of await readCrds(join(UPSTREAM, 'crds', 'argo-cd'))) await live.apply(crd);
    const result = await bootstrap({ kubeconfig: cluster.control.kubeconfig, env: 'local', timeout: 120 }, cluster.context(dir));
    expect(result.steps.map((s) => s.name).slice(-2)).toEqual(['AppProject/argocd/plinth', 'Application/argocd/seed-root']);

    const root = (await live.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'seed-root', namespace: 'argocd' } }))!;
    expect((root.spec as any).source.path).toBe('rendered/local/apps');
    expect(((await live.get(IDENTITY))!.data as Record<string, string>).environment).toBe('local');

    // The values the in-cluster Helm job installed Argo CD with.
    const job = result.steps.find((s) => s.name.startsWith('Job/'))!.name.split('/')[2]!;
    const values = parse(((await live.get({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: job, namespace: 'argocd' } }))!.data as Record<string, string>)['values.yaml']!);
    expect(values.global.domain).toBe('argocd.localtest.me');
    expect(values.server.ingress.annotations['cert-manager.io/cluster-issuer']).toBe('plinth-local-ca');

    const checklist = result.checklist.join('\n');
    expect(checklist).not.toContain('designate-credentials');
    expect(checklist).not.toContain('Designate');
    expect(checklist).toContain('the hosts under localtest.me resolve to this machine');
    expect(checklist).toContain("kubectl -n cert-manager get secret plinth-local-ca -o jsonpath='{.data.ca\\.crt}'");
    expect(checklist).toContain('open https://argocd.localtest.me once the certificate is issued');
  });
});
