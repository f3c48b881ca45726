/**
 * The top-level JSON values of a text that arrives in chunks, one at a time: the elements of a
 * JSON array (`[{...}, {...}]`) or the lines of JSON Lines (`{...}\n{...}`), whichever the text
 * is. A ResultWriter file can be far larger than a Lambda's memory should hold at once; each
 * value is parsed on its own. Values are objects or arrays (the records of a report).
 */
export async function* jsonValues(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  /** A top-level `[` opened the whole text: its elements are the values. */
  let wrapped = false;
  let seenValue = false;
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    const base = pending.length;
    pending += text;
    for (let i = base; i < pending.length; i++) {
      const c = pending[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') {
        if (depth === 0) throw new SyntaxError('a report holds objects, not bare strings');
        inString = true;
      } else if (c === '{' || c === '[') {
        if (depth === 0 && c === '[' && !wrapped && !seenValue) {
          wrapped = true;
          continue;
        }
        if (depth === 0) start = i;
        depth++;
      } else if (c === '}' || c === ']') {
        if (depth === 0) {
          if (c === ']' && wrapped) {
            wrapped = false;
            continue;
          }
          throw new SyntaxError(`unexpected ${c} in a report`);
        }
        depth--;
        if (depth === 0) {
          seenValue = true;
          yield JSON.parse(pending.slice(start, i + 1));
          pending = pending.slice(i + 1);
          i = -1;
          start = -1;
        }
      } else if (depth === 0 && !/[\s,]/.test(c as string)) {
        throw new SyntaxError(`unexpected ${JSON.stringify(c)} between the values of a report`);
      }
    }
    if (depth === 0) pending = '';
  }
  if (depth !== 0 || inString) throw new SyntaxError('the report ends inside a value');
}
