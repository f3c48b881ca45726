import { mergeTags } from '../../../src/scan/tags';

const ours = { 'av-status': 'CLEAN', 'av-timestamp': '1764064800000' };

test('the owner tags are kept in order and ours are appended', () => {
  const merged = mergeTags(
    [
      { Key: 'team', Value: 'a' },
      { Key: 'env', Value: 'prod' },
    ],
    ours,
  );

  expect(merged).toEqual([
    { Key: 'team', Value: 'a' },
    { Key: 'env', Value: 'prod' },
    { Key: 'av-status', Value: 'CLEAN' },
    { Key: 'av-timestamp', Value: '1764064800000' },
  ]);
});

test('an earlier scan result is replaced, not duplicated', () => {
  const merged = mergeTags(
    [
      { Key: 'av-status', Value: 'INFECTED' },
      { Key: 'team', Value: 'a' },
      { Key: 'av-timestamp', Value: '1' },
    ],
    ours,
  );

  expect(merged).toEqual([
    { Key: 'team', Value: 'a' },
    { Key: 'av-status', Value: 'CLEAN' },
    { Key: 'av-timestamp', Value: '1764064800000' },
  ]);
});

test('eight owner tags plus ours fill S3 limit of ten exactly', () => {
  const owners = Array.from({ length: 8 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));

  expect(mergeTags(owners, ours)).toHaveLength(10);
});

test('nine owner tags leave no room: an error, and nothing is dropped', () => {
  const owners = Array.from({ length: 9 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));

  expect(() => mergeTags(owners, ours)).toThrow(
    expect.objectContaining({
      name: 'TagLimitExceededError',
      message: expect.stringContaining('already has 9 tags of its own'),
    }),
  );
});

test('nine owner tags with an old scan status still fit, since ours replaces it', () => {
  const owners = [
    ...Array.from({ length: 8 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` })),
    { Key: 'av-status', Value: 'CLEAN' },
  ];

  expect(mergeTags(owners, ours)).toHaveLength(10);
});
