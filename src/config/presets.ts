/**
 * Presets: overrides an environment takes by name (`preset: 'local'`), merged onto the base config under the
 * environment's own overrides (src/config/environments.ts). A preset sees the base input, so it can name the items
 * of its lists (apps, servers, topics) the way an override does.
 */

import { deepMerge } from '../core/merge.ts';

type Plain = Record<string, unknown>;

/** Hosts of a laptop cluster: every name under localtest.me resolves to 127.0.0.1 in public DNS, with nothing to publish. */
export const LOCAL_DOMAIN = 'localtest.me';

const isPlain = (value: unknown): value is Plain => typeof value === 'object' && value !== null && !Array.isArray(value);
const named = (value: unknown): value is Plain & { name: string } => isPlain(value) && typeof value.name === 'string';
const items = (value: unknown): (Plain & { name: string })[] => (Array.isArray(value) ? value.filter(named) : []);

/** The same name under the local domain: `web.example.org` -> `web.localtest.me`; a name outside the base domain stays. */
function localHost(host: string, domain: string | undefined): string {
  if (!domain) return host;
  if (host === domain) return LOCAL_DOMAIN;
  return host.endsWith(`.${domain}`) ? `${host.slice(0, -domain.length)}${LOCAL_DOMAIN}` : host;
}

/** The `host` options anywhere in a component's options, moved under the local domain: only what changes. */
function localHosts(options: unknown, domain: string | undefined): Plain | undefined {
  if (!isPlain(options)) return undefined;
  const out: Plain = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === 'host' && typeof value === 'string' && localHost(value, domain) !== value) out[key] = localHost(value, domain);
    else if (key !== 'values' && key !== 'extraObjects' && isPlain(value)) {
      const inner = localHosts(value, domain);
      if (inner) out[key] = inner;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Per component, the smallest footprint that still works on one laptop node: one replica or broker each, small
 * volumes. Only components the base enables are touched (an override of a component turns it on).
 */
function smallComponent(id: string, options: unknown): Plain | undefined {
  switch (id) {
    case 'traefik':
    case 'sso':
      return { replicas: 1 };
    case 'redpanda':
      return { brokers: 1, storage: '2Gi' };
    case 'valkey':
      return { shards: 1 };
    case 'monitoring': {
      // A retentionSize chosen for the base's volume would not fit a smaller one: then the volume stays as it is.
      const prometheus = isPlain(options) && isPlain(options.prometheus) ? options.prometheus : {};
      return {
        prometheus: { retention: '2d', ...(prometheus.retentionSize === undefined && { storage: { size: '5Gi' } }) },
        alertmanager: { storage: { size: '1Gi' } },
      };
    }
    default:
      return undefined;
  }
}

/**
 * The `local` preset: a laptop cluster (k3d, kind) that needs nothing from outside. No public DNS (external-dns and
 * the Designate webhook off, hosts under localtest.me), certificates from a CA of the cluster's own instead of
 * Let's Encrypt (cert-manager `issuer: 'local-ca'`), and one instance, replica or broker of everything with small
 * volumes. The environment's own overrides still win over each of these.
 */
export function localPreset(base: Readonly<Plain>): Plain {
  const domain = typeof base.domain === 'string' ? base.domain : undefined;
  const components = isPlain(base.components) ? base.components : {};
  const overrides: Plain = {};
  for (const [id, options] of Object.entries(components)) {
    if (options === false || options === undefined) continue;
    const own = deepMerge(smallComponent(id, options) ?? {}, localHosts(options, domain) ?? {});
    if (id === 'cert-manager') own.issuer = 'local-ca';
    if (Object.keys(own).length > 0) overrides[id] = own;
  }
  // Nothing publishes public DNS records, or solves DNS01 challenges, for a laptop.
  overrides['external-dns'] = false;
  overrides['designate-webhook'] = false;

  const postgres = isPlain(base.postgres) ? base.postgres : {};
  const servers = items(postgres.servers).map(({ name }) => ({ name, instances: 1, dataSize: '1Gi', walSize: '512Mi' }));
  const more = (value: unknown, than: number) => typeof value === 'number' && value > than;
  const apps = items(base.apps).flatMap((app) => {
    const host = typeof app.host === 'string' ? localHost(app.host, domain) : undefined;
    const own = { ...(more(app.replicas, 1) && { replicas: 1 }), ...(host !== undefined && host !== app.host && { host }) };
    return Object.keys(own).length > 0 ? [{ name: app.name, ...own }] : [];
  });
  // Every replica on one broker; a cache without replicas (the default) stays as it is.
  const topics = items(base.topics).flatMap(({ name, replicas }) => (more(replicas, 1) ? [{ name, replicas: 1 }] : []));
  const caches = items(base.caches).flatMap(({ name, replicas }) => (more(replicas, 0) ? [{ name, replicas: 0 }] : []));
  return {
    domain: LOCAL_DOMAIN,
    components: overrides,
    ...(servers.length > 0 && { postgres: { servers } }),
    ...(topics.length > 0 && { topics }),
    ...(caches.length > 0 && { caches }),
    ...(apps.length > 0 && { apps }),
  };
}

/** The presets an environment may name, by name. */
export const presets = { local: localPreset } as const;
