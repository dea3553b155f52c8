import { isIP } from 'node:net';
import { Resolver } from 'node:dns/promises';
import { pool } from '../core/pool.ts';
import { UsageError } from '../errors.ts';

/** What a public host resolves to, or why it does not: `missing` when DNS answered that there is no record. */
export type HostLookup = { addresses: string[] } | { error: string; missing: boolean };
export type ResolveHost = (host: string) => Promise<HostLookup>;

const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA']);
const NOT_FOUND: HostLookup = { error: 'no A or AAAA record', missing: true };

/**
 * Looks hosts up in DNS: their A records, or AAAA for a name without any. `server` (an IP address,
 * optionally `:port`) asks one name server directly, such as the zone's authoritative one, past any cache.
 */
export function dnsResolver(options: { server?: string; timeoutMs?: number } = {}): ResolveHost {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: 2 });
  if (options.server) {
    const address = /^\[(.+)\](:\d+)?$/.exec(options.server)?.[1] ?? options.server.replace(/:\d+$/, '');
    if (!isIP(address)) throw new UsageError(`--dns-server takes an IP address, optionally with :port, not "${options.server}"`, 'e.g. --dns-server 1.1.1.1 or --dns-server 127.0.0.1:5353');
    resolver.setServers([options.server]);
  }
  const query = (lookup: Promise<string[]>) =>
    lookup.then((addresses) => ({ addresses, code: undefined }), (error: NodeJS.ErrnoException) => ({ addresses: [] as string[], code: String(error.code) }));
  return async (host) => {
    // A first, and AAAA only for a name that exists without one: a query a host, because resolvers drop
    // bursts (this machine's after about 50 queries), and doctor may look hundreds of hosts up.
    let answer = await query(resolver.resolve4(host));
    if (answer.code === 'ENODATA') answer = await query(resolver.resolve6(host));
    if (answer.addresses.length) return { addresses: answer.addresses.sort() };
    return !answer.code || NO_RECORD.has(answer.code) ? NOT_FOUND : { error: `DNS did not answer (${answer.code})`, missing: false };
  };
}

/** Looks every host up, a few at a time, so a resolver is not sent hundreds of queries at once. */
export async function lookupAll(hosts: string[], resolveHost: ResolveHost, width = 8): Promise<Map<string, HostLookup>> {
  const results = new Map<string, HostLookup>();
  await pool(hosts, width, async (host) => results.set(host, await resolveHost(host)));
  return results;
}
