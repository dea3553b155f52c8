import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import dnsPacket from 'dns-packet';

/**
 * A real name server on a local UDP port, for tests of what doctor sees in DNS: it answers A and AAAA
 * questions from `records` (name -> addresses) and NXDOMAIN for every other name.
 */
export async function startDnsServer(records: Record<string, string[]>): Promise<{ server: string; close: () => Promise<void> }> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    const addresses = question ? records[question.name.toLowerCase()] : undefined;
    const answers = (addresses ?? [])
      .filter((address) => (question!.type === 'A' ? isIPv4(address) : question!.type === 'AAAA' && !isIPv4(address)))
      .map((data) => ({ type: question!.type as 'A' | 'AAAA', class: 'IN' as const, name: question!.name, ttl: 60, data }));
    const response = dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | (addresses ? 0 : 3), // rcode 3: NXDOMAIN
      questions: query.questions ?? [],
      answers,
    });
    socket.send(response, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
