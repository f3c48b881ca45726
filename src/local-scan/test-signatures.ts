import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { EICAR } from '../canary/eicar';

export { EICAR };

export const EICAR_SIGNATURE = 'Eicar-Test-Signature';
export const CLAM_EXE_SIGNATURE = 'ClamAV-Test-File';

/** ClamAV's own test corpus (Debian package clamav-testfiles); `clam.exe` is inside each file. */
export const CLAMAV_TESTFILES_DIR = '/usr/share/clamav-testfiles';

/** ClamAV's test program `clam.exe`: MD5 and size, as published with ClamAV's test files. */
const CLAM_EXE = { md5: 'aa15bcf478d165efd2065190eb473bcb', size: 544 };

/** `.ndb` body signature: `Name:TargetType:Offset:HexBytes`; `*` means anywhere. */
export function bodySignature(name: string, content: string | Buffer): string {
  return `${name}:0:*:${Buffer.from(content).toString('hex')}`;
}

/** `.hdb` hash signature: `md5:size:Name`, as `sigtool --md5` prints it. */
export function hashSignature(name: string, content: Buffer): string {
  return `${createHash('md5').update(content).digest('hex')}:${content.length}:${name}`;
}

/**
 * Writes signature databases that detect test files only, in ClamAV's formats: the EICAR body
 * signature (`test.ndb`) and the hash of ClamAV's `clam.exe` (`test.hdb`), which makes every file
 * of ClamAV's test corpus detectable, since each holds clam.exe (packed, archived or encoded).
 */
export async function writeTestSignatures(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'test.ndb'), `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
  const clamExe = path.join(CLAMAV_TESTFILES_DIR, 'clam.exe');
  const hdb = existsSync(clamExe)
    ? hashSignature(CLAM_EXE_SIGNATURE, readFileSync(clamExe))
    : `${CLAM_EXE.md5}:${CLAM_EXE.size}:${CLAM_EXE_SIGNATURE}`;
  await writeFile(path.join(dir, 'test.hdb'), `${hdb}\n`);
  return ['test.hdb', 'test.ndb'];
}
