import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CANARY_PREFIX } from './canary-prefix';
import { EICAR } from './eicar';
import type { CanaryExpectation } from './report';

/** One canary object: where it is, and what its scan must say. */
export interface CanaryObject {
  readonly bucket: string;
  readonly key: string;
  readonly expected: CanaryExpectation;
}

/**
 * The canary: the EICAR test string (harmless; official definitions detect it by its exact bytes)
 * and a clean text that names the run, so clamd scans it instead of answering from its cache of
 * clean content. Never a real sample.
 */
function canaryObjects(now: Date): Array<{ key: string; expected: CanaryExpectation; body: string }> {
  return [
    { key: `${CANARY_PREFIX}eicar.com`, expected: 'INFECTED', body: EICAR },
    {
      key: `${CANARY_PREFIX}clean.txt`,
      expected: 'CLEAN',
      body: `lambda-av canary, ${now.toISOString()}: a clean object; its scan must come back CLEAN.\n`,
    },
  ];
}

/** Writes the canary's objects afresh and returns them, for the update workflow to scan. */
export async function prepareCanary(s3: S3Client, bucket: string, now = new Date()): Promise<CanaryObject[]> {
  const objects = canaryObjects(now);
  for (const object of objects) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body }));
  }
  return objects.map(({ key, expected }) => ({ bucket, key, expected }));
}
