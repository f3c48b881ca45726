import dgram from 'node:dgram';

export interface TestDns {
  /** Questions received, as `<type> <name>` (`A mirror.example.test`). */
  readonly questions: string[];
  stop(): Promise<void>;
}

const TYPE_NAMES: Record<number, string> = { 1: 'A', 28: 'AAAA' };

/**
 * A DNS server on 127.0.0.1:53 (what a resolv.conf `nameserver 127.0.0.1` reaches) that knows
 * IPv4 addresses for the given names, has no other record for them, and answers NXDOMAIN for
 * any other name. Enough for glibc's stub resolver.
 */
export async function startTestDns(addresses: Record<string, string>): Promise<TestDns> {
  const questions: string[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (query, peer) => {
    const reply = answer(query, addresses, questions);
    if (reply) socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(53, '127.0.0.1', () => resolve());
  });
  return {
    questions,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function answer(query: Buffer, addresses: Record<string, string>, log: string[]): Buffer | undefined {
  if (query.length < 17 || query.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  while (offset < query.length && query[offset] !== 0) {
    const length = query[offset] ?? 0;
    labels.push(query.subarray(offset + 1, offset + 1 + length).toString('ascii'));
    offset += length + 1;
  }
  const questionEnd = offset + 5; // the root label, QTYPE, QCLASS
  if (questionEnd > query.length) return undefined;
  const type = query.readUInt16BE(offset + 1);
  const name = labels.join('.').toLowerCase();
  log.push(`${TYPE_NAMES[type] ?? type} ${name}`);

  const address = addresses[name];
  const records: Buffer[] = [];
  if (address !== undefined && type === 1) {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the name, as a pointer to the question's
    record.writeUInt16BE(1, 2); // A
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(60, 6); // TTL
    record.writeUInt16BE(4, 10);
    address.split('.').forEach((part, i) => {
      record[12 + i] = Number(part);
    });
    records.push(record);
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // the query's id
  const recursionDesired = (query.readUInt16BE(2) & 0x0100) !== 0;
  const rcode = address === undefined ? 3 : 0; // NXDOMAIN for unknown names
  header.writeUInt16BE(0x8000 | 0x0400 | (recursionDesired ? 0x0100 : 0) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
}
