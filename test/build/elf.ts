import { open } from 'node:fs/promises';

/** `e_machine` values of the two Lambda architectures. */
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

export interface ElfHeader {
  readonly bits: 32 | 64;
  readonly littleEndian: boolean;
  /** `e_type`: 2 executable, 3 shared object (also position-independent executables). */
  readonly type: number;
  readonly machine: number;
}

/** Reads the fixed part of an ELF header; `undefined` when the bytes are not an ELF file. */
export function parseElfHeader(bytes: Buffer): ElfHeader | undefined {
  if (bytes.length < 20 || bytes.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const littleEndian = bytes[5] === 1;
  const u16 = (offset: number) => (littleEndian ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset));
  return { bits: bytes[4] === 2 ? 64 : 32, littleEndian, type: u16(16), machine: u16(18) };
}

export async function readElfHeader(file: string): Promise<ElfHeader | undefined> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0);
    return parseElfHeader(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
