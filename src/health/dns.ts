import { isIP } from 'node:net';
import { Resolver } from 'node:dns/promises';
import { UsageError } from '../errors.ts';

/** What a public host resolves to, or why it does not: `missing` when DNS answered that there is no record. */
export type HostLookup = { addresses: string[] } | { error: string; missing: boolean };
export type ResolveHost = (host: string) => Promise<HostLookup>;

const NO_RECORD = new Set(['ENOTFOUND', 'ENODATA']);

/**
 * Looks hosts up in DNS as a browser's resolver would (A and AAAA records). `server` (an IP address,
 * optionally `:port`) asks one name server directly, such as the zone's authoritative one, past any cache.
 */
export function dnsResolver(options: { server?: string; timeoutMs?: number } = {}): ResolveHost {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: 2 });
  if (options.server) {
    const address = /^\[(.+)\](:\d+)?$/.exec(options.server)?.[1] ?? options.server.replace(/:\d+$/, '');
    if (!isIP(address)) throw new UsageError(`--dns-server takes an IP address, optionally with :port, not "${options.server}"`, 'e.g. --dns-server 1.1.1.1 or --dns-server 127.0.0.1:5353');
    resolver.setServers([options.server]);
  }
  return async (host) => {
    const results = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const addresses = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    if (addresses.length) return { addresses: addresses.sort() };
    const codes = results.map((r) => (r.status === 'rejected' ? String((r.reason as NodeJS.ErrnoException).code) : 'ENODATA'));
    const failure = codes.find((code) => !NO_RECORD.has(code));
    return failure ? { error: `DNS did not answer (${failure})`, missing: false } : { error: 'no A or AAAA record', missing: true };
  };
}
