import { BULK_REASON_LIMIT, shortReason } from '../../../src/bulk/batch';

test('a bulk result keeps a reason of up to 300 characters as it is', () => {
  const reason = 'r'.repeat(BULK_REASON_LIMIT);

  expect(shortReason(reason)).toBe(reason);
});

test('a longer reason, one quoting a 1,024-byte key, is cut to 300 characters, its cut marked', () => {
  const reason = `s3://uploads/${'k'.repeat(1024)} does not exist (NoSuchKey)`;

  const short = shortReason(reason);

  expect(short).toHaveLength(BULK_REASON_LIMIT);
  expect(short.endsWith('…')).toBe(true);
  expect(reason.startsWith(short.slice(0, -1))).toBe(true);
});
