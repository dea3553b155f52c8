import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { clusterWith } from '../../test/components.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { renderTree } from './render.ts';
import { MARKDOWN_HEADER } from './yaml.ts';

describe('the catalogue page', () => {
  const config = clusterWith({ 'argo-cd': {}, 'cert-manager': { acmeEmail: 'ops@example.org', needs: ['argo-cd'] } });
  const page = renderTree(resolveCluster(config, registry), registry).files.get('README.md')!;

  it('lists every component with its wave, pinned chart, needs and secret inputs', () => {
    expect(page.startsWith(MARKDOWN_HEADER)).toBe(true);
    expect(page).toContain(
      '| 0 | `argo-cd` | `argocd` | [argo-cd](https://argoproj.github.io/argo-helm) `10.1.1` | - | `argocd-repo-credentials` | Argo CD: syncs the rendered tree (app of apps) into the cluster |',
    );
    expect(page).toContain("| 1 | `cert-manager` | `cert-manager` | [cert-manager](https://charts.jetstack.io) `v1.21.1` | `argo-cd` | - |");
  });

  it('lists what a component relaxes because its options say so, with the reason, and nothing when none does', () => {
    const runners = clusterWith({
      'argo-cd': {},
      'external-secrets': {},
      runners: { sets: [{ name: 'build', githubConfigUrl: 'https://github.com/acme', containerMode: 'dind', privileged: 'docker builds need a daemon' }] },
    });
    const relaxed = renderTree(resolveCluster(runners, registry), registry).files.get('README.md')!;
    expect(relaxed).toContain('| `runners` | `Namespace/arc-runners` | `policy/privileged` | build: docker builds need a daemon |');
    expect(relaxed).toContain('| `runners` | `NetworkPolicy/arc-runners/runners-isolation` | `policy/egress-internet` | jobs fetch code, actions, packages and images from GitHub and the internet |');
    expect(page).not.toContain('Relaxations of the components');
  });

  it('draws the dependency graph by wave as Mermaid', () => {
    const mermaid = page.slice(page.indexOf('```mermaid'), page.indexOf('```', page.indexOf('```mermaid') + 3));
    expect(mermaid.split('\n').slice(1)).toEqual([
      'graph LR',
      '  subgraph wave0["wave 0"]',
      '    argo_cd["argo-cd"]',
      '  end',
      '  subgraph wave1["wave 1"]',
      '    cert_manager["cert-manager"]',
      '  end',
      '  argo_cd --> cert_manager',
      '',
    ]);
  });

  it('explains each secret input without any value', () => {
    expect(page).toContain('| `argocd-repo-credentials` | `token` | `argo-cd` |');
  });
});

describe('the catalogue page of a cluster with apps', () => {
  const config = minimalCluster();
  config.apps[0].stages = ['staging', 'production'];
  config.apps[0].calls = ['api'];
  config.apps[1].stages = ['staging', 'production'];
  const page = renderTree(resolveCluster(config, registry), registry).files.get('README.md')!;

  it('lists each app with its stages in promotion order, host, what it uses and how it scales', () => {
    expect(page).toContain('| `web` | `ghcr.io/example/web` | `staging` → `production` | web.example.org | cache `sessions`, app `api` | - |');
    expect(page).toContain('| `api` | `ghcr.io/example/api` | `staging` → `production` | - | database `app`, topic `videos` | - |');
    expect(page).toContain('| `worker` | `ghcr.io/example/worker` | `production` | - | topic `videos` | lag of `videos` > 10, 0–3 replicas |');
  });

  it('has no apps section when there are none', () => {
    const bare = renderTree(resolveCluster({ ...config, apps: [] }, registry), registry).files.get('README.md')!;
    expect(bare).not.toContain('## Apps');
  });
});
