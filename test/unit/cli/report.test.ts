import type { CommandIo } from '../../../src/cli/command-io';
import { ScanReport } from '../../../src/cli/report';
import { loadConfig } from '../../../src/config';

const names = loadConfig({ CLAMAV_BUCKET_NAME: 'b' }).statusNames;

function capture(): { io: CommandIo; text: () => string } {
  const chunks: string[] = [];
  return {
    io: { out: (line) => chunks.push(`${line}\n`), err: () => undefined, env: {} },
    text: () => chunks.join(''),
  };
}

test.each([0, 1, 2500])(
  'the streamed JSON report of %i files is one valid document with every result',
  async (count) => {
    const { io, text } = capture();
    const report = new ScanReport(io, { json: true, names, progress: false });

    for (let i = 0; i < count; i++) {
      await report.add({ path: `f${i}`, status: i % 10 === 0 ? 'INFECTED' : 'CLEAN', durationMs: 1 });
    }
    report.finish(42, { definitions: 'test' });
    const document = JSON.parse(text());

    expect(document.results).toHaveLength(count);
    expect(document.results.map((r: { path: string }) => r.path)).toEqual(
      Array.from({ length: count }, (_, i) => `f${i}`),
    );
    expect(document.summary).toEqual({
      files: count,
      clean: count - Math.ceil(count / 10),
      infected: Math.ceil(count / 10),
      skipped: 0,
      errors: 0,
      durationMs: 42,
      definitions: 'test',
    });
  },
);

test('results are written in batches, not a write per file, and all of them by the summary', async () => {
  const writes: string[] = [];
  const report = new ScanReport(
    { out: (text) => writes.push(text), err: () => undefined, env: {} },
    { json: false, names, progress: false },
  );

  for (let i = 0; i < 2000; i++)
    await report.add({ path: `/some/where/file-${i}.txt`, status: 'CLEAN', durationMs: 3 });
  report.finish(10);
  const lines = writes.join('\n').split('\n');

  expect(writes.length).toBeLessThan(20);
  expect(lines.filter((line) => line.endsWith(': CLEAN [3 ms]'))).toHaveLength(2000);
  expect(lines).toContain('Files scanned: 2000');
});
