/** An IP block: its family, network address and prefix length, as numbers so blocks can be compared. */
export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split('::').length > 2) return undefined;
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const missing = 8 - before.length - after.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...before, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...after];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(`0x${group}`);
  }
  return value;
}

/** Parses `a.b.c.d/n` or an IPv6 block; undefined when it is not one. The address may have host bits set. */
export function parseCidr(text: string): (Cidr & { canonical: boolean }) | undefined {
  const match = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(text);
  if (!match) return undefined;
  const family = match[1]!.includes(':') ? 6 : 4;
  const address = family === 4 ? parseIPv4(match[1]!) : parseIPv6(match[1]!);
  const prefix = Number(match[2]);
  if (address === undefined || prefix > bits(family)) return undefined;
  const hostBits = BigInt(bits(family) - prefix);
  const network = (address >> hostBits) << hostBits;
  return { family, network, prefix, canonical: network === address };
}

export function formatCidr({ family, network, prefix }: Cidr): string {
  if (family === 4) return `${[24n, 16n, 8n, 0n].map((shift) => (network >> shift) & 255n).join('.')}/${prefix}`;
  const groups = Array.from({ length: 8 }, (_, i) => ((network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // RFC 5952: the longest run of two or more zero groups becomes "::".
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const text = best.start < 0 ? groups.join(':') : `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
  return `${text}/${prefix}`;
}

/** Whether `inner` lies inside `outer` (same family, longer or equal prefix, same leading bits). */
export function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const shift = BigInt(bits(outer.family) - outer.prefix);
  return inner.network >> shift === outer.network >> shift;
}

/** Whether two blocks share any address. */
export const overlaps = (a: Cidr, b: Cidr): boolean => contains(a, b) || contains(b, a);

/**
 * What `internet` leaves out: the private and shared ranges a cluster's pods, Services and nodes live in, and
 * link-local (cloud metadata at 169.254.169.254). RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 (100.64/10,
 * carrier-grade NAT, used by some CNIs), RFC 3927 (169.254/16), RFC 4193 (fc00::/7, unique local) and RFC 4291
 * (fe80::/10, link-local).
 */
export const PRIVATE_RANGES = {
  4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'],
  6: ['fc00::/7', 'fe80::/10'],
} as const;

export const EVERYWHERE = { 4: '0.0.0.0/0', 6: '::/0' } as const;
