import { TagPreset } from '../../infra';
import { GUARDDUTY_TAG_PRESET } from '../../infra/tag-settings';
import { buildLambdaAv, logicalId } from '../infra/support';
import { harnessPerTest, UPLOADS_BUCKET } from '../support/harness';
import { encryptPdf, minimalPdf } from '../support/pdf';
import { EICAR } from '../support/signatures';

const harness = harnessPerTest();
const KEY = GUARDDUTY_TAG_PRESET.statusTagKey;

/** The scanner's environment as the stack sets it with `tagPreset: TagPreset.GUARDDUTY`. */
function presetEnvironment(): Record<string, string> {
  const built = buildLambdaAv(() => ({ tagPreset: TagPreset.GUARDDUTY }));
  const variables = built.template.findResources('AWS::Lambda::Function')[
    logicalId(built.stack, built.av.scanner)
  ]?.Properties.Environment.Variables as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(variables).filter(
      (entry): entry is [string, string] =>
        typeof entry[1] === 'string' && /^(FILE_STATUS_|METADATA_FILE_)/.test(entry[0]),
    ),
  );
}

test("with the stack's GuardDuty preset, objects carry GuardDutyMalwareScanStatus with GuardDuty's values", async () => {
  const h = await harness({ env: { ...presetEnvironment(), MAX_FILE_SIZE: '65536' } });
  const objects: Array<[string, string | Buffer, string]> = [
    ['clean.txt', 'quarterly figures', 'NO_THREATS_FOUND'],
    ['eicar.com', EICAR, 'THREATS_FOUND'],
    ['payslip.pdf', encryptPdf(minimalPdf(), { user: 'u', owner: 'o' }), 'UNSUPPORTED'],
    ['big.bin', Buffer.alloc(70_000), 'UNSUPPORTED'],
  ];
  for (const [key, body] of objects) await h.s3.put(UPLOADS_BUCKET, key, body, { owner: 'team-a' });

  const results = [];
  for (const [key] of objects) results.push(await h.handler({ bucket: UPLOADS_BUCKET, key }));
  const missing = await h.handler({ bucket: UPLOADS_BUCKET, key: 'gone.txt' });

  for (const [key, , value] of objects) {
    expect(await h.tags(key)).toEqual({ owner: 'team-a', [KEY]: value, 'av-timestamp': expect.any(String) });
  }
  expect(missing).toMatchObject({ status: 'FAILED', error: 'ObjectNotFoundError' });
  // Two verdicts share UNSUPPORTED; the results still tell them apart.
  expect(results[2]).toMatchObject({ status: 'UNSUPPORTED', unscannable: true, reason: 'encrypted' });
  expect(results[3]).toMatchObject({ status: 'UNSUPPORTED', size: 70_000 });
  expect(results[3]).not.toHaveProperty('unscannable');
  expect(h.metrics.scans.map((s) => s.verdict)).toEqual([
    'CLEAN',
    'INFECTED',
    'UNSCANNABLE',
    'SKIPPED',
    'PROCESSING_ERROR',
  ]);
});
