import path from 'node:path';
import { POLICY_DATABASE_NAME } from './policy';

/** File name endings ClamAV loads from a database directory (libclamav's CLI_DBEXT list). */
// biome-ignore format: a list reads better compact
export const DATABASE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.cvd', '.cld', '.cud', '.db', '.hdb', '.hdu', '.hsb', '.hsu', '.mdb', '.mdu', '.msb', '.msu',
  '.fp', '.sfp', '.ndb', '.ndu', '.ldb', '.ldu', '.sdb', '.zmd', '.rmd', '.cfg', '.cdb', '.cat',
  '.crb', '.idb', '.ioc', '.yar', '.yara', '.pwdb', '.ign', '.ign2', '.imp', '.wdb', '.pdb',
  '.gdb', '.ftm', '.info', '.cbc',
]);

/** A database file of a set, by its name; our own policy database is not one of the set's. */
export function isDatabaseFile(name: string): boolean {
  return (
    DATABASE_EXTENSIONS.has(path.extname(name).toLowerCase()) &&
    !name.includes('/') &&
    name !== POLICY_DATABASE_NAME
  );
}
