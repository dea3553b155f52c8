import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { startDnsServer } from '../../test/dns-server.ts';
import { dnsResolver, lookupAll } from './dns.ts';

let dns: Awaited<ReturnType<typeof startDnsServer>>;
beforeAll(async () => {
  dns = await startDnsServer({ 'web.example.org': ['203.0.113.10', '203.0.113.11', '2001:db8::10'], 'v6.example.org': ['2001:db8::7'] });
});
afterAll(() => dns.close());

describe('dnsResolver, against a real name server on a local port', () => {
  it('returns the A records of a published name, or its AAAA records when it has no A', async () => {
    const resolve = dnsResolver({ server: dns.server });
    expect(await resolve('web.example.org')).toEqual({ addresses: ['203.0.113.10', '203.0.113.11'] });
    expect(await resolve('v6.example.org')).toEqual({ addresses: ['2001:db8::7'] });
  });

  it('looks many hosts up a few at a time, each answered', async () => {
    let inFlight = 0;
    let most = 0;
    const resolve = dnsResolver({ server: dns.server });
    const counted = async (host: string) => {
      most = Math.max(most, ++inFlight);
      try {
        return await resolve(host);
      } finally {
        inFlight--;
      }
    };
    const hosts = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 'web.example.org' : `app-${i}.example.org`));
    const results = await lookupAll(hosts, counted, 4);
    expect(most).toBe(4);
    expect([...results.keys()].sort()).toEqual([...new Set(hosts)].sort());
    expect(results.get('web.example.org')).toEqual({ addresses: ['203.0.113.10', '203.0.113.11'] });
    expect(results.get('app-1.example.org')).toEqual({ error: 'no A or AAAA record', missing: true });
  });

  it('says a name without a record is missing', async () => {
    expect(await dnsResolver({ server: dns.server })('unpublished.example.org')).toEqual({ error: 'no A or AAAA record', missing: true });
  });

  it('tells a server that does not answer apart from a missing record', async () => {
    // A bound port that never replies: the lookup times out instead of finding no record.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const result = await dnsResolver({ server: `127.0.0.1:${silent.address().port}`, timeoutMs: 200 })('web.example.org');
      expect(result).toMatchObject({ missing: false });
      expect('error' in result && result.error).toMatch(/^DNS did not answer \(E[A-Z]+\)$/);
    } finally {
      silent.close();
    }
  });

  it('refuses a --dns-server that is not an IP address', () => {
    expect(() => dnsResolver({ server: 'ns1.example.org' })).toThrow('--dns-server takes an IP address, optionally with :port, not "ns1.example.org"');
    expect(() => dnsResolver({ server: '[2001:db8::53]:5353' })).not.toThrow();
  });
});
