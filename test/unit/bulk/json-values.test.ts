import { jsonValues } from '../../../src/bulk/json-values';

async function values(chunks: string[]): Promise<unknown[]> {
  const out: unknown[] = [];
  async function* source() {
    for (const chunk of chunks) yield Buffer.from(chunk);
  }
  for await (const value of jsonValues(source())) out.push(value);
  return out;
}

const records = [
  { Status: 'SUCCEEDED', Output: '{"a":"}]{\\"x"}' },
  { Status: 'FAILED', Input: '[1,2]' },
];

test('a JSON array, cut anywhere, gives its elements one by one', async () => {
  const text = JSON.stringify(records);
  for (let cut = 1; cut < text.length; cut += 7) {
    expect(await values([text.slice(0, cut), text.slice(cut)])).toEqual(records);
  }
});

test('JSON Lines give the same records', async () => {
  expect(await values([`${records.map((r) => JSON.stringify(r)).join('\n')}\n`])).toEqual(records);
});

test('a text cut short is an error, not fewer records', async () => {
  await expect(values([JSON.stringify(records).slice(0, -3)])).rejects.toThrow('ends inside a value');
});
