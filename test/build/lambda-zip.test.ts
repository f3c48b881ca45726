import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mirrorEnv, startTestMirror } from '../support/mirror';
import { type LocalS3, startLocalS3, uploadDirectory } from '../support/s3';
import { bodySignature, EICAR, writeTestDatabase } from '../support/signatures';
import {
  type BundleRun,
  buildZip,
  type HandlerCall,
  invokeBundle,
  REPO,
  run,
  sha256,
  unzip,
  writableDir,
} from './bundle';
import { startTestDns } from './dns';
import { EM_AARCH64, EM_X86_64, readElfHeader } from './elf';
import { makeCertificates, startTlsMirror } from './tls-mirror';

// lambda.zip as deployed: built by build_lambda.sh (or taken from LAMBDA_ZIP / LAMBDA_ARM64_ZIP),
// unpacked, and its handlers called in a mount namespace where the system's ClamAV is hidden,
// as an unprivileged user, with no CLAMAV_BIN_DIR: the bundle must find and run its own ClamAV.

const TOOLS = ['clamd', 'clamscan', 'clamdscan', 'freshclam', 'sigtool'];
const X86_LOADER = 'ld-linux-x86-64.so.2';
const MARKER = 'lambda-av-daemon bundle update marker 0001';
const MARKER_SIGNATURE = 'Bundle-Update-Marker';

let tmp: string;
let zip: string;
let builtHere: boolean;
let bundleDir: string;
let s3: LocalS3;

const clamav = (...parts: string[]) => path.join(bundleDir, 'clamav', ...parts);

beforeAll(async () => {
  if (process.getuid?.() !== 0) {
    throw new Error('these tests need root: they set up a mount namespace (unshare --mount) to hide ClamAV');
  }
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lambda-zip-'));
  await chmod(tmp, 0o755); // the handlers run as an unprivileged user
  builtHere = !process.env.LAMBDA_ZIP;
  zip = process.env.LAMBDA_ZIP ?? path.join(REPO, 'lambda.zip');
  if (builtHere) await buildZip([]);
  bundleDir = path.join(tmp, 'bundle');
  await unzip(zip, bundleDir);
  s3 = await startLocalS3();
}, 20 * 60_000);

afterAll(async () => {
  await s3?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

let runs = 0;

/** The Lambda process's whole environment: S3 on 127.0.0.1 and the function's settings. */
function lambdaEnv(workDir: string, settings: Record<string, string>): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AV_WORK_DIR: workDir,
    ...settings,
  };
}

/** One fresh Lambda instance: its own process and work area. */
async function invoke(
  calls: HandlerCall[],
  settings: Record<string, string>,
  names?: { resolvConf: string; nsswitchConf: string },
): Promise<BundleRun> {
  runs += 1;
  return invokeBundle({
    bundleDir,
    scratchDir: await writableDir(path.join(tmp, `scratch-${runs}`)),
    calls,
    env: lambdaEnv(await writableDir(path.join(tmp, `av-${runs}`)), settings),
    ...names,
  });
}

const scan = (bucket: string, key: string): HandlerCall => ({
  handler: 'scanFileHandler',
  event: { bucket, key },
});

/** Shared objects a process has loaded from outside the bundle (there should be none). */
function foreignLibraries(mapped: readonly string[]): string[] {
  return mapped.filter((file) => /\.so(\.|$| )/.test(file) && !file.startsWith(`${clamav()}/`));
}

/** Paths of a program's start through the bundle's loader: [loader, --library-path, lib, program]. */
function startedThroughLoader(started: BundleRun['started'], tool: string): boolean {
  return started.some(
    ({ file, args }) =>
      file === clamav('lib', X86_LOADER) &&
      args[0] === '--library-path' &&
      args[1] === clamav('lib') &&
      args[2] === clamav('bin', tool),
  );
}

async function elfFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => file.includes(`${path.sep}bin${path.sep}`) || /\.so(\.\d+)*$/.test(file))
    .sort();
}

describe('lambda.zip for x86_64', () => {
  test('holds the handlers and ClamAV in the layout the code expects, all x86-64 ELF files', async () => {
    expect((await stat(path.join(bundleDir, 'index.js'))).isFile()).toBe(true);
    for (const tool of TOOLS) {
      expect((await stat(clamav('bin', tool))).mode & 0o111).toBe(0o111);
    }
    expect((await stat(clamav('lib', X86_LOADER))).mode & 0o111).toBe(0o111);
    expect((await stat(clamav('lib', 'gconv', 'UTF-16.so'))).isFile()).toBe(true);
    const certificates = await readFile(clamav('certs', 'ca-certificates.crt'), 'utf8');
    expect(certificates.match(/-----BEGIN CERTIFICATE-----/g)?.length).toBeGreaterThan(100);
    expect(await readFile(clamav('PACKAGES'), 'utf8')).toMatch(/^clamav 1\.4\.\d+\S* amd64 [0-9a-f]{64}$/m);

    const files = await elfFiles(clamav());
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      expect({ file, header: await readElfHeader(file) }).toMatchObject({
        file,
        header: { bits: 64, littleEndian: true, machine: EM_X86_64 },
      });
    }
  });

  test(
    'scanFileHandler scans with the bundled clamd while the system ClamAV is hidden: clean is CLEAN, EICAR is INFECTED',
    async () => {
      await s3.createBucket('defs');
      await s3.createBucket('uploads');
      await writeTestDatabase(path.join(tmp, 'db-source'));
      await uploadDirectory(s3, 'defs', path.join(tmp, 'db-source'), 'av-definitions');
      await s3.put('uploads', 'clean.txt', 'nothing to see here\n');
      await s3.put('uploads', 'eicar.txt', EICAR);

      const result = await invoke([scan('uploads', 'clean.txt'), scan('uploads', 'eicar.txt')], {
        CLAMAV_BUCKET_NAME: 'defs',
        PATH_TO_AV_DEFINITIONS: 'av-definitions',
      });

      expect(result.exports).toEqual(['actOnInfectedHandler', 'scanFileHandler', 'updateDefinitionsHandler']);
      expect(result.results).toEqual([
        { ok: true, value: expect.objectContaining({ status: 'CLEAN', key: 'clean.txt' }) },
        {
          ok: true,
          value: expect.objectContaining({
            status: 'INFECTED',
            signature: 'Eicar-Test-Signature.UNOFFICIAL',
          }),
        },
      ]);
      expect(await s3.tagsOf('uploads', 'clean.txt')).toMatchObject({ 'av-status': 'CLEAN' });
      expect(await s3.tagsOf('uploads', 'eicar.txt')).toMatchObject({ 'av-status': 'INFECTED' });
      // The daemon that answered: the bundle's clamd, started through the bundle's loader, with
      // nothing but the bundle's libraries in its address space.
      expect(result.daemons).toHaveLength(1);
      const [clamd] = result.daemons;
      expect(clamd?.exe).toBe(clamav('lib', X86_LOADER));
      expect(clamd?.cmdline.slice(0, 4)).toEqual([
        clamav('lib', X86_LOADER),
        '--library-path',
        clamav('lib'),
        clamav('bin', 'clamd'),
      ]);
      expect(clamd?.mapped).toEqual(
        expect.arrayContaining([
          clamav('bin', 'clamd'),
          clamav('lib', 'libclamav.so.12'),
          clamav('lib', 'libc.so.6'),
        ]),
      );
      expect(foreignLibraries(clamd?.mapped ?? [])).toEqual([]);
    },
    5 * 60_000,
  );

  test(
    "libclamav's UTF-16 decoding loads the bundle's iconv module, with no GCONV_PATH set by the deployment",
    async () => {
      await s3.createBucket('defs-gconv');
      await s3.createBucket('uploads-gconv');
      await writeTestDatabase(path.join(tmp, 'db-gconv'));
      await uploadDirectory(s3, 'defs-gconv', path.join(tmp, 'db-gconv'), '');
      const utf16 = Buffer.concat([
        Buffer.from([0xff, 0xfe]),
        Buffer.from('plain UTF-16 text\r\n', 'utf16le'),
      ]);
      await s3.put('uploads-gconv', 'utf16.txt', utf16);
      const settings = { CLAMAV_BUCKET_NAME: 'defs-gconv' };
      const utf16Module = clamav('lib', 'gconv', 'UTF-16.so');

      // glibc would look for its modules where Debian keeps them, and Lambda has no such
      // directory: the handler points GCONV_PATH into the bundle itself.
      const run = await invoke([scan('uploads-gconv', 'utf16.txt')], settings);

      expect(run.results).toEqual([{ ok: true, value: expect.objectContaining({ status: 'CLEAN' }) }]);
      expect(run.daemons[0]?.mapped).toContain(utf16Module);
      expect(foreignLibraries(run.daemons[0]?.mapped ?? [])).toEqual([]);
    },
    5 * 60_000,
  );

  test(
    'updateDefinitionsHandler runs the bundled freshclam and clamscan, and the scanner then loads the published set',
    async () => {
      const mirror = await startTestMirror();
      try {
        mirror.set('test.ndb', `${bodySignature(MARKER_SIGNATURE, MARKER)}\n`);
        await s3.createBucket('defs-updated');
        await s3.createBucket('uploads-updated');
        await s3.put('uploads-updated', 'marker.txt', `${MARKER}\n`);

        const result = await invoke(
          [{ handler: 'updateDefinitionsHandler' }, scan('uploads-updated', 'marker.txt')],
          { ...mirrorEnv(mirror), CLAMAV_BUCKET_NAME: 'defs-updated', PATH_TO_AV_DEFINITIONS: 'published' },
        );

        expect(result.results).toEqual([
          {
            ok: true,
            value: expect.objectContaining({
              changed: true,
              files: [expect.objectContaining({ name: 'test.ndb' })],
            }),
          },
          {
            ok: true,
            value: expect.objectContaining({
              status: 'INFECTED',
              signature: `${MARKER_SIGNATURE}.UNOFFICIAL`,
            }),
          },
        ]);
        expect(mirror.requests).toContainEqual({ path: '/test.ndb', status: 200 });
        for (const tool of ['freshclam', 'clamscan', 'clamd']) {
          expect({ tool, throughLoader: startedThroughLoader(result.started, tool) }).toEqual({
            tool,
            throughLoader: true,
          });
        }
        expect(result.started.filter(({ file }) => !file.startsWith(`${clamav()}/`))).toEqual([]);
      } finally {
        await mirror.stop();
      }
    },
    5 * 60_000,
  );

  test(
    "freshclam finds its mirror through DNS with the bundle's libc and checks TLS against CURL_CA_BUNDLE",
    async () => {
      const host = 'mirror.lambda-av.test';
      const certDir = path.join(tmp, 'certs');
      await writableDir(certDir);
      const certificates = await makeCertificates(certDir, host);
      const mirror = await startTlsMirror(certificates, {
        'test.ndb': `${bodySignature(MARKER_SIGNATURE, MARKER)}\n`,
      });
      const dns = await startTestDns({ [host]: '127.0.0.1' });
      try {
        // Amazon Linux style name service: no Debian CA path (hidden in the namespace), DNS only.
        const resolvConf = path.join(tmp, 'resolv.conf');
        const nsswitchConf = path.join(tmp, 'nsswitch.conf');
        await writeFile(resolvConf, 'nameserver 127.0.0.1\noptions timeout:2 attempts:2\n');
        await writeFile(nsswitchConf, 'passwd: files\ngroup: files\nhosts: files dns\n');
        const url = `https://${host}:${mirror.port}`;
        const settings = {
          CLAMAV_MIRROR_URL: url,
          CLAMAV_OFFICIAL_DATABASES: '',
          CLAMAV_CUSTOM_DATABASE_URLS: `${url}/test.ndb`,
          CLAMAV_BUCKET_NAME: 'defs-tls',
        };
        await s3.createBucket('defs-tls');
        const names = { resolvConf, nsswitchConf };

        const untrusted = await invoke([{ handler: 'updateDefinitionsHandler' }], settings, names);
        const requestsBefore = mirror.requests.length;
        const trusted = await invoke(
          [{ handler: 'updateDefinitionsHandler' }],
          { ...settings, CURL_CA_BUNDLE: certificates.caFile },
          names,
        );

        expect(untrusted.results).toEqual([
          { ok: false, error: expect.objectContaining({ name: 'DefinitionsUpdateError' }) },
        ]);
        expect(requestsBefore).toBe(0); // the handshake failed: no request was sent
        expect(trusted.results).toEqual([
          {
            ok: true,
            value: expect.objectContaining({
              changed: true,
              files: [expect.objectContaining({ name: 'test.ndb' })],
            }),
          },
        ]);
        expect(dns.questions).toContain(`A ${host}`);
        expect(mirror.requests).toContainEqual({
          path: '/test.ndb',
          userAgent: expect.stringMatching(/^ClamAV\/1\.4\./),
        });
      } finally {
        await dns.stop();
        await mirror.stop();
      }
    },
    5 * 60_000,
  );
});

describe('lambda-arm64.zip', () => {
  test(
    'every bundled program and library is a 64-bit AArch64 ELF file, with the arm64 loader',
    async () => {
      let armZip = process.env.LAMBDA_ARM64_ZIP;
      if (!armZip) {
        armZip = path.join(REPO, 'lambda-arm64.zip');
        await buildZip(['--arch', 'arm64', '--out', armZip]);
      }
      const armDir = path.join(tmp, 'bundle-arm64');
      await unzip(armZip, armDir);

      const files = await elfFiles(path.join(armDir, 'clamav'));
      expect(files).toEqual(
        expect.arrayContaining([
          ...TOOLS.map((tool) => path.join(armDir, 'clamav', 'bin', tool)),
          path.join(armDir, 'clamav', 'lib', 'ld-linux-aarch64.so.1'),
          path.join(armDir, 'clamav', 'lib', 'libclamav.so.12'),
        ]),
      );
      expect(files.length).toBeGreaterThan(100);
      for (const file of files) {
        expect({ file, header: await readElfHeader(file) }).toMatchObject({
          file,
          header: { bits: 64, littleEndian: true, machine: EM_AARCH64 },
        });
      }
      expect((await stat(path.join(armDir, 'index.js'))).isFile()).toBe(true);
    },
    20 * 60_000,
  );
});

describe('reproducibility', () => {
  test(
    'building again from the same inputs gives the same zip, byte for byte, with sorted entries',
    async () => {
      let first = zip;
      if (!builtHere) {
        first = path.join(tmp, 'first.zip');
        await buildZip(['--out', first]);
      }
      const again = path.join(tmp, 'again.zip');

      await buildZip(['--out', again]);

      expect(await sha256(again)).toBe(await sha256(first));
      const listing = await run('unzip', ['-Z1', again], { timeoutMs: 60_000 });
      const entries = listing.stdout.trim().split('\n');
      expect(entries).toEqual([...entries].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      const verbose = await run('unzip', ['-Z', '-T', again], { timeoutMs: 60_000 });
      const times = new Set(verbose.stdout.match(/ \d{8}\.\d{6} /g));
      expect([...times]).toEqual([' 19800101.000000 ']);
    },
    20 * 60_000,
  );
});
