import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  anchors,
  codeSpans,
  headings,
  links,
  PAGES,
  ROOT,
  read,
  tableAfter,
  withoutCodeBlocks,
} from './markdown';

const exists = (file: string) => existsSync(path.join(ROOT, file));

test('the README stays a five-minute read: at most 250 lines', () => {
  expect(read('README.md').split('\n').length).toBeLessThanOrEqual(250);
});

describe.each(PAGES)('%s', (page) => {
  const text = read(page);
  const dir = path.posix.dirname(page);

  test('every relative link points at a file that exists, and every anchor at a heading of it', () => {
    const broken: string[] = [];
    for (const target of links(text)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [file = '', anchor] = target.split('#');
      const resolved = file === '' ? page : path.posix.normalize(path.posix.join(dir, file));
      if (!exists(resolved)) {
        broken.push(`${target}: no file ${resolved}`);
        continue;
      }
      if (anchor !== undefined && !anchors(read(resolved)).has(anchor)) {
        broken.push(`${target}: no heading #${anchor} in ${resolved}`);
      }
    }
    expect(broken).toEqual([]);
  });

  test('every path of the repository it names in code (src/, infra/, test/, ...) exists', () => {
    const named = codeSpans(withoutCodeBlocks(text))
      .flatMap((span) => span.split(/[\s,()]+/))
      .filter((word) => /^(src|infra|statemachine|test|bench|scripts|bin|docs)\/[\w./-]*$/.test(word))
      .map((word) => word.replace(/[.:]$/, ''));
    expect(named.filter((file) => !exists(file))).toEqual([]);
  });
});

test('the README links to every page under docs/', () => {
  const linked = new Set(links(read('README.md')));
  const pages = PAGES.filter((page) => page.startsWith('docs/'));
  expect(pages.filter((page) => !linked.has(page))).toEqual([]);
});

/** Every .ts file under `dir`, recursively. */
function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir)).flatMap((name) => {
    const file = `${dir}/${name}`;
    if (statSync(path.join(ROOT, file)).isDirectory()) return sources(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

test('where the code and its messages send a reader (docs/X.md, "Heading"), the page and the heading exist', () => {
  const references = [...sources('src'), ...sources('infra')].flatMap((file) =>
    [
      ...readFileSync(path.join(ROOT, file), 'utf8').matchAll(
        // docs/X.md, or (README: another project's README is named without a parenthesis.
        /(?:\b(docs\/[\w-]+\.md)|\((README))\b(?:,? \(?"([^"\n]+)")?/g,
      ),
    ].map((m) => ({ file, page: m[2] ? 'README.md' : (m[1] ?? ''), heading: m[3] })),
  );
  expect(references.length).toBeGreaterThan(5);

  const broken = references.filter(({ page, heading }) => {
    if (!exists(page)) return true;
    if (heading === undefined) return false;
    // A reference may name the start of a heading ("Bulk scans" for "Bulk scans and rescans ...").
    return !headings(read(page)).some((h) => h.toLowerCase().startsWith(heading.toLowerCase()));
  });
  expect(broken).toEqual([]);
});

describe("docs/development.md's table of where the code is", () => {
  const rows = tableAfter(read('docs/development.md'), '## Where the code is');
  const folders = rows
    .map((row) => codeSpans(row[0] ?? '')[0] ?? '')
    .filter((f) => /^src\/\w[\w-]*\/$/.test(f));

  test('names every folder of src/', () => {
    const actual = readdirSync(path.join(ROOT, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `src/${entry.name}/`);
    expect(folders.sort()).toEqual(actual.sort());
  });

  test('every file it names in a folder is in that folder', () => {
    const missing = rows.flatMap(([folder = '', what = '']) => {
      const dir = codeSpans(folder)[0] ?? '';
      if (!/^src\/(\w[\w-]*\/)?$/.test(dir) && dir !== 'src/') return [];
      const base = dir === 'src/' ? 'src' : dir.replace(/\/$/, '');
      return codeSpans(what)
        .filter((span) => /^[\w-]+\.ts$/.test(span))
        .map((file) => `${base}/${file}`)
        .filter((file) => !exists(file));
    });
    expect(missing).toEqual([]);
  });
});
