import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { startDnsServer } from '../../test/dns-server.ts';
import { dnsResolver } from './dns.ts';

let dns: Awaited<ReturnType<typeof startDnsServer>>;
beforeAll(async () => {
  dns = await startDnsServer({ 'web.example.org': ['203.0.113.10', '2001:db8::10'], 'v4.example.org': ['198.51.100.7'] });
});
afterAll(() => dns.close());

describe('dnsResolver, against a real name server on a local port', () => {
  it('returns the A and AAAA records of a published name', async () => {
    const resolve = dnsResolver({ server: dns.server });
    expect(await resolve('web.example.org')).toEqual({ addresses: ['2001:db8::10', '203.0.113.10'] });
    expect(await resolve('v4.example.org')).toEqual({ addresses: ['198.51.100.7'] });
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
