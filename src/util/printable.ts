import { isUtf8 } from 'node:buffer';

/**
 * Text made safe for a terminal line, as `ls` does with its escape quoting style: control
 * characters (C0, DEL, C1), Unicode line and paragraph separators and bidirectional overrides are
 * written as escapes, and so is the backslash itself, so an escape in the output always means
 * one and a name cannot end a line early, move the cursor or pose as another line. Bytes that are
 * not valid UTF-8 (file names on Linux are bytes) are written as `\xNN`. Meant for human output;
 * JSON output escapes by itself.
 */
export function printable(text: string | Uint8Array): string {
  const decoded = typeof text === 'string' ? text : decodeBytes(text);
  return decoded.replace(UNPRINTABLE, escapeCharacter);
}

const NAMED: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\x1b': '\\e',
  '\b': '\\b',
  '\f': '\\f',
  '\v': '\\v',
  '\0': '\\0',
};

// C0 controls, backslash, DEL, C1 controls, U+2028/U+2029, the bidi embeddings, overrides and
// isolates (U+202A-U+202E, U+2066-U+2069), and the private-use marks this module uses for bytes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this module's job
const UNPRINTABLE = /[\x00-\x1f\\\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\udc80-\udcff]/g;

function escapeCharacter(character: string): string {
  const named = NAMED[character];
  if (named !== undefined) return named;
  const code = character.charCodeAt(0);
  // A byte that was not UTF-8, carried through decodeBytes as a lone low surrogate.
  if (code >= 0xdc80 && code <= 0xdcff) return `\\x${(code - 0xdc00).toString(16).padStart(2, '0')}`;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Bytes as text, keeping each byte that is not part of valid UTF-8 as the lone surrogate
 * U+DC80-U+DCFF (the "surrogateescape" of Python), which printable() then writes as `\xNN`.
 */
function decodeBytes(bytes: Uint8Array): string {
  // Most names are valid UTF-8: decoded at once, without a look at each byte.
  if (isUtf8(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let out = '';
  let index = 0;
  while (index < bytes.length) {
    const length = validSequenceLength(bytes, index);
    if (length === 0) {
      out += String.fromCharCode(0xdc00 + (bytes[index] ?? 0));
      index += 1;
    } else {
      out += Buffer.from(bytes.subarray(index, index + length)).toString('utf8');
      index += length;
    }
  }
  return out;
}

/**
 * UTF-8's well-formed sequences (The Unicode Standard, table 3-7): by the range of the first byte,
 * the sequence's length and the range the second byte must fall in (later bytes are 80..BF).
 */
const SEQUENCES: readonly (readonly [
  first: number,
  last: number,
  length: number,
  min: number,
  max: number,
])[] = [
  [0x00, 0x7f, 1, 0, 0],
  [0xc2, 0xdf, 2, 0x80, 0xbf],
  [0xe0, 0xe0, 3, 0xa0, 0xbf],
  [0xe1, 0xec, 3, 0x80, 0xbf],
  [0xed, 0xed, 3, 0x80, 0x9f],
  [0xee, 0xef, 3, 0x80, 0xbf],
  [0xf0, 0xf0, 4, 0x90, 0xbf],
  [0xf1, 0xf3, 4, 0x80, 0xbf],
  [0xf4, 0xf4, 4, 0x80, 0x8f],
];

/** The length of the valid UTF-8 sequence starting at `index`, or 0 when the byte there starts none. */
function validSequenceLength(bytes: Uint8Array, index: number): number {
  const first = bytes[index] ?? 0;
  const rule = SEQUENCES.find(([low, high]) => first >= low && first <= high);
  if (rule === undefined) return 0;
  const [, , length, min, max] = rule;
  if (length === 1) return 1;
  if (index + length > bytes.length) return 0;
  const second = bytes[index + 1] ?? 0;
  if (second < min || second > max) return 0;
  for (let next = 2; next < length; next++) {
    const byte = bytes[index + next] ?? 0;
    if (byte < 0x80 || byte > 0xbf) return 0;
  }
  return length;
}
