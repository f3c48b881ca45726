/**
 * Where the canary's objects live in the canary bucket: written by the updater, readable by the
 * scanner (infra/canary-bucket.ts grants on it, without the AWS SDK the objects module needs).
 */
export const CANARY_PREFIX = 'lambda-av-canary/';
