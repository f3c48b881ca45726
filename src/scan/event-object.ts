/**
 * The keys an event key may stand for: as written, and form-decoded (`+` a space, `%XX` a byte)
 * when that is valid and different.
 */
export function candidateKeys(eventKey: string): string[] {
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(eventKey.replace(/\+/g, ' '));
  } catch {
    decoded = undefined; // `100%.txt` is not valid encoding: it can only be the key itself
  }
  return decoded === undefined || decoded === eventKey ? [eventKey] : [eventKey, decoded];
}
