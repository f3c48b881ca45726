import path from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { type CliSettings, loadConfig } from '../config';
import { DefinitionsDirectory, resolvePublishedSet } from '../definitions/store';
import { updateDefinitions } from '../definitions/updater';
import { localS3Client, startLocalS3Server } from '../local/s3-server';
import type { CommandIo } from './command-io';
import { UPDATE_HELP } from './usage';

const CACHE_BUCKET = 'definitions';

/**
 * `lambda-av update`: the updater Lambda's code against a local S3 store kept in the cache, so
 * freshclam's state and the published set persist between runs exactly as in the bucket; the
 * published set is then installed where local scans find it.
 */
export async function updateCommand(args: string[], settings: CliSettings, io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(UPDATE_HELP);
    return 0;
  }
  const server = await startLocalS3Server({ directory: path.join(settings.cacheDir, 's3-store') });
  const s3 = localS3Client(server);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: CACHE_BUCKET })).catch((error: Error) => {
      if (!/BucketAlready/.test(error.name)) throw error;
    });
    const config = loadConfig({
      ...io.env,
      CLAMAV_BUCKET_NAME: CACHE_BUCKET,
      PATH_TO_AV_DEFINITIONS: '',
      AV_WORK_DIR: path.join(settings.cacheDir, 'work'),
    });
    const result = await updateDefinitions({ s3, config });
    if (result.version) {
      const location = { bucket: CACHE_BUCKET, prefix: '' };
      const local = new DefinitionsDirectory(path.join(settings.cacheDir, 'local'));
      await local.sync(s3, location, await resolvePublishedSet(s3, location));
      await local.prune();
    }
    if (values.json) {
      io.out(JSON.stringify(result, null, 2));
    } else if (result.coolDown) {
      io.out(
        `The mirror asked us to wait: nothing fetched. Next attempt allowed after ${result.coolDown.until}.`,
      );
    } else {
      io.out(
        `${result.changed ? 'Updated' : 'Up to date'}: definitions ${result.version} (built ${result.builtAt}, ${result.ageHours} h old)`,
      );
      for (const file of result.files)
        io.out(`  ${file.name}${file.version ? ` version ${file.version}` : ''}, ${file.size} bytes`);
    }
    return 0;
  } finally {
    s3.destroy();
    await server.stop();
  }
}
