import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import { makeContent } from '../lib/content';
import { type BenchContext, type Engine, uniqueKey } from '../lib/context';

/**
 * Unrecorded rounds of every S3 call and scan the measurements make, on small objects. Both
 * Node.js processes (ours and the S3 endpoint's) keep getting faster for the first few hundred requests
 * as V8 compiles the SDK and the server; without this the first section measured would pay for
 * it (about 18 ms per small scan at first, 12 ms after 400 rounds, on this kind of machine).
 */
export async function warmUp(ctx: BenchContext, engines: readonly Engine[], rounds: number): Promise<void> {
  ctx.progress(`warm-up: ${rounds} unrecorded rounds`);
  for (let i = 0; i < rounds; i++) {
    const engine = engines[i % engines.length] as Engine;
    const { scanner } = engine;
    const key = uniqueKey('warm');
    await ctx.s3.putBuffer(ctx.bucket, key, makeContent(1024));
    await scanner.scan(ctx.bucket, key);
    const response = await scanner.s3.send(new GetObjectCommand({ Bucket: ctx.bucket, Key: key }));
    await scanner.scanner.engine.daemon.client.scanStream(response.Body as AsyncIterable<Uint8Array>, {
      expectedBytes: response.ContentLength ?? 0,
      timeoutMs: 60_000,
    });
    const original = { Bucket: ctx.bucket, Key: key };
    await ctx.s3.client.send(new HeadObjectCommand(original));
    const body = await ctx.s3.client.send(new GetObjectCommand(original));
    await body.Body?.transformToByteArray();
    await ctx.s3.client.send(new GetObjectTaggingCommand(original));
    await ctx.s3.client.send(
      new PutObjectTaggingCommand({
        ...original,
        Tagging: { TagSet: [{ Key: 'av-status', Value: 'CLEAN' }] },
      }),
    );
    await ctx.s3.delete(ctx.bucket, key);
  }
}
