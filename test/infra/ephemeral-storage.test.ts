import { scannerStorage } from '../../infra/ephemeral-storage';

const MIB = 1024 * 1024;

test('the default 300 MiB limit: definitions 1024 + stream 300 + extraction 1200 + headroom 512', () => {
  expect(scannerStorage(300 * MIB)).toEqual({
    definitionsMib: 1024,
    streamSpoolMib: 300,
    extractionMib: 1200,
    headroomMib: 512,
    totalMib: 3036,
  });
});

test('extraction is capped where clamd caps MaxScanSize, below 2 GiB', () => {
  expect(scannerStorage(2 ** 31 - 1)).toMatchObject({
    streamSpoolMib: 2048,
    extractionMib: 2048,
    totalMib: 5632,
  });
});

test("a small limit still leaves room for clamd's smallest MaxScanSize, 100 MiB", () => {
  expect(scannerStorage(MIB)).toMatchObject({ streamSpoolMib: 1, extractionMib: 100, totalMib: 1637 });
});
