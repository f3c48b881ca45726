import { XMLParser } from 'fast-xml-parser';
import { s3Errors } from './s3-error';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An element: its name, and its text or its children (undefined children are left out). */
export type XmlValue = string | number | boolean | undefined | XmlElement | readonly XmlElement[];
export interface XmlElement {
  readonly [name: string]: XmlValue;
}

/** An S3 answer document: `<Root xmlns="...">children</Root>`. */
export function xmlDocument(root: string, children: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${XMLNS}">${render(children)}</${root}>`;
}

/** An S3 error document (no namespace, as S3 sends it). */
export function xmlError(children: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${render(children)}</Error>`;
}

function render(children: XmlElement): string {
  let out = '';
  for (const [name, value] of Object.entries(children)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value as readonly XmlElement[]) out += `<${name}>${render(item)}</${name}>`;
    } else if (typeof value === 'object') {
      out += `<${name}>${render(value as XmlElement)}</${name}>`;
    } else {
      out += `<${name}>${escapeXml(String(value))}</${name}>`;
    }
  }
  return out;
}

/**
 * Text for an XML element. Besides `& < > " '`, every control character is written as a character
 * reference, as S3 does, so a key holding `\r` or `\n` comes back unchanged through a parser.
 */
export function escapeXml(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped
    /[&<>"'\x00-\x1f\x7f]/g,
    (c) => `&#${c.charCodeAt(0)};`,
  );
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => ['Part', 'Object', 'Tag'].includes(name),
});

/** A request's XML body (CompleteMultipartUpload, Delete, Tagging, ...) as plain objects; MalformedXML otherwise. */
export function parseXmlBody(body: Buffer, root: string): Record<string, unknown> {
  const text = body.toString('utf8');
  // S3's request documents have no DTD: one (and the entities it could declare) is refused unread.
  if (/<!(DOCTYPE|ENTITY)/i.test(text)) throw s3Errors.malformedXml();
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(text, true) as Record<string, unknown>;
  } catch {
    throw s3Errors.malformedXml();
  }
  const element = parsed[root];
  if (typeof element !== 'object' || element === null) throw s3Errors.malformedXml();
  return element as Record<string, unknown>;
}

/** The text of a child element, if it is text. */
export function textOf(element: unknown, name: string): string | undefined {
  if (typeof element !== 'object' || element === null) return undefined;
  const value = (element as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** The children of `name`, always as a list. */
export function listOf(element: unknown, name: string): unknown[] {
  if (typeof element !== 'object' || element === null) return [];
  const value = (element as Record<string, unknown>)[name];
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value : [value];
}
