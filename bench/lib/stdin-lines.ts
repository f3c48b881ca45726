/** The lines a parent process writes to this one's standard input, trimmed, until it closes. */
export async function* stdinLines(): AsyncGenerator<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += (chunk as Buffer).toString('utf8');
    let end = text.indexOf('\n');
    while (end >= 0) {
      yield text.slice(0, end).trim();
      text = text.slice(end + 1);
      end = text.indexOf('\n');
    }
  }
}
