import { createHash, type Hash } from 'node:crypto';
import { Crc32, Crc32c, Crc64Nvme } from '@aws-sdk/checksums/crc';

/** The flexible checksums S3 accepts (`x-amz-checksum-<name>`), as the SDKs compute them. */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface Digest {
  update(data: Uint8Array): void;
  /** The checksum, base64, as S3's headers carry it. */
  digest(): Promise<string>;
}

/**
 * A running checksum. The CRCs are the AWS SDK's own implementations (`@aws-sdk/checksums`), the
 * same code that computed the value a client sends; the SHAs are Node's.
 */
export function newDigest(algorithm: ChecksumAlgorithm | 'md5'): Digest {
  switch (algorithm) {
    case 'crc32':
      return fromSdk(new Crc32());
    case 'crc32c':
      return fromSdk(new Crc32c());
    case 'crc64nvme':
      return fromSdk(new Crc64Nvme());
    default:
      return fromNode(createHash(algorithm));
  }
}

export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

function fromSdk(checksum: { update(data: Uint8Array): void; digest(): Promise<Uint8Array> }): Digest {
  return {
    update: (data) => checksum.update(data),
    digest: async () => Buffer.from(await checksum.digest()).toString('base64'),
  };
}

function fromNode(hash: Hash): Digest {
  return {
    update: (data) => hash.update(data),
    digest: async () => hash.digest('base64'),
  };
}
