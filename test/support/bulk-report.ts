import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** Every record of a Distributed Map's ResultWriter report (one per child workflow), as written. */
export async function resultRecords(
  s3: S3Client,
  bucket: string,
  manifestKey: string,
): Promise<Array<Record<string, unknown>>> {
  const read = async (key: string) =>
    (await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString()) ??
    '';
  const manifest = JSON.parse(await read(manifestKey)) as {
    ResultFiles: Record<string, Array<{ Key: string }>>;
  };
  const records: Array<Record<string, unknown>> = [];
  for (const files of Object.values(manifest.ResultFiles))
    for (const file of files)
      records.push(...(JSON.parse(await read(file.Key)) as Array<Record<string, unknown>>));
  return records;
}
