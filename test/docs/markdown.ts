import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository's root. */
export const ROOT = path.join(__dirname, '..', '..');

export const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** What a reader of the project reads: the README and every page under docs/. */
export const PAGES: readonly string[] = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

/** The text with fenced code blocks blanked out (line count kept), where links and headings are not. */
export function withoutCodeBlocks(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line;
    })
    .join('\n');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every heading's text, in order. */
export function headings(markdown: string): string[] {
  return [...withoutCodeBlocks(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)].map((m) => m[1] ?? '');
}

/** The anchors GitHub gives a page's headings (a repeated heading gets -1, -2, ...), and its `<a name>`s. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const heading of headings(markdown)) {
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  // Explicit anchors, as jsii-docgen writes beside each heading of docs/API.md.
  for (const [, name] of withoutCodeBlocks(markdown).matchAll(/<a name="([^"]+)"/g)) found.add(name ?? '');
  return found;
}

/** Every Markdown link's target outside code blocks and inline code. */
export function links(markdown: string): string[] {
  const text = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, '``');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
}

/** The rows of the first table after `marker` (a heading or any text), as arrays of trimmed cells. */
export function tableAfter(markdown: string, marker: string): string[][] {
  const at = markdown.indexOf(marker);
  if (at < 0) throw new Error(`no ${JSON.stringify(marker)} in the page`);
  const lines = markdown.slice(at).split('\n');
  const start = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

/** The text of a page's section: from its heading to the next heading of the same or a higher level. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^#+\s/.test(line) && line.replace(/^#+\s+/, '') === heading);
  if (start < 0) throw new Error(`no section ${JSON.stringify(heading)}`);
  const level = (lines[start] ?? '').match(/^#+/)?.[0].length ?? 1;
  const end = lines.findIndex(
    (line, i) => i > start && /^#+\s/.test(line) && (line.match(/^#+/)?.[0].length ?? 7) <= level,
  );
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Every `inline code` span's text. */
export function codeSpans(markdown: string): string[] {
  return [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
}

/** The fenced block that follows `marker` (an HTML comment such as `<!-- upload-path -->`). */
export function blockAfter(markdown: string, marker: string): string {
  const at = markdown.indexOf(marker);
  if (at < 0) throw new Error(`no ${marker} in the page`);
  const match = /```[^\n]*\n([\s\S]*?)```/.exec(markdown.slice(at));
  if (!match) throw new Error(`no code block after ${marker}`);
  return match[1] ?? '';
}
