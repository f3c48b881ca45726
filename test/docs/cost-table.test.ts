import { read, tableAfter } from './markdown';

test("docs/costs.md's cost table is BENCHMARKS.md's, section 6b: totals (x86_64) and GuardDuty's price", () => {
  const measured = tableAfter(read('BENCHMARKS.md'), '**6b. Cost per million objects');
  const page = tableAfter(read('docs/costs.md'), '## Per scan');
  const sizes = ['100 KiB', '1 MiB', '10 MiB'];
  const total = (workflow: string, size: string) => {
    const row = measured.find((cells) => cells[0] === workflow && cells[1] === size);
    if (!row) throw new Error(`BENCHMARKS.md has no cost row for ${workflow}, ${size}`);
    return row;
  };

  const expected = [
    ...['Standard, upload event', 'Standard, client request', 'Express, upload event via queue'].map(
      (workflow) => [workflow, ...sizes.map((size) => total(workflow, size)[10] ?? '')],
    ),
    [
      'GuardDuty Malware Protection for S3',
      ...sizes.map((size) => total('Standard, upload event', size)[12] ?? ''),
    ],
  ];
  expect(page).toEqual(expected);
});
