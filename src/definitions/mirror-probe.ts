import type { UpdaterConfig } from '../config';

export interface MirrorRefusal {
  /** When the mirror said to come back (Retry-After), if it said. */
  readonly until: Date | undefined;
  readonly reason: string;
}

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Asks the private mirror (CLAMAV_MIRROR_URL) for what freshclam asks first, the header of an
 * official database (`GET /daily.cvd`, the first 512 bytes), and says whether it refused us with
 * HTTP 429 or 403. freshclam 1.4 reports such an answer from a PrivateMirror only as
 * "Malformed CVD header (too short)" and fails, so its output cannot tell a refusal from a
 * broken mirror; the mirror's own answer can. Undefined when the mirror did not refuse (or there
 * is no private mirror or official database to ask about).
 */
export async function probeMirror(settings: UpdaterConfig, now: Date): Promise<MirrorRefusal | undefined> {
  const database = settings.officialDatabases.includes('daily') ? 'daily' : settings.officialDatabases[0];
  if (!settings.mirrorUrl || database === undefined) return undefined;
  const url = `${settings.mirrorUrl}/${database}.cvd`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Range: 'bytes=0-511' },
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await response.body?.cancel();
  } catch {
    return undefined; // unreachable: a failure, not a refusal
  }
  if (response.status !== 429 && response.status !== 403) return undefined;
  return {
    until: retryAfter(response.headers.get('retry-after'), now),
    reason: `the mirror ${settings.mirrorUrl} answered HTTP ${response.status} to ${database}.cvd (freshclam reports this as a malformed CVD header)`,
  };
}

/** Retry-After as seconds or as an HTTP date. */
function retryAfter(value: string | null, now: Date): Date | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return new Date(now.getTime() + Number(value.trim()) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : new Date(date);
}
