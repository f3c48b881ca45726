import type { SecretReference, UpdaterConfig } from '../config';
import { SecretUrlError } from '../errors';
import { customDatabaseUrlProblem, isUrlOf } from '../settings';

/** Reads the string a reference names (src/definitions/aws-secret-reader.ts reads it from AWS). */
export interface SecretReader {
  read(reference: SecretReference): Promise<string>;
}

/** The updater's settings with every secret URL in place, and how to keep them out of what it says. */
export interface ResolvedUrls {
  /** `mirrorUrl` and `customDatabaseUrls` as freshclam is to use them. */
  readonly updater: UpdaterConfig;
  /**
   * `text` with every secret URL, and every part of one a tool may print alone (its password,
   * user name, query), replaced: for freshclam's output and anything else the updater logs,
   * throws, returns or stores.
   */
  readonly redact: (text: string) => string;
}

/** Parts shorter than this are not redacted on their own (they would mangle every message). */
const MIN_REDACTED_PART = 4;

/**
 * Reads the URLs of CLAMAV_MIRROR_URL_SECRET and CLAMAV_CUSTOM_DATABASE_URL_SECRETS, checks each
 * as the plain settings are checked (a URL of the setting's protocols, no white space, so no
 * line of its own in freshclam.conf), and returns the settings with them in place. Called at the
 * start of every update run, not once per cold start: a rotated secret is used by the next run,
 * and reading one or two values every few hours costs nothing worth caching. A value is never
 * put in an error message: a SecretUrlError names the secret or parameter only.
 */
export async function resolveSecretUrls(updater: UpdaterConfig, reader: SecretReader): Promise<ResolvedUrls> {
  const secretUrls: string[] = [];
  const resolve = async (reference: SecretReference, database = false): Promise<string> => {
    const url = checkSecretUrl(
      reference,
      urlHeldBy(reference, await readReference(reader, reference)),
      database,
    );
    secretUrls.push(url);
    return url;
  };
  const mirrorUrl = updater.mirrorUrlSecret
    ? (await resolve(updater.mirrorUrlSecret)).replace(/\/+$/, '')
    : updater.mirrorUrl;
  const fromSecrets: string[] = [];
  for (const reference of updater.customDatabaseUrlSecrets) fromSecrets.push(await resolve(reference, true));
  return {
    updater: { ...updater, mirrorUrl, customDatabaseUrls: [...updater.customDatabaseUrls, ...fromSecrets] },
    redact: redactorOf(secretUrls),
  };
}

/** How messages name a reference: the variable and the secret or parameter, which are no secret. */
export function describeReference(reference: SecretReference): string {
  const what = reference.service === 'ssm' ? `SSM parameter ${reference.id}` : `secret ${reference.id}`;
  return `${reference.setting} (${what}${reference.jsonField === undefined ? '' : `, field ${reference.jsonField}`})`;
}

async function readReference(reader: SecretReader, reference: SecretReference): Promise<string> {
  try {
    return await reader.read(reference);
  } catch (error) {
    if (error instanceof SecretUrlError) throw error;
    // The SDK's messages name the resource and the principal, never the value.
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    throw new SecretUrlError(`${describeReference(reference)} could not be read: ${name}: ${message}`, {
      cause: error,
    });
  }
}

/** The whole secret string, or the field of a JSON secret that holds the URL. */
function urlHeldBy(reference: SecretReference, secret: string): string {
  const { jsonField } = reference;
  if (jsonField === undefined) return secret.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    // Not JSON.parse's message: it quotes the text it could not parse.
    throw new SecretUrlError(
      `${describeReference(reference)} is not a JSON object, so it has no field ${jsonField}`,
    );
  }
  const field =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)[jsonField]
      : undefined;
  if (typeof field !== 'string') {
    throw new SecretUrlError(`${describeReference(reference)} has no string field ${jsonField}`);
  }
  return field.trim();
}

/** `database`: a custom database's URL, which freshclam names the database after. */
function checkSecretUrl(reference: SecretReference, value: string, database: boolean): string {
  if (!isUrlOf(value, reference.protocols)) {
    throw new SecretUrlError(
      `${describeReference(reference)} must hold a ${reference.protocols.join(' or ')} URL without white space; its value is not shown`,
    );
  }
  const problem = database ? customDatabaseUrlProblem(value) : undefined;
  if (problem) {
    throw new SecretUrlError(`${describeReference(reference)} ${problem}; its value is not shown`);
  }
  return value;
}

/** Each secret URL as given and as WHATWG normalises it, and its parts that tools print alone. */
function redactorOf(urls: readonly string[]): (text: string) => string {
  const replacements = new Map<string, string>();
  for (const value of urls) {
    const url = new URL(value);
    const parts = [url.username, url.password, url.search.slice(1), url.hash.slice(1)];
    for (const part of parts.flatMap((p) => [p, safeDecode(p)])) {
      if (part.length >= MIN_REDACTED_PART) replacements.set(part, '<redacted>');
    }
    for (const whole of [value, value.replace(/\/+$/, ''), url.href]) replacements.set(whole, '<secret URL>');
  }
  // Longest first: a whole URL is replaced before the parts inside it.
  const ordered = [...replacements].sort(([a], [b]) => b.length - a.length);
  return (text) => ordered.reduce((result, [secret, mark]) => result.split(secret).join(mark), text);
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
