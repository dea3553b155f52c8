import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { resolveCluster } from '../config/validate.ts';
import { renderTree, type RenderedTree } from '../core/render.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { checkCustomResource } from '../../test/upstream.ts';
import { obj, only, run } from '../validate/rules/fixtures.ts';
import { contains, formatCidr, parseCidr } from './cidr.ts';
import { configIssues, renderedFile } from '../../test/components.ts';

/** The team's API: S3 and SMTP on the internet, a Vault outside the cluster, routes under /api/v1 behind a strip-prefix. */
function apiCluster(change: (api: Record<string, any>, config: Record<string, any>) => void = () => {}) {
  const config = minimalCluster();
  const api = config.apps[1];
  api.host = 'api.example.org';
  api.egress = [
    { to: 'internet', ports: [443, 587], reason: 'S3 presigned URLs and the SMTP relay' },
    { to: '192.0.2.10/32', ports: [{ port: 8200 }], reason: 'Vault outside the cluster' },
  ];
  api.routes = [{ path: '/api/v1', stripPrefix: true }];
  change(api, config);
  return config;
}

const render = (config: Record<string, any>): RenderedTree => renderTree(resolveCluster(config, registry), registry);
const file = renderedFile;
const issues = (config: Record<string, any>) => configIssues(config);
const STAGE = 'workloads/api/stages/production';

describe('CIDR blocks', () => {
  it('parses both families, knows canonical blocks and containment', () => {
    expect(parseCidr('10.1.2.0/24')).toEqual({ family: 4, network: 0x0a010200n, prefix: 24, canonical: true });
    expect(parseCidr('10.1.2.3/24')?.canonical).toBe(false);
    expect(formatCidr(parseCidr('10.1.2.3/24')!)).toBe('10.1.2.0/24');
    expect(formatCidr(parseCidr('2001:db8:0:0:1::/64')!)).toBe('2001:db8::/64');
    expect(formatCidr(parseCidr('fe80::1/10')!)).toBe('fe80::/10');
    expect(formatCidr(parseCidr('::/0')!)).toBe('::/0');
    for (const bad of ['10.0.0.0', '10.0.0.256/8', '10.0.0.0/33', '01.0.0.0/8', '::1::/64', '2001:db8::/129', 'internet', '10.0.0.0/08'])
      expect(parseCidr(bad), bad).toBeUndefined();
    expect(contains(parseCidr('10.0.0.0/8')!, parseCidr('10.20.0.0/16')!)).toBe(true);
    expect(contains(parseCidr('10.0.0.0/8')!, parseCidr('11.0.0.0/16')!)).toBe(false);
    expect(contains(parseCidr('0.0.0.0/0')!, parseCidr('fc00::/7')!)).toBe(false);
  });
});

describe('egress', () => {
  const tree = render(apiCluster());
  const policy = file(tree, `${STAGE}/networkpolicy-api.yaml`);

  it('renders each rule as ipBlocks on its ports after the generated rules, internet without the private ranges', () => {
    const rules = policy.spec.egress as any[];
    // DNS, the Redpanda namespace (api produces videos) and the database come first, as before.
    expect(rules.slice(-2)).toEqual([
      {
        to: [
          { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'] } },
          { ipBlock: { cidr: '::/0', except: ['fc00::/7', 'fe80::/10'] } },
        ],
        ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 587 }],
      },
      { to: [{ ipBlock: { cidr: '192.0.2.10/32' } }], ports: [{ protocol: 'TCP', port: 8200 }] },
    ]);
    expect(rules).toHaveLength(5);
  });

  it('says why the policy opens every address, as the opt-out of policy/egress-internet', () => {
    expect(policy.metadata.annotations).toEqual({ 'plinth.dev/allow-egress-internet': 'S3 presigned URLs and the SMTP relay' });
    // An app without egress keeps its policy as it was: no annotation, no ipBlock.
    const web = file(tree, 'workloads/web/stages/production/networkpolicy-web.yaml');
    expect(web.metadata.annotations).toBeUndefined();
    expect(JSON.stringify(web.spec.egress)).not.toContain('ipBlock');
  });

  it('adds except blocks to the family they belong to, keeps UDP, and opens an explicit 0.0.0.0/0 with its reason', async () => {
    const config = apiCluster((api) => {
      api.egress = [
        { to: 'internet', ports: [{ port: 443 }, { port: 3478, protocol: 'UDP' }], reason: 'TURN', except: ['203.0.113.0/24', '2001:db8::/32'] },
        { to: '0.0.0.0/0', ports: [25], reason: 'mail' },
        { to: '198.51.100.0/24', ports: [22], reason: 'backups', except: ['198.51.100.128/25'] },
      ];
    });
    const np = file(render(config), `${STAGE}/networkpolicy-api.yaml`);
    const [internet, open, backups] = np.spec.egress.slice(-3);
    expect(internet.to[0].ipBlock.except.at(-1)).toBe('203.0.113.0/24');
    expect(internet.to[1].ipBlock.except).toEqual(['fc00::/7', 'fe80::/10', '2001:db8::/32']);
    expect(internet.ports).toEqual([{ protocol: 'TCP', port: 443 }, { protocol: 'UDP', port: 3478 }]);
    expect(open).toEqual({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 25 }] });
    expect(backups.to).toEqual([{ ipBlock: { cidr: '198.51.100.0/24', except: ['198.51.100.128/25'] } }]);
    expect(np.metadata.annotations['plinth.dev/allow-egress-internet']).toBe('TURN; mail');
    expect(await checkCustomResource(np as any)).toEqual([]);
  });

  it('refuses a bad CIDR, host bits, an except outside the block, no reason and no ports, each with its path and a fix', () => {
    const found = issues(
      apiCluster((api) => {
        api.egress = [
          { to: 'the-internet', ports: [443], reason: 'S3' },
          { to: '10.1.2.3/24', ports: [443], reason: 'host bits' },
          { to: '10.0.0.0/16', ports: [443], reason: 'outside', except: ['10.1.0.0/24', '10.0.0.0/16', 'nope'] },
          { to: 'internet', ports: [443], reason: '  ' },
          { to: 'internet', ports: [], reason: 'none' },
          { to: 'internet', ports: [70000], reason: 'big' },
          { to: 'internet', ports: [{ port: 0, protocol: 'SCTP' }], reason: 'sctp' },
          { to: 'internet', ports: [443] },
          { to: 'internet', ports: [443], reason: 'all of it', except: ['0.0.0.0/0'] },
        ];
      }),
    );
    expect(found).toEqual([
      { path: 'apps[1].egress[0].to', message: '"the-internet" is neither "internet" nor a CIDR block', hint: 'use "internet" or a block such as "203.0.113.0/24" ("198.51.100.7/32" for one address)' },
      { path: 'apps[1].egress[1].to', message: '"10.1.2.3/24" has host bits set for a /24', hint: 'write the block\'s network address: "10.1.2.0/24"' },
      { path: 'apps[1].egress[2].except[2]', message: '"nope" is not a CIDR block', hint: 'write an address and a prefix length, e.g. "203.0.113.0/24", "198.51.100.7/32" or "2001:db8::/32"' },
      { path: 'apps[1].egress[3].reason', message: '"  " gives no reason: every way out of the cluster must say why', hint: 'write what the app reaches there, e.g. "S3 presigned URLs" or "SMTP relay"' },
      { path: 'apps[1].egress[4].ports', message: 'is empty: an egress rule opens named ports only', hint: 'list the ports the app connects to, e.g. [443] or [{ port: 53, protocol: "UDP" }]' },
      { path: 'apps[1].egress[5].ports[0]', message: 'must be at most 65535, got number 70000' },
      { path: 'apps[1].egress[6].ports[0]', message: 'must be a port number from 1 to 65535, or { port, protocol: "TCP" or "UDP" }' },
      { path: 'apps[1].egress[7].reason', message: 'is required (string)', hint: 'add apps[1].egress[7].reason' },
    ]);
    // The cross-field checks run once the shapes are right.
    const except = issues(apiCluster((api) => (api.egress = [{ to: '10.0.0.0/16', ports: [443], reason: 'x', except: ['10.1.0.0/24', '10.0.0.0/16'] }, { to: 'internet', ports: [443], reason: 'y', except: ['0.0.0.0/0'] }])));
    expect(except).toEqual([
      { path: 'apps[1].egress[0].except[0]', message: '"10.1.0.0/24" is not inside "10.0.0.0/16", so it closes nothing', hint: 'list only blocks inside "10.0.0.0/16", or remove it' },
      { path: 'apps[1].egress[0].except[1]', message: '"10.0.0.0/16" is not inside "10.0.0.0/16", so it closes nothing', hint: 'list only blocks inside "10.0.0.0/16", or remove it' },
      { path: 'apps[1].egress[1].except[0]', message: '"0.0.0.0/0" is not inside the internet, so it closes nothing', hint: 'list a block with a prefix length above 0, or remove it' },
    ]);
  });
});

describe('policy/egress-internet', () => {
  const np = (annotations: Record<string, string> | undefined, cidr: string) =>
    obj('networking.k8s.io/v1', 'NetworkPolicy', 'open', 'prod', { spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: {} }] }, { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }, { ipBlock: { cidr } }] }] } }, annotations);

  it('warns on an ipBlock open to every address without a reason, at the block', () => {
    for (const cidr of ['0.0.0.0/0', '::/0']) {
      const findings = only(run([np(undefined, cidr)]), 'policy/egress-internet');
      expect(findings.map((f) => [f.severity, f.path, f.message])).toEqual([
        ['warning', '/spec/egress/1/to/1/ipBlock/cidr', `NetworkPolicy "open" lets its pods out to every address (${cidr}) and says nowhere why`],
      ]);
    }
  });

  it('is quiet with a reason, on narrower blocks, and still warns on a blank reason', () => {
    expect(only(run([np({ 'plinth.dev/allow-egress-internet': 'webhooks to customers' }, '0.0.0.0/0')]), 'policy/egress-internet')).toEqual([]);
    expect(only(run([np(undefined, '203.0.113.0/24')]), 'policy/egress-internet')).toEqual([]);
    const blank = only(run([np({ 'plinth.dev/allow-egress-internet': ' ' }, '0.0.0.0/0')]), 'policy/egress-internet');
    expect(blank.map((f) => f.path)).toEqual(['/metadata/annotations/plinth.dev~1allow-egress-internet', '/spec/egress/1/to/1/ipBlock/cidr']);
  });
});

describe('routes', () => {
  const tree = render(
    apiCluster((api) => {
      api.routes = [
        { path: '/api/v1', stripPrefix: true },
        { path: '/healthcheck' },
        { path: '/admin', middlewares: ['auth', 'traefik/ip-allow'] },
        { path: '/static', stripPrefix: true },
      ];
    }),
  );

  it('renders an Ingress per middleware chain, paths in order, the chain in the Traefik annotation', () => {
    const ingress = (name: string) => file(tree, `${STAGE}/ingress-${name}.yaml`);
    const paths = (i: Record<string, any>) => i.spec.rules[0].http.paths.map((p: any) => [p.path, p.pathType, p.backend.service.name, p.backend.service.port.number]);
    const first = ingress('api');
    expect(paths(first)).toEqual([['/api/v1', 'Prefix', 'api', 80]]);
    expect(first.metadata.annotations).toEqual({
      'external-dns.alpha.kubernetes.io/hostname': 'api.example.org',
      'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
      'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
      'traefik.ingress.kubernetes.io/router.middlewares': 'production-api-strip-0@kubernetescrd',
    });
    expect(first.spec.tls).toEqual([{ hosts: ['api.example.org'], secretName: 'api-tls' }]);
    const plain = ingress('api-1');
    expect(paths(plain)).toEqual([['/healthcheck', 'Prefix', 'api', 80]]);
    // One Certificate per TLS secret: only the first Ingress asks cert-manager; the others serve the same secret.
    expect(plain.metadata.annotations['cert-manager.io/cluster-issuer']).toBeUndefined();
    expect(plain.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBeUndefined();
    expect(plain.spec.tls).toEqual(first.spec.tls);
    expect(ingress('api-2').metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe('production-auth@kubernetescrd,traefik-ip-allow@kubernetescrd');
    expect(paths(ingress('api-3'))).toEqual([['/static', 'Prefix', 'api', 80]]);
    expect(ingress('api-3').metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe('production-api-strip-3@kubernetescrd');
  });

  it('renders a StripPrefix Middleware per stripped route, valid against the Traefik CRD, and lists it in the kustomization', async () => {
    const middleware = file(tree, `${STAGE}/middleware-api-strip-0.yaml`);
    expect(middleware.apiVersion).toBe('traefik.io/v1alpha1');
    expect(middleware.metadata).toMatchObject({ name: 'api-strip-0', namespace: 'production', labels: { 'plinth.dev/app': 'api', 'plinth.dev/stage': 'production' } });
    expect(middleware.spec).toEqual({ stripPrefix: { prefixes: ['/api/v1'] } });
    expect(file(tree, `${STAGE}/middleware-api-strip-3.yaml`).spec).toEqual({ stripPrefix: { prefixes: ['/static'] } });
    // A staging stage gets its own, in its own namespace.
    const staged = render(apiCluster((api) => (api.stages = ['staging', 'production'])));
    expect(file(staged, 'workloads/api/stages/staging/ingress-api.yaml').metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBe('staging-api-strip-0@kubernetescrd');
    expect(file(staged, 'workloads/api/stages/staging/middleware-api-strip-0.yaml').metadata.namespace).toBe('staging');
    expect(file(tree, `${STAGE}/kustomization.yaml`).resources).toEqual(
      expect.arrayContaining(['ingress-api.yaml', 'ingress-api-1.yaml', 'ingress-api-2.yaml', 'ingress-api-3.yaml', 'middleware-api-strip-0.yaml', 'middleware-api-strip-3.yaml']),
    );
    for (const path of ['middleware-api-strip-0.yaml', 'ingress-api.yaml', 'ingress-api-2.yaml', 'networkpolicy-api.yaml'])
      expect(await checkCustomResource(file(tree, `${STAGE}/${path}`) as any), path).toEqual([]);
    expect(await checkCustomResource({ ...middleware, spec: { stripPrefix: { prefixes: '/api' } } } as any)).not.toEqual([]);
  });

  it('keeps the Ingress of an app without routes as it was: "/" without middlewares', () => {
    const web = file(tree, 'workloads/web/stages/production/ingress-web.yaml');
    expect(web.spec.rules[0].http.paths).toEqual([{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }]);
    expect(web.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares']).toBeUndefined();
    expect([...tree.files.keys()].filter((f) => f.startsWith('workloads/web/') && f.includes('middleware'))).toEqual([]);
  });

  it('refuses a route without a host, a path without "/", a path Kubernetes refuses, a repeated path and stripping "/"', () => {
    const found = issues(
      apiCluster((api, config) => {
        api.routes = [{ path: 'api' }, { path: '/a//b' }, { path: '/x/..' }, { path: '/', stripPrefix: true }, { path: '/', middlewares: ['Bad Name'] }];
        config.apps[2].routes = [{ path: '/jobs' }];
      }),
    );
    expect(found).toEqual([
      { path: 'apps[1].routes[0].path', message: '"api" does not start with "/": a route is a URL path prefix', hint: 'write it as a path prefix such as "/api/v1" ("/api")' },
      { path: 'apps[1].routes[1].path', message: '"/a//b" holds "//", which Kubernetes refuses in an Ingress path', hint: 'write it as a path prefix such as "/api/v1"' },
      { path: 'apps[1].routes[2].path', message: '"/x/.." holds "/..", which Kubernetes refuses in an Ingress path', hint: 'write it as a path prefix such as "/api/v1"' },
      { path: 'apps[1].routes[4].middlewares[0]', message: '"Bad Name" must name a Traefik Middleware: "name" (in the app\'s namespace), "namespace/name", or "name@provider"' },
    ]);
    const cross = issues(
      apiCluster((api, config) => {
        api.routes = [{ path: '/', stripPrefix: true }, { path: '/' }];
        config.apps[2].routes = [{ path: '/jobs' }];
        config.apps[0].routes = [];
      }),
    );
    expect(cross).toEqual([
      { path: 'apps[0].routes', message: 'is empty, so the host would route nothing', hint: 'list the paths to serve, e.g. [{ path: "/" }], or remove apps[0].routes to serve the whole host' },
      { path: 'apps[1].routes[0].stripPrefix', message: 'strips "/", which leaves every request as it is', hint: 'remove stripPrefix, or route a longer path such as "/api"' },
      { path: 'apps[1].routes[1].path', message: '"/" is routed twice (first at apps[1].routes[0].path)', hint: 'list each path once, with all its middlewares' },
      { path: 'apps[2].routes', message: "routes are paths on the app's host, and the app has no host", hint: 'add apps[2].host (a name under the cluster domain), or remove the routes' },
    ]);
  });
});
