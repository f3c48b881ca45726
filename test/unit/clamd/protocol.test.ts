import { parseScanReply } from '../../../src/clamd/protocol';

test('OK is clean', () => {
  expect(parseScanReply('stream: OK')).toEqual({ infected: false });
});

test('FOUND names the signature, including heuristics for content over a limit', () => {
  expect(parseScanReply('stream: Eicar-Test-Signature.UNOFFICIAL FOUND')).toEqual({
    infected: true,
    signature: 'Eicar-Test-Signature.UNOFFICIAL',
  });
  expect(parseScanReply('stream: Heuristics.Limits.Exceeded.MaxScanSize FOUND')).toEqual({
    infected: true,
    signature: 'Heuristics.Limits.Exceeded.MaxScanSize',
  });
});

test.each(['INSTREAM size limit exceeded. ERROR', 'stream: lstat() failed ERROR', '', 'stream:'])(
  'anything else (%j) is an error, never clean',
  (reply) => {
    expect(() => parseScanReply(reply)).toThrow(expect.objectContaining({ name: 'ClamdProtocolError' }));
  },
);
