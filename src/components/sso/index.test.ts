import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RenderedTree } from '../../core/render.ts';
import { defineComponent, type K8sObject } from '../../core/types.ts';
import { publicIngressAnnotations } from '../../core/conventions.ts';
import { registry } from '../index.ts';
import { declarations, renderProblems } from '../../secrets/declarations.ts';
import { checkValues } from '../../validate/values.ts';
import { clusterWith, configIssues, rejectionOf, renderWith, testRegistry } from '../../../test/components.ts';
import { chartFacts, customResourceProblems } from '../../../test/upstream.ts';
import { publicHostComponents, UPSTREAM } from '../../../test/helpers.ts';
import { DEFAULT_KNOWLEDGE, explain, nodeOf } from '../../health/causes.ts';
import { snapshotOf } from '../../health/snapshot.ts';

const MIDDLEWARES = 'traefik.ingress.kubernetes.io/router.middlewares';
/** What a public host needs beside sso: the Ingress path of the seed (Traefik, cert-manager, external-dns with Designate). */
const base = { ...publicHostComponents(), 'secret-generator': {} };
const ssoOn = { github: { org: 'acme-corp' } };
const render = (components: Record<string, unknown> = {}, change?: (config: Record<string, any>) => void) =>
  renderWith(registry, { ...base, sso: ssoOn, ...components }, change);
const owned = (tree: RenderedTree, owner: string) => tree.objects.filter((o) => o.owner === owner).map((o) => o.object as Record<string, any>);
const application = (tree: RenderedTree, id: string) => tree.objects.find((o) => o.object.kind === 'Application' && o.object.metadata.name === id)!.object as Record<string, any>;
const middleware = (tree: RenderedTree, name: string) => owned(tree, 'sso').find((o) => o.kind === 'Middleware' && o.metadata.name === name);

describe('sso', () => {
  it('installs the pinned oauth2-proxy chart: GitHub organisation sign-in at auth.<domain>, secrets from the store and the cluster only', async () => {
    const fact = (await chartFacts()).find((f) => f.component === 'oauth2-proxy')!;
    const app = application(render(), 'sso');
    expect(app.spec.sources[0]).toMatchObject({ repoURL: fact.chartRepo, chart: fact.chart, targetRevision: fact.version, helm: { releaseName: 'oauth2-proxy' } });
    const values = app.spec.sources[0].helm.valuesObject;
    expect(values.config).toEqual({ existingSecret: 'sso-github-oauth', requiredSecretKeys: ['client-id', 'client-secret'], upstreams: ['static://202'] });
    expect(values.extraArgs).toEqual({
      provider: 'github',
      'github-org': 'acme-corp',
      'redirect-url': 'https://auth.example.org/oauth2/callback',
      'cookie-domain': '.example.org',
      'whitelist-domain': '.example.org',
      'reverse-proxy': true,
      'set-xauthrequest': true,
      'skip-provider-button': true,
    });
    expect(values.extraEnv).toEqual([{ name: 'OAUTH2_PROXY_COOKIE_SECRET', valueFrom: { secretKeyRef: { name: 'sso-cookie', key: 'cookie-secret' } } }]);
    expect(values.ingress).toMatchObject({ enabled: true, hosts: ['auth.example.org'], annotations: publicIngressAnnotations('auth.example.org'), tls: [{ secretName: 'sso-tls', hosts: ['auth.example.org'] }] });
    expect(values.podDisruptionBudget).toEqual({ enabled: false });
    // Nothing secret in the tree: the client secret comes from the store, the cookie secret is generated in the cluster.
    expect(JSON.stringify(values)).not.toMatch(/clientSecret|cookieSecret/);
    expect(owned(render(), 'sso').find((o) => o.kind === 'StringSecret')).toMatchObject({
      metadata: { name: 'sso-cookie', namespace: 'sso' },
      spec: { fields: [{ fieldName: 'cookie-secret', encoding: 'base64url', length: '32' }] },
    });
  });

  it("its values pass the values check against the chart's values.yaml", async () => {
    const values = application(render({ sso: { github: { org: 'acme-corp', teams: ['platform'] }, replicas: 2 } }), 'sso').spec.sources[0].helm.valuesObject;
    const target = { path: ['components', 'sso', 'values'], chart: 'oauth2-proxy', version: '10.7.0', user: values, rendered: values };
    expect(await checkValues([target], { dir: UPSTREAM, file: 'plinth.config.ts' })).toEqual([]);
  });

  it("puts a component's hosts behind sign-in by annotating them where they are published, in its chart values", () => {
    const tree = render({ 'argo-cd': { sso: true } });
    const annotations = application(tree, 'argo-cd').spec.sources[0].helm.valuesObject.server.ingress.annotations;
    expect(annotations).toMatchObject({ 'external-dns.alpha.kubernetes.io/hostname': 'argocd.example.org', [MIDDLEWARES]: 'sso-sso@kubernetescrd' });
    // A component without sso is left as it was.
    expect(application(tree, 'sso').spec.sources[0].helm.valuesObject.ingress.annotations[MIDDLEWARES]).toBeUndefined();
    expect(middleware(tree, 'sso')!.spec).toEqual({
      forwardAuth: {
        address: 'http://oauth2-proxy.sso.svc.cluster.local:80/',
        authResponseHeaders: ['X-Auth-Request-User', 'X-Auth-Request-Email', 'X-Auth-Request-Groups'],
      },
    });
  });

  it('covers any component that publishes a host, with no list: a new component, and Ingresses among extraObjects', () => {
    // A component like a dashboard (kiali) that publishes its host through its chart values, as every component does.
    const dashboard = defineComponent({
      id: 'dashboard',
      description: 'a dashboard with a public host',
      namespace: 'dashboard',
      needs: [],
      options: z.strictObject({}),
      chart: ({ cluster }) => ({
        repoURL: 'https://charts.example.org',
        chart: 'dashboard',
        version: '1.0.0',
        releaseName: 'dashboard',
        values: { server: { ingress: { annotations: publicIngressAnnotations(`dashboard.${cluster.domain}`) } } },
      }),
    });
    const ingress: K8sObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'dashboard', namespace: 'traefik', annotations: { ...publicIngressAnnotations('traefik.example.org'), [MIDDLEWARES]: 'traefik-ipallow@kubernetescrd' } },
      spec: { rules: [{ host: 'traefik.example.org' }] },
    };
    const reg = testRegistry(dashboard);
    const tree = renderWith(reg, { ...base, sso: ssoOn, dashboard: { sso: ['platform'] }, traefik: { sso: true, extraObjects: [ingress] } });
    expect(application(tree, 'dashboard').spec.sources[0].helm.valuesObject.server.ingress.annotations[MIDDLEWARES]).toBe('sso-sso-team-platform@kubernetescrd');
    // Sign-in comes first in the chain, before the middlewares the object names itself.
    const rendered = tree.objects.find((o) => o.object.kind === 'Ingress' && o.object.metadata.name === 'dashboard')!.object;
    expect(rendered.metadata.annotations![MIDDLEWARES]).toBe('sso-sso@kubernetescrd,traefik-ipallow@kubernetescrd');
  });

  it("puts an app's host behind sign-in on every route, first in each chain; a team list gets its own Middleware, valid against the pinned CRD", async () => {
    const tree = render({ kargo: {} }, (config) => {
      config.apps = [
        { name: 'web', image: 'ghcr.io/example/web', host: 'web.example.org', sso: ['platform', 'ops'], routes: [{ path: '/' }, { path: '/api', stripPrefix: true }] },
        { name: 'docs', image: 'ghcr.io/example/docs', host: 'docs.example.org', sso: ['ops', 'platform'] },
      ];
    });
    const ingress = (name: string) => tree.objects.find((o) => o.object.kind === 'Ingress' && o.object.metadata.name === name)!.object.metadata.annotations![MIDDLEWARES];
    const ingresses = [ingress('web'), ingress('web-1')];
    const teams = 'sso-sso-teams-';
    expect(ingresses[0]).toMatch(new RegExp(`^${teams}[0-9a-f]{10}@kubernetescrd$`));
    expect(ingresses[1]).toMatch(new RegExp(`^${teams}[0-9a-f]{10}@kubernetescrd,production-web-strip-1@kubernetescrd$`));
    // One Middleware per distinct team list, whatever the order the teams are listed in.
    const middlewares = owned(tree, 'sso').filter((o) => o.kind === 'Middleware');
    expect(middlewares.map((m) => m.metadata.name).sort()).toEqual(['sso', ingresses[0]!.slice('sso-'.length, -'@kubernetescrd'.length)]);
    expect(middlewares.find((m) => m.metadata.name !== 'sso')!.spec.forwardAuth.address).toBe('http://oauth2-proxy.sso.svc.cluster.local:80/?allowed_groups=acme-corp:ops,acme-corp:platform');
    expect(await customResourceProblems(tree.objects.filter((o) => o.owner === 'sso'))).toEqual([]);
  }, 60_000);

  it('the CRD check catches a wrong forwardAuth field (it can fail)', async () => {
    const tree = render();
    const object = structuredClone(tree.objects.find((o) => o.object.kind === 'Middleware')!);
    (object.object.spec as any).forwardAuth.authResponseHeader = ['X-Auth-Request-User'];
    expect((await customResourceProblems([object])).join()).toContain('must NOT have additional properties');
  }, 60_000);

  it('declares the GitHub OAuth app as one secret input read by one ExternalSecret, and health checks naming what each Middleware guards', () => {
    const tree = render({ 'argo-cd': { sso: true } });
    const input = declarations(tree).find((d) => d.name === 'sso-github-oauth')!;
    expect(input.keys.map((k) => k.key)).toEqual(['client-id', 'client-secret']);
    expect(input.consumers).toEqual([{ ref: 'ExternalSecret/sso/sso-github-oauth', keys: ['client-id', 'client-secret'] }]);
    expect(renderProblems(tree)).toEqual([]);
    expect(tree.components.find((c) => c.id === 'sso')!.health.map((h) => `${h.kind}/${h.name}: ${h.description}`)).toEqual([
      'ExternalSecret/sso-github-oauth: GitHub OAuth app credentials delivered',
      'StringSecret/sso-cookie: cookie secret generated',
      'Deployment/oauth2-proxy: sign-in proxy (oauth2-proxy)',
      'Middleware/sso: forwardAuth sso (the whole organisation): component argo-cd',
    ]);
  });

  it('restricts sign-in to the organisation\'s teams when given, and refuses a host team no one of them could be', () => {
    const values = application(render({ sso: { github: { org: 'acme-corp', teams: ['platform', 'ops'] } } }), 'sso').spec.sources[0].helm.valuesObject;
    expect(values.extraArgs['github-team']).toBe('platform,ops');
    expect(rejectionOf(clusterWith({ ...base, sso: { github: { org: 'acme-corp', teams: ['platform'] } }, 'argo-cd': { sso: ['platform', 'sales'] } }), registry)).toEqual([
      {
        path: 'components["argo-cd"].sso[1]',
        message: 'team "sales" is not in components.sso.github.teams, the only teams whose members can sign in: nobody would get through',
        hint: 'add "sales" to components.sso.github.teams, or list only teams from it (platform)',
      },
    ]);
  });

  it('refuses sso without the sso component, on a component that publishes no host, on an app without a host, and on the sign-in host itself', () => {
    expect(rejectionOf(clusterWith({ ...base, 'argo-cd': { sso: true } }), registry)).toEqual([
      {
        path: 'components["argo-cd"].sso',
        message: 'puts the component\'s hosts behind sign-in, but the "sso" component is not enabled',
        hint: 'enable it: components: { sso: { github: { org: "<your GitHub organisation>" } } }, or remove sso',
      },
    ]);
    expect(rejectionOf(clusterWith({ ...base, sso: ssoOn, 'argo-cd': { ingress: false, sso: true } }), registry)).toEqual([
      {
        path: 'components["argo-cd"].sso',
        message: 'the "argo-cd" component publishes no host (no external-dns hostname in its values or objects), so there is nothing to put behind sign-in',
        hint: 'remove sso, or publish its host with components["argo-cd"].ingress: true',
      },
    ]);
    expect(rejectionOf(clusterWith({ ...base, sso: ssoOn, keda: { sso: true } }), registry).map((i) => i.hint)).toEqual(['remove sso']);
    expect(rejectionOf(clusterWith({ ...base, sso: { ...ssoOn, sso: true } }), registry)).toEqual([
      { path: 'components.sso.sso', message: 'would put the sign-in host behind its own sign-in: nobody could ever sign in', hint: 'remove components.sso.sso' },
    ]);
    const apps = (sso: boolean) => {
      const config = clusterWith({ ...base, ...(sso && { sso: ssoOn }), kargo: {} });
      config.apps = [{ name: 'api', image: 'ghcr.io/example/api', sso: true }, { name: 'web', image: 'ghcr.io/example/web', host: 'web.example.org', sso: true }];
      return config;
    };
    expect(rejectionOf(apps(true), registry)).toEqual([{ path: 'apps[0].sso', message: 'the app has no host to put behind sign-in', hint: 'add apps[0].host, or remove sso' }]);
    expect(rejectionOf(apps(false), registry).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'apps[0].sso: puts the app\'s host behind sign-in, but the "sso" component is not enabled',
      'apps[1].sso: puts the app\'s host behind sign-in, but the "sso" component is not enabled',
    ]);
  });

  it('refuses an organisation, a team slug or an empty team list that GitHub would not have, with the path', () => {
    const issues = configIssues(clusterWith({ ...base, sso: { github: { org: '-acme', teams: [] } }, 'argo-cd': { sso: ['Platform Team'] } }));
    expect(issues.map((i) => i.path)).toEqual(['components["argo-cd"].sso[0]', 'components.sso.github.org', 'components.sso.github.teams']);
    expect(issues[0]!.message).toBe('"Platform Team" must be a GitHub team slug such as "platform-team" (lowercase, as in the team\'s URL)');
    expect(issues[1]!.message).toContain('must be a GitHub organisation login');
    expect(issues[2]).toMatchObject({ message: 'lists no team', hint: 'remove teams to admit every member of the organisation, or name the teams' });
    expect(configIssues(clusterWith({ ...base, sso: ssoOn, 'argo-cd': { sso: [] } }))).toEqual([
      { path: 'components["argo-cd"].sso', message: 'lists no team', hint: 'use true to admit every member of the organisation, or name the teams' },
    ]);
    expect(configIssues(clusterWith({ ...base, sso: ssoOn, 'argo-cd': { sso: 'yes' } }))[0]!.message).toContain('must be true');
    expect(rejectionOf(clusterWith({ ...base, sso: {} }), registry)).toEqual([{ path: 'components.sso.github', message: 'is required (object)', hint: 'add components.sso.github' }]);
  });

  describe('doctor', () => {
    const tree = render({ 'argo-cd': { sso: true } });
    const org = middleware(tree, 'sso') as K8sObject;
    const knowledge = { ...DEFAULT_KNOWLEDGE, controllers: new Map() };
    const ingress = (middlewares: string): K8sObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'production', annotations: { [MIDDLEWARES]: middlewares } },
      spec: { rules: [{ host: 'web.example.org' }] },
      status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } },
    });
    const strip: K8sObject = { apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'web-strip-1', namespace: 'production' }, spec: { stripPrefix: { prefixes: ['/api'] } } };

    it('follows a host behind sign-in to the forwardAuth Service the chart has not made', () => {
      const snapshot = snapshotOf([org, strip, ingress('sso-sso@kubernetescrd,production-web-strip-1@kubernetescrd')]);
      const chain = explain(nodeOf(snapshot.get('networking.k8s.io/v1', 'Ingress', 'web', 'production')!), snapshot, knowledge);
      expect(chain.map((s) => `${s.ref} ${s.health}: ${s.message}`)).toEqual([
        'Ingress/production/web Degraded: every request waits on the sign-in of Middleware sso/sso, which cannot answer: its forwardAuth Service sso/oauth2-proxy does not exist',
        'Middleware/sso/sso Degraded: its forwardAuth Service sso/oauth2-proxy does not exist',
        'Service/sso/oauth2-proxy Missing: does not exist',
      ]);
    });

    it('leaves a host whose middlewares ask no proxy, and a proxy it cannot read the Services of, as their own status says', () => {
      const plain = snapshotOf([org, strip, ingress('production-web-strip-1@kubernetescrd')]);
      expect(explain(nodeOf(plain.get('networking.k8s.io/v1', 'Ingress', 'web', 'production')!), plain, knowledge).map((s) => s.health)).toEqual(['Healthy']);
      const blind = snapshotOf([org], { unreadable: new Map([['/Service', 'services is forbidden']]) });
      expect(explain(nodeOf(org), blind, knowledge).map((s) => s.health)).toEqual(['Healthy']);
    });
  });
});
