import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The key pair every request to a local endpoint must be signed with (SigV4). */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const FILE = 'credentials.json';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * A new key pair, shaped as AWS's are (a 20-character key id, a 40-character secret). The key is
 * random so that nothing but what `serve` printed can sign a request: a web page that knows the
 * project's source still cannot.
 */
export function newLocalCredentials(): LocalCredentials {
  const id = [...randomBytes(16)].map((byte) => ALPHABET[byte % ALPHABET.length]).join('');
  return { accessKeyId: `LAAV${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

/**
 * The key pair kept in a data directory (`serve --data-dir`), made on its first start, so an
 * application configured once keeps working across restarts. The file is readable by its owner only.
 */
export async function dataDirCredentials(dataDir: string): Promise<LocalCredentials> {
  const file = path.join(dataDir, FILE);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text !== undefined) {
    const stored = JSON.parse(text) as Partial<LocalCredentials>;
    if (typeof stored.accessKeyId === 'string' && typeof stored.secretAccessKey === 'string') {
      return { accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey };
    }
    throw new Error(`${file} holds no accessKeyId and secretAccessKey: remove it to get a new pair`);
  }
  const credentials = newLocalCredentials();
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return credentials;
}

/** A local endpoint and the key pair its requests are signed with: what a client of it needs. */
export interface LocalEndpoint {
  readonly endpoint: string;
  readonly credentials: LocalCredentials;
}
