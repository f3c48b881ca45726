// An application's upload code, configured only by the environment `lambda-av serve` prints: the
// AWS SDK clients are built with no options at all, as in code deployed to AWS. Run by
// test/integration/serve.test.ts in its own process; prints what it saw as JSON.
import { LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectTaggingCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { scanDirect, startScan, waitForScan } from '../../src/client/scan-client';

const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

async function tagsOf(s3: S3Client, bucket: string, key: string): Promise<Record<string, string>> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const { TagSet = [] } = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
    if (TagSet.length > 0) return Object.fromEntries(TagSet.map((tag) => [tag.Key, tag.Value]));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`s3://${bucket}/${key} was never tagged`);
}

async function main() {
  const bucket = process.env.LAMBDA_AV_BUCKET as string;
  const s3 = new S3Client({});
  const sfn = new SFNClient({});
  const lambda = new LambdaClient({});
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'app/report 1.txt', Body: 'quarterly figures' }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'app/invoice+eicar.com', Body: EICAR }));
  const started = await startScan(sfn, process.env.LAMBDA_AV_STATE_MACHINE_ARN as string, {
    bucket,
    key: 'app/invoice+eicar.com',
  });
  const waited = await waitForScan(sfn, started.executionArn, { pollIntervalMs: 50 });
  const direct = await scanDirect(lambda, process.env.LAMBDA_AV_FUNCTION_NAME as string, {
    bucket,
    key: 'app/report 1.txt',
  });
  const uploadTags = {
    clean: await tagsOf(s3, bucket, 'app/report 1.txt'),
    infected: await tagsOf(s3, bucket, 'app/invoice+eicar.com'),
  };
  process.stdout.write(JSON.stringify({ started, waited, direct, uploadTags }));
}

main().catch((error: Error) => {
  process.stderr.write(`${error.name}: ${error.message}\n`);
  process.exit(1);
});
