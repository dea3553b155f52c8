import { describe, expect, it } from 'vitest';
import { registry } from '../components/index.ts';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { minimalCluster } from '../../test/helpers.ts';
import { resolveCluster } from './validate.ts';
import { rejectionOf } from '../../test/components.ts';

function issuesOf(mutate: (config: Record<string, any>) => void): ConfigIssue[] {
  const config = minimalCluster();
  mutate(config);
  return rejectionOf(config, registry);
}

describe('resolveCluster', () => {
  it('accepts the minimal cluster and fills defaults', () => {
    const { config, graph } = resolveCluster(minimalCluster(), registry);
    expect(config.git).toEqual({ repoURL: 'https://git.example.org/infra.git', revision: 'main', path: 'rendered' });
    expect(config.apps[0]).toMatchObject({ port: 8080, replicas: 1, stages: ['production'], env: {} });
    expect(config.components['cert-manager']).toEqual({
      options: { acmeEmail: 'ops@example.org', issuer: 'letsencrypt', solver: 'designate', awsRegion: 'us-east-1', ingressClassName: 'traefik', recursiveNameservers: [], expiryAlertDays: 14 },
      common: { namespace: undefined, needs: undefined, values: undefined, extraObjects: undefined },
    });
    expect(graph.order).toEqual([
      'argo-cd', 'cert-manager', 'clustersecret', 'external-secrets', 'keda', 'redpanda', 'secret-generator', 'traefik',
      'cloudnative-pg', 'designate-webhook', 'external-dns', 'kargo', 'valkey',
    ]);
    expect(graph.waves.get('kargo')).toBe(1);
  });

  it('accepts `true` as a component with default options, and `false` as disabled', () => {
    const config: Record<string, any> = { ...minimalCluster(), apps: [], topics: [], caches: [], postgres: { servers: [], databases: [] } };
    config.components = {
      'argo-cd': true,
      traefik: true,
      'cert-manager': { acmeEmail: 'ops@example.org', solver: 'http01' },
      'external-dns': true,
      'external-secrets': true,
      kargo: false,
    };
    const { components } = resolveCluster(config, registry).config;
    expect(Object.keys(components)).toEqual(['argo-cd', 'cert-manager', 'external-dns', 'external-secrets', 'traefik']);
    expect(components['argo-cd']!.options).toMatchObject({ ingress: true, reconciliation: '180s' });
  });

  // Each invalid config: exactly the issues expected, with their config paths and messages.
  const cases: [string, (c: Record<string, any>) => void, ConfigIssue[]][] = [
    [
      'wrong type for a field',
      (c) => (c.apps[0].port = '80'),
      [{ path: 'apps[0].port', message: 'must be a number, got string "80"' }],
    ],
    [
      'a non-integer replica count',
      (c) => (c.apps[1].replicas = 1.5),
      [{ path: 'apps[1].replicas', message: 'must be an integer, got number 1.5' }],
    ],
    [
      'a missing required field',
      (c) => delete c.domain,
      [{ path: 'domain', message: 'is required (string)', hint: 'add domain' }],
    ],
    [
      'an unknown top-level key, with a suggestion',
      (c) => (c.domian = 'x'),
      [{ path: 'domian', message: 'unknown key "domian"', hint: 'did you mean "domain"?' }],
    ],
    [
      'an unknown key inside an app',
      (c) => (c.apps[2].replicaz = 2),
      [{ path: 'apps[2].replicaz', message: 'unknown key "replicaz"', hint: 'did you mean "replicas"?' }],
    ],
    [
      'an unknown component, with a suggestion',
      (c) => (c.components['cert-manger'] = {}),
      [{ path: 'components["cert-manger"]', message: 'unknown component "cert-manger"', hint: 'did you mean "cert-manager"?' }],
    ],
    [
      'an unknown component option',
      (c) => (c.components['cert-manager'].acmeEmial = 'x@example.org'),
      [{ path: 'components["cert-manager"].acmeEmial', message: 'unknown key "acmeEmial"', hint: 'did you mean "acmeEmail"?' }],
    ],
    [
      'an invalid component option value',
      (c) => (c.components['cert-manager'].acmeEmail = 'not-an-email'),
      [{ path: 'components["cert-manager"].acmeEmail', message: `"not-an-email" must be an email address for the Let's Encrypt account` }],
    ],
    [
      'a bad hostname',
      (c) => (c.apps[0].host = 'Web_App.example.org'),
      [
        {
          path: 'apps[0].host',
          message: '"Web_App.example.org" must be a lowercase DNS hostname such as "app.example.org" (no scheme, port or path)',
        },
      ],
    ],
    [
      'a host outside the cluster domain',
      (c) => (c.apps[0].host = 'web.example.com'),
      [
        {
          path: 'apps[0].host',
          message: '"web.example.com" is outside the cluster domain "example.org", so external-dns would not publish it',
          hint: 'use a name under the domain, e.g. "web.example.org"',
        },
      ],
    ],
    [
      'duplicate app names',
      (c) => (c.apps[2].name = 'web'),
      [
        {
          path: 'apps[2].name',
          message: 'duplicate app name "web" (first declared at apps[0].name)',
          hint: 'rename one of them: app names must be unique',
        },
      ],
    ],
    [
      'an app name that is not a DNS label',
      (c) => (c.apps[1].name = 'API'),
      [
        {
          path: 'apps[1].name',
          message: '"API" must be a DNS label: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric',
        },
      ],
    ],
    [
      'an image with a tag',
      (c) => (c.apps[1].image = 'ghcr.io/example/api:1.2.3'),
      [
        {
          path: 'apps[1].image',
          message: '"ghcr.io/example/api:1.2.3" carries a tag or digest; give the repository only (Kargo owns tags), e.g. "ghcr.io/example/api"',
        },
      ],
    ],
    [
      'an app naming an undeclared database',
      (c) => (c.apps[1].database = 'ap'),
      [{ path: 'apps[1].database', message: 'database "ap" is not declared', hint: 'declare it in postgres.databases or did you mean "app"?' }],
    ],
    [
      'scaling on a topic the app does not consume',
      (c) => (c.apps[2].topics.consume = []),
      [
        {
          path: 'apps[2].scale.topic',
          message: 'scales on the lag of "videos", which the app does not consume',
          hint: 'add "videos" to apps[2].topics.consume',
        },
      ],
    ],
    [
      'a database on an undeclared server',
      (c) => (c.postgres.databases[0].server = 'other'),
      [{ path: 'postgres.databases[0].server', message: 'database server "other" is not declared', hint: 'known servers: main' }],
    ],
    [
      'a dependency cycle through user-added needs',
      (c) => {
        c.components['argo-cd'] = { needs: ['cert-manager'] };
        c.components['cert-manager'].needs = ['argo-cd'];
      },
      [
        {
          path: 'components["argo-cd"].needs',
          message: 'dependency cycle: argo-cd -> cert-manager -> argo-cd',
          hint: 'remove one of these needs so the components can be installed in order',
        },
      ],
    ],
    [
      'a need on a component that is not enabled',
      (c) => {
        c.components['cert-manager'].needs = ['eraser'];
      },
      [
        {
          path: 'components["cert-manager"].needs[0]',
          message: '"cert-manager" needs "eraser", which is not enabled',
          hint: 'enable it with components: { "eraser": {} } or remove this entry',
        },
      ],
    ],
    [
      'a need on an unknown component',
      (c) => (c.components['cert-manager'].needs = ['argocd']),
      [{ path: 'components["cert-manager"].needs[0]', message: 'needs "argocd", which is not a Plinth component', hint: 'did you mean "argo-cd"?' }],
    ],
    [
      'a Secret with data among extra objects',
      (c) =>
        (c.components['argo-cd'] = {
          extraObjects: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'oops' }, stringData: { password: 'x' } }],
        }),
      [
        {
          path: 'components["argo-cd"].extraObjects[0]',
          message: 'Secret "oops" carries data, which would land in git',
          hint: 'declare the secret as an input and set it with `plinth secrets set`; External Secrets delivers it',
        },
      ],
    ],
    [
      'an extra object that is not a Kubernetes object',
      (c) => (c.components['argo-cd'] = { extraObjects: [{ kind: 'ConfigMap' }] }),
      [{ path: 'components["argo-cd"].extraObjects[0]', message: 'must be a Kubernetes object with apiVersion, kind and metadata.name' }],
    ],
    [
      'a git URL that is not https',
      (c) => (c.git.repoURL = 'git@github.com:org/infra.git'),
      [{ path: 'git.repoURL', message: '"git@github.com:org/infra.git" must be an https URL of the git repository Argo CD pulls from' }],
    ],
    [
      'an empty stage list',
      (c) => (c.apps[0].stages = []),
      [{ path: 'apps[0].stages', message: 'must be at least 1 entries, got an array' }],
    ],
  ];

  cases.push(
    [
      'a public host without the ingress controller that serves it',
      (c) => {
        delete c.components.traefik;
        c.components['argo-cd'] = { ingress: false };
        c.components.kargo = { ingress: false };
      },
      [
        {
          path: 'apps[0].host',
          message: 'needs the "traefik" component, which routes the public host to the app, but it is not enabled',
          hint: 'enable it with components: { "traefik": {} }, or remove this declaration',
        },
      ],
    ],
    [
      'database servers without CloudNativePG',
      (c) => delete c.components['cloudnative-pg'],
      [
        {
          path: 'postgres.servers',
          message: 'needs the "cloudnative-pg" component, which runs the PostgreSQL servers, but it is not enabled',
          hint: 'enable it with components: { "cloudnative-pg": {} }, or remove this declaration',
        },
      ],
    ],
    [
      'DNS01 through Designate without its webhook',
      (c) => delete c.components['designate-webhook'],
      [
        {
          path: 'components["cert-manager"]',
          message: '"cert-manager" uses "designate-webhook", which is not enabled',
          hint: `enable it with components: { "designate-webhook": {} }, or change components["cert-manager"]'s options so it does not need it`,
        },
      ],
    ],
    [
      'a topic replicated more than there are brokers',
      (c) => (c.topics[0].replicas = 3),
      [
        {
          path: 'topics[0].replicas',
          message: 'replication factor 3 exceeds the 1 Redpanda broker',
          hint: 'lower topics[0].replicas to at most 1, or raise components.redpanda.brokers',
        },
      ],
    ],
    [
      'two databases with one owner on a server',
      (c) => c.postgres.databases.push({ name: 'other', owner: 'app' }),
      [
        {
          path: 'postgres.databases[1].owner',
          message: 'owner "app" already owns postgres.databases[0] on server "main"',
          hint: 'give each database its own owner (each one gets its own generated password), or state sharedOwner: true on every database of that owner',
        },
      ],
    ],
  );

  // Hostile or careless input (issue #14): each is refused with its path and a fix.
  const configMap = (metadata: Record<string, unknown>, kind = 'ConfigMap') => ({ apiVersion: 'v1', kind, metadata });
  cases.push(
    [
      'an extra object of a component whose name climbs out of the tree',
      (c) => (c.components.traefik = { extraObjects: [configMap({ name: '../../../../escaped' })] }),
      [
        {
          path: 'components.traefik.extraObjects[0].metadata.name',
          message: '"../../../../escaped" is not a valid name: lowercase letters, digits, "-" and ".", at most 253, starting and ending alphanumeric, e.g. "my-config"',
          hint: 'Kubernetes refuses this name for a ConfigMap: rename it',
        },
      ],
    ],
    [
      'an extra object of a component whose namespace climbs out of the tree',
      (c) => (c.components.traefik = { extraObjects: [configMap({ name: 'x', namespace: '../../../esc' })] }),
      [
        {
          path: 'components.traefik.extraObjects[0].metadata.namespace',
          message: '"../../../esc" is not a valid name: lowercase letters, digits and "-", at most 63, starting and ending alphanumeric, e.g. "my-namespace"',
          hint: 'use the name of a namespace, or leave it out',
        },
      ],
    ],
    [
      "an app's extra object with a bad name, a bad kind and a namespace that is not a string",
      (c) => (c.apps[1].extraObjects = [configMap({ name: '../x' }), configMap({ name: 'ok', namespace: 7 }, '../../Kind')]),
      [
        {
          path: 'apps[1].extraObjects[0].metadata.name',
          message: '"../x" is not a valid name: lowercase letters, digits, "-" and ".", at most 253, starting and ending alphanumeric, e.g. "my-config"',
          hint: 'Kubernetes refuses this name for a ConfigMap: rename it',
        },
        { path: 'apps[1].extraObjects[1].kind', message: '"../../Kind" is not a Kubernetes kind', hint: 'a kind is one word of letters and digits, such as "ConfigMap" or "ClusterIssuer"' },
        { path: 'apps[1].extraObjects[1].metadata.namespace', message: 'must be a string, got number 7', hint: 'use the name of a namespace, or leave it out' },
      ],
    ],
    [
      'a Service whose name is a DNS-1123 subdomain but not the DNS-1035 label a Service needs',
      (c) => (c.apps[0].extraObjects = [configMap({ name: 'web.internal' }, 'Service')]),
      [
        {
          path: 'apps[0].extraObjects[0].metadata.name',
          message: '"web.internal" is not a valid name: lowercase letters, digits and "-", at most 63, starting with a letter and ending alphanumeric, e.g. "my-service"',
          hint: 'Kubernetes refuses this name for a Service: rename it',
        },
      ],
    ],
    [
      'a git.path that leaves the repository',
      (c) => (c.git.path = '../../x'),
      [
        {
          path: 'git.path',
          message: '"../../x" must stay inside the repository: no "." or ".." segments',
          hint: 'use a folder of the repository, such as "rendered" or "clusters/prod"',
        },
      ],
    ],
    [
      'a plain http git URL',
      (c) => (c.git.repoURL = 'http://git.example.org/infra.git'),
      [
        {
          path: 'git.repoURL',
          message: '"http://git.example.org/infra.git" is a plain http URL: Argo CD would pull the tree unencrypted, and anyone on the way could change what it deploys',
          hint: 'use https: "https://git.example.org/infra.git"',
        },
      ],
    ],
    [
      'a replica count above int32',
      (c) => (c.apps[0].replicas = 10 ** 12),
      [{ path: 'apps[0].replicas', message: 'must be at most 2147483647, got number 1000000000000', hint: 'Kubernetes stores this count as a 32-bit integer: use a realistic number' }],
    ],
    [
      "a component's count above int32, which its own schema does not bound",
      (c) => (c.components.redpanda = { brokers: 2 ** 40 }),
      [{ path: 'components.redpanda.brokers', message: `must be at most 2147483647, got number ${2 ** 40}`, hint: 'Kubernetes stores this count as a 32-bit integer: use a realistic number' }],
    ],
    [
      'a 23-digit size in Ti',
      (c) => (c.postgres.servers[0].dataSize = '12345678901234567890123Ti'),
      [
        {
          path: 'postgres.servers[0].dataSize',
          message: '"12345678901234567890123Ti" is larger than any quantity Kubernetes keeps (2^63-1, about 8Ei): it would be capped or overflow',
          hint: 'use a realistic size, e.g. "500Gi" or "2Ti"',
        },
      ],
    ],
    [
      "an app on Argo CD's host",
      (c) => (c.apps[0].host = 'argocd.example.org'),
      [
        {
          path: 'apps[0].host',
          message: 'host "argocd.example.org" is already served by the "argo-cd" component, so two Ingresses would claim it and one would get no traffic',
          hint: 'use another host, or move the component\'s with components["argo-cd"].host',
        },
      ],
    ],
    [
      "an app on Kargo's host, moved by its option",
      (c) => {
        c.components.kargo = { host: 'promote.example.org' };
        c.apps[1].host = 'promote.example.org';
      },
      [
        {
          path: 'apps[1].host',
          message: 'host "promote.example.org" is already served by the "kargo" component, so two Ingresses would claim it and one would get no traffic',
          hint: "use another host, or move the component's with components.kargo.host",
        },
      ],
    ],
    [
      'two components on one host',
      (c) => (c.components.kargo = { host: 'argocd.example.org' }),
      [
        {
          path: 'components.kargo.host',
          message: 'host "argocd.example.org" is already served by the "argo-cd" component, so two Ingresses would claim it and one would get no traffic',
          hint: 'use another host, or move the component\'s with components["argo-cd"].host',
        },
      ],
    ],
    [
      "an app on the host of an Ingress among a component's extra objects",
      (c) => {
        c.components.traefik = {
          extraObjects: [{ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'status' }, spec: { rules: [{ host: 'status.example.org' }] } }],
        };
        c.apps[1].host = 'status.example.org';
      },
      [
        {
          path: 'apps[1].host',
          message: 'host "status.example.org" is already served by an Ingress in components.traefik.extraObjects, so two Ingresses would claim it and one would get no traffic',
          hint: 'use another host',
        },
      ],
    ],
    [
      'two apps with one host',
      (c) => (c.apps[1].host = 'web.example.org'),
      [{ path: 'apps[1].host', message: 'host "web.example.org" is already used by apps[0]', hint: 'give each app its own host' }],
    ],
    [
      "an app's host that another app's earlier stage is served at",
      (c) => {
        c.apps[0].stages = ['staging', 'production'];
        c.apps[1].host = 'staging-web.example.org';
      },
      [
        {
          path: 'apps[1].host',
          message: 'host "staging-web.example.org" is already the host of apps[0] in stage "staging", so two Ingresses would claim it',
          hint: 'give each app its own host: a stage before the last is served at "<stage>-<host>"',
        },
      ],
    ],
    [
      'an environment variable name that is not one',
      (c) => (c.apps[0].env = { 'bad-key': 'x' }),
      [{ path: 'apps[0].env["bad-key"]', message: 'key "bad-key" must be an environment variable name', hint: 'rename the key' }],
    ],
    [
      'a config without components, reported once',
      (c) => delete c.components,
      [{ path: 'components', message: 'is required', hint: 'enable components, e.g. components: { "argo-cd": {} }' }],
    ],
    [
      'NaN and Infinity, which the API takes and YAML cannot carry',
      (c) => {
        c.apps[0].port = Number.NaN;
        c.apps[1].replicas = Number.POSITIVE_INFINITY;
      },
      [
        { path: 'apps[0].port', message: 'is NaN, which YAML and JSON cannot carry to Kubernetes', hint: 'use a finite number' },
        { path: 'apps[1].replicas', message: 'is Infinity, which YAML and JSON cannot carry to Kubernetes', hint: 'use a finite number' },
      ],
    ],
    [
      'a BigInt, a function and a cycle, through the API',
      (c) => {
        c.apps[0].replicas = 3n;
        c.apps[1].env = { make: () => 'x' };
        c.components.traefik = { values: { back: c.components } };
      },
      [
        { path: 'components.traefik.values.back', message: 'refers back to components, which contains it: a cycle', hint: 'copy the values instead of referring to an object that holds this one' },
        { path: 'apps[0].replicas', message: 'is the BigInt 3n; a config holds plain numbers', hint: 'write 3 without the "n"' },
        { path: 'apps[1].env.make', message: 'is a function; a config holds data only', hint: 'call it and use its result, or remove it' },
      ],
    ],
  );

  it.each(cases)('rejects %s', (_name, mutate, expected) => {
    expect(issuesOf(mutate)).toEqual(expected);
  });

  it('collects every problem instead of stopping at the first', () => {
    const issues = issuesOf((c) => {
      c.apps[0].port = 0;
      c.apps[1].hostt = 'x';
      c.components.linkerd = {};
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['apps[0].port', 'apps[1].hostt', 'components.linkerd']);
  });

  it('reports semantic problems together', () => {
    const issues = issuesOf((c) => {
      c.apps[1].name = 'web';
      c.apps[0].cache = 'nope';
      c.topics.push({ name: 'videos' });
    });
    expect(issues.map((i) => i.path)).toEqual(['apps[1].name', 'topics[1].name', 'apps[0].cache']);
  });

  it('rejects a config that is not an object', () => {
    expect(() => resolveCluster('cluster', registry)).toThrowError(ConfigError);
  });
});
