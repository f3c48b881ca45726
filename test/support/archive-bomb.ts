import { execFileSync } from 'node:child_process';

const BUILD = [
  'import io, sys, zipfile',
  'member = int(sys.argv[2])',
  'def zipped(entries):',
  '    out = io.BytesIO()',
  '    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:',
  '        for name, data in entries:',
  '            z.writestr(name, data)',
  '    return out.getvalue()',
  'data = zipped([("zeros.bin", bytes(member))])',
  'for level in range(int(sys.argv[3])):',
  '    data = zipped([(f"copy{i}.zip", data) for i in range(16)])',
  'open(sys.argv[1], "wb").write(data)',
].join('\n');

/**
 * Writes a zip bomb to `file`: `memberBytes` of zeros deflated, then `levels` levels of 16 copies
 * of the level below (3 levels: 4,096 members, about 17 KB for 256 MiB members). Every member has
 * its sizes in its local header (written whole, not streamed), so only clamd's limits stop it.
 * The bomb of issue 25 is 2 GiB members; tests use smaller members with a smaller MAX_FILE_SIZE
 * (so MaxScanSize is 100 MiB), which clamd cannot finish either.
 */
export function writeZipBomb(file: string, memberBytes = 256 * 2 ** 20, levels = 3): void {
  execFileSync('python3', ['-c', BUILD, file, String(memberBytes), String(levels)]);
}
