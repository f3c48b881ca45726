import { open } from 'node:fs/promises';

/** What the 512-byte header of a `.cvd`/`.cld`/`.cud` file says about the database. */
export interface CvdHeader {
  readonly name: string;
  readonly version: number;
  readonly signatures: number;
  /** When ClamAV built this version of the database. */
  readonly builtAt: Date;
}

/**
 * Reads a CVD header: `ClamAV-VDB:<build time>:<version>:<signatures>:<functionality
 * level>:<md5>:<digital signature>:<builder>:<build time in seconds>`, padded to 512 bytes.
 * Returns undefined for files without one (plain-text formats).
 */
export async function readCvdHeader(file: string, name: string): Promise<CvdHeader | undefined> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, 512, 0);
    return parseCvdHeader(buffer.subarray(0, bytesRead).toString('latin1'), name);
  } finally {
    await handle.close();
  }
}

export function parseCvdHeader(header: string, name: string): CvdHeader | undefined {
  if (!header.startsWith('ClamAV-VDB:')) return undefined;
  const fields = header.replace(/\0|\s+$/g, '').split(':');
  const version = Number(fields[2]);
  const signatures = Number(fields[3]);
  const seconds = Number(fields[8]);
  if (!Number.isInteger(version) || !Number.isFinite(seconds)) return undefined;
  return { name, version, signatures, builtAt: new Date(seconds * 1000) };
}
