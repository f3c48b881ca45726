import { markedSection, SECTION_END, SECTION_START, withSection } from '../../bench/lib/markdown-section';

const section = (body: string) => `${SECTION_START}\n${body}\n${SECTION_END}`;

test('a section is appended to a report without one, and replaces the one a report has', () => {
  const appended = withSection('# Benchmarks\n\nfigures\n', section('first'));
  const replaced = withSection(appended, section('second'));

  expect(appended).toBe(`# Benchmarks\n\nfigures\n\n${section('first')}\n`);
  expect(replaced).toBe(`# Benchmarks\n\nfigures\n\n${section('second')}\n`);
});

test("the main benchmark's report, written again, keeps the directory-scan section it had", () => {
  const before = `# Benchmarks\n\nold figures\n\n${section('dir scans, $& and $1 kept as written')}\n`;

  const kept = markedSection(before);
  const after = withSection('# Benchmarks\n\nnew figures\n', kept as string);

  expect(after).toBe(`# Benchmarks\n\nnew figures\n\n${section('dir scans, $& and $1 kept as written')}\n`);
  expect(markedSection('# no section')).toBeUndefined();
});
