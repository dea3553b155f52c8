import { createHash } from 'node:crypto';
import { z } from 'zod';
import { githubTeam, hostname, INT32_MAX, type ClusterConfig } from '../../config/schema.ts';
import { DEFAULT_INGRESS_CLASS, defaultClusterIssuer, externalSecret, generatedSecret, publicIngressAnnotations } from '../../core/conventions.ts';
import { defineComponent, type HealthCheck, type K8sObject } from '../../core/types.ts';

export const SSO_NAMESPACE = 'sso';
/**
 * The Helm release. It contains the chart's name, so the chart's fullname, which names its Deployment and Service,
 * is the release name itself (oauth2-proxy chart 10.7.0 templates/_helpers.tpl "oauth2-proxy.fullname").
 */
export const RELEASE = 'oauth2-proxy';
/** The Service's port (chart 10.7.0 values.yaml service.portNumber, templates/service.yaml). */
const SERVICE_PORT = 80;
/** The secret input with the GitHub OAuth app's credentials, and the Secret it becomes in the sso namespace. */
export const GITHUB_OAUTH_INPUT = 'sso-github-oauth';
/** Key names the chart reads from config.existingSecret (templates/deployment.yaml, OAUTH2_PROXY_CLIENT_ID/SECRET). */
const CLIENT_ID_KEY = 'client-id';
const CLIENT_SECRET_KEY = 'client-secret';
/** The cookie secret, generated in the cluster: it never leaves it. */
export const COOKIE_SECRET = 'sso-cookie';
const COOKIE_SECRET_KEY = 'cookie-secret';
/** 32 base64url characters: oauth2-proxy decodes them to 24 bytes, an AES-192 key (v7.15.3 pkg/encryption/utils.go SecretBytes). */
const COOKIE_SECRET_LENGTH = 32;
export const SSO_TLS_SECRET = 'sso-tls';
/** The Middleware every `sso: true` host uses: any member of the organisation. */
export const ORG_MIDDLEWARE = 'sso';
const MIDDLEWARE_API = 'traefik.io/v1alpha1';
/**
 * What Traefik copies from the proxy's answer onto the request it forwards: who signed in. oauth2-proxy sets them with
 * --set-xauthrequest (v7.15.3 pkg/apis/options/legacy_options.go, X-Auth-Request-User/-Email/-Groups).
 */
export const AUTH_RESPONSE_HEADERS = ['X-Auth-Request-User', 'X-Auth-Request-Email', 'X-Auth-Request-Groups'];

/** A GitHub organisation login: letters, digits and single hyphens, at most 39 characters. */
const githubOrg = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/, {
  error: 'must be a GitHub organisation login such as "acme-corp" (as in https://github.com/<org>)',
});

const options = z.strictObject({
  github: z.strictObject({
    /** Only members of this organisation sign in (oauth2-proxy --github-org; compared as GitHub spells the login). */
    org: githubOrg,
    /** Only members of these teams of the organisation sign in at all (--github-team); a host's own `sso` list narrows further. */
    teams: z.array(githubTeam).refine((teams) => teams.length > 0, { error: 'lists no team', params: { hint: 'remove teams to admit every member of the organisation, or name the teams' } }).optional(),
  }),
  /** The sign-in host, where GitHub sends users back (the OAuth app's callback URL); defaults to auth.<domain>. */
  host: hostname.optional(),
  ingressClassName: z.string().default(DEFAULT_INGRESS_CLASS),
  /** Default: the issuer components["cert-manager"].issuer renders. */
  clusterIssuer: z.string().optional(),
  replicas: z.int().min(1).max(INT32_MAX).default(1),
});

type Options = z.output<typeof options>;

export const ssoHostOf = (options: Pick<Options, 'host'>, domain: string): string => options.host ?? `auth.${domain}`;

/** The Middleware that admits the members of `teams` (one per distinct list), or every member of the organisation. */
export function ssoMiddlewareName(sso: true | readonly string[]): string {
  if (sso === true) return ORG_MIDDLEWARE;
  const teams = [...new Set(sso)].sort();
  // One team keeps a readable name; a list is named by its hash, since slugs may hold "." or "_" and joined ones could collide.
  if (teams.length === 1 && /^[a-z0-9-]{1,48}$/.test(teams[0]!)) return `${ORG_MIDDLEWARE}-team-${teams[0]}`;
  return `${ORG_MIDDLEWARE}-teams-${createHash('sha256').update(teams.join(',')).digest('hex').slice(0, 10)}`;
}

/** The namespace the sso component runs in for a config (its `namespace` option, or its own). */
export const ssoNamespaceOf = (cluster: Pick<ClusterConfig, 'components'>): string => cluster.components.sso?.common.namespace ?? SSO_NAMESPACE;

/**
 * Who is behind each Middleware: the components whose hosts set `sso`, and the apps that do. Read from the config,
 * so the sso component renders one Middleware per team list anyone uses, and doctor names what each one guards.
 */
export function ssoUsers(cluster: Pick<ClusterConfig, 'components' | 'apps'>): Map<string, { teams?: string[]; users: string[] }> {
  const byName = new Map<string, { teams?: string[]; users: string[] }>([[ORG_MIDDLEWARE, { users: [] }]]);
  const use = (sso: true | string[], who: string) => {
    const name = ssoMiddlewareName(sso);
    if (!byName.has(name)) byName.set(name, { teams: [...new Set(sso as string[])].sort(), users: [] });
    byName.get(name)!.users.push(who);
  };
  for (const [id, enabled] of Object.entries(cluster.components)) if (enabled.common.sso) use(enabled.common.sso, `component ${id}`);
  for (const app of cluster.apps) if (app.sso) use(app.sso, `app ${app.name}`);
  return byName;
}

/**
 * A Traefik forwardAuth Middleware (traefik.io/v1alpha1, crds/traefik traefik.io_middlewares.yaml spec.forwardAuth).
 * It asks the proxy's root path, not /oauth2/auth: both run the same checks, allowed_groups included (oauth2-proxy
 * v7.15.3 oauthproxy.go AuthOnly and Proxy, authOnlyAuthorize), but /oauth2/auth answers a browser without a session
 * with a bare 401, which Traefik hands to the user, while the root path (upstream static://202) sends it to GitHub's
 * sign-in and back. Team members are groups "<org>:<team slug>" (providers/github.go getTeams).
 */
function forwardAuthMiddleware(name: string, namespace: string, org: string, teams: string[] | undefined): K8sObject {
  const query = teams ? `?allowed_groups=${teams.map((team) => `${org}:${team}`).join(',')}` : '';
  return {
    apiVersion: MIDDLEWARE_API,
    kind: 'Middleware',
    metadata: { name, namespace },
    spec: {
      forwardAuth: {
        address: `http://${RELEASE}.${namespace}.svc.cluster.local:${SERVICE_PORT}/${query}`,
        authResponseHeaders: AUTH_RESPONSE_HEADERS,
      },
    },
  };
}

export const sso = defineComponent({
  id: 'sso',
  description: 'oauth2-proxy: GitHub organisation sign-in in front of every host that sets `sso`, through a Traefik forwardAuth Middleware',
  namespace: SSO_NAMESPACE,
  needs: ['cert-manager', 'external-secrets', 'secret-generator', 'traefik'],
  options,
  chart: ({ cluster, options }) => {
    const host = ssoHostOf(options, cluster.domain);
    return {
      repoURL: 'https://oauth2-proxy.github.io/manifests',
      chart: 'oauth2-proxy',
      version: '10.7.0',
      releaseName: RELEASE,
      values: {
        config: {
          // The chart renders no Secret of its own then; the cookie secret comes from the generated Secret below.
          existingSecret: GITHUB_OAUTH_INPUT,
          requiredSecretKeys: [CLIENT_ID_KEY, CLIENT_SECRET_KEY],
          // Behind forwardAuth the proxy has nothing to proxy: a signed-in request is answered 202 and Traefik goes on.
          upstreams: ['static://202'],
        },
        // Flags of oauth2-proxy v7.15.3 (pkg/apis/options/legacy_options.go); the chart passes each as --key=value.
        extraArgs: {
          provider: 'github',
          'github-org': options.github.org,
          ...(options.github.teams && { 'github-team': options.github.teams.join(',') }),
          'redirect-url': `https://${host}/oauth2/callback`,
          // One sign-in for every host under the domain, and redirects back to any of them after it.
          'cookie-domain': `.${cluster.domain}`,
          'whitelist-domain': `.${cluster.domain}`,
          // Trust Traefik's X-Forwarded-Host/-Uri: the page to return to after signing in.
          'reverse-proxy': true,
          'set-xauthrequest': true,
          'skip-provider-button': true,
        },
        extraEnv: [{ name: 'OAUTH2_PROXY_COOKIE_SECRET', valueFrom: { secretKeyRef: { name: COOKIE_SECRET, key: COOKIE_SECRET_KEY } } }],
        replicaCount: options.replicas,
        // The chart's default budget (minAvailable 1) would block every node drain with one replica.
        podDisruptionBudget: { enabled: options.replicas > 1 },
        ingress: {
          enabled: true,
          className: options.ingressClassName,
          path: '/',
          pathType: 'Prefix',
          hosts: [host],
          annotations: publicIngressAnnotations(host, options.clusterIssuer ?? defaultClusterIssuer(cluster)),
          tls: [{ secretName: SSO_TLS_SECRET, hosts: [host] }],
        },
      },
    };
  },
  resources: ({ cluster, namespace, options }) => [
    externalSecret({
      name: GITHUB_OAUTH_INPUT,
      namespace,
      keys: [CLIENT_ID_KEY, CLIENT_SECRET_KEY].map((key) => ({ secretKey: key, input: GITHUB_OAUTH_INPUT, key })),
    }),
    generatedSecret({ name: COOKIE_SECRET, namespace, generate: { [COOKIE_SECRET_KEY]: COOKIE_SECRET_LENGTH } }),
    ...[...ssoUsers(cluster)].map(([name, { teams }]) => forwardAuthMiddleware(name, namespace, options.github.org, teams)),
  ],
  secrets: ({ cluster, options }) => {
    const host = ssoHostOf(options, cluster.domain);
    return [
      {
        name: GITHUB_OAUTH_INPUT,
        keys: [
          { key: CLIENT_ID_KEY, description: 'Client ID of the GitHub OAuth app' },
          { key: CLIENT_SECRET_KEY, description: 'a client secret of that OAuth app' },
        ],
        purpose: `lets oauth2-proxy sign members of the GitHub organisation ${options.github.org} in at https://${host}, for every host behind sso`,
        howToGet: `GitHub: organisation ${options.github.org} → Settings → Developer settings → OAuth Apps → New OAuth App, homepage https://${host}, authorization callback URL https://${host}/oauth2/callback; copy its Client ID and generate a client secret`,
      },
    ];
  },
  health: ({ cluster, namespace }): HealthCheck[] => [
    {
      description: 'GitHub OAuth app credentials delivered',
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      name: GITHUB_OAUTH_INPUT,
      namespace,
      blame: 'external-secrets',
    },
    { description: 'cookie secret generated', apiVersion: 'secretgenerator.mittwald.de/v1alpha1', kind: 'StringSecret', name: COOKIE_SECRET, namespace, blame: 'secret-generator' },
    { description: 'sign-in proxy (oauth2-proxy)', apiVersion: 'apps/v1', kind: 'Deployment', name: RELEASE, namespace },
    ...[...ssoUsers(cluster)].map(([name, { teams, users }]) => ({
      description: `forwardAuth ${name} (${teams ? `teams ${teams.join(', ')}` : 'the whole organisation'}): ${users.length ? users.join(', ') : 'no host uses it'}`,
      apiVersion: MIDDLEWARE_API,
      kind: 'Middleware',
      name,
      namespace,
    })),
  ],
});
