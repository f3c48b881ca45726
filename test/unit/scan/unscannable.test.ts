import { POLICY_SIGNATURES } from '../../../src/definitions/policy';
import { describeUnscannable, unscannableFinding } from '../../../src/scan/unscannable';

test.each([
  ['Heuristics.Encrypted.Zip', { reason: 'encrypted' }],
  ['Heuristics.Encrypted.PDF', { reason: 'encrypted' }],
  ['Heuristics.Encrypted.RAR', { reason: 'encrypted' }],
  ['Heuristics.Encrypted.7Zip', { reason: 'encrypted' }],
  ['Heuristics.Limits.Exceeded.MaxFiles', { reason: 'limits-exceeded', limit: 'MaxFiles' }],
  ['Heuristics.Limits.Exceeded.MaxScanSize', { reason: 'limits-exceeded', limit: 'MaxScanSize' }],
  ['Heuristics.Limits.Exceeded.MaxRecursion', { reason: 'limits-exceeded', limit: 'MaxRecursion' }],
  ['Heuristics.Limits.Exceeded.MaxScanTime', { reason: 'limits-exceeded', limit: 'MaxScanTime' }],
  [
    'Heuristics.Limits.Exceeded.EmailMIMEPartsPerMessage',
    { reason: 'limits-exceeded', limit: 'EmailMIMEPartsPerMessage' },
  ],
  ['Heuristics.XZ.DicSizeLimit', { reason: 'limits-exceeded', limit: 'XZ.DicSizeLimit' }],
  ['LambdaAV.Unscannable.Zip64LocalHeader.UNOFFICIAL', { reason: 'unsupported-format' }],
])('clamd naming %s says the object was not scanned completely', (signature, expected) => {
  expect(unscannableFinding(signature)).toEqual(expected);
});

test.each([
  'Eicar-Test-Signature.UNOFFICIAL',
  'Win.Test.EICAR_HDB-1',
  // Other heuristics of libclamav are findings about the content, not a failure to read it.
  'Heuristics.Phishing.Email.SpoofedDomain',
  'Heuristics.W32.Kriz',
  'Heuristics.Exploit.W32.MS04-028',
  'Heuristics.Zip.OverlappingFiles',
  'Heuristics.OLE2.ContainsMacros.VBA',
  'Heuristics.Broken.Executable',
  // A database signature carries .UNOFFICIAL: it cannot pass itself off as the engine's heuristic.
  'Heuristics.Encrypted.Zip.UNOFFICIAL',
  'Heuristics.Limits.Exceeded.MaxFiles.UNOFFICIAL',
  'LambdaAV.Unscannable.',
])('clamd naming %s found something: it stays INFECTED', (signature) => {
  expect(unscannableFinding(signature)).toBeUndefined();
});

test('every policy signature is named as unscannable content', () => {
  for (const line of POLICY_SIGNATURES) {
    const name = line.split(':')[0] as string;
    expect(unscannableFinding(`${name}.UNOFFICIAL`)).toEqual({ reason: 'unsupported-format' });
  }
});

test('the reason in words, with the limit when there is one', () => {
  expect(describeUnscannable({ reason: 'limits-exceeded', limit: 'MaxFiles' })).toBe(
    'limit MaxFiles exceeded',
  );
  expect(describeUnscannable({ reason: 'encrypted' })).toBe('encrypted');
  expect(describeUnscannable({ reason: 'unsupported-format' })).toBe('unsupported format');
});
