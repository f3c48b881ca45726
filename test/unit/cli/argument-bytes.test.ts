import { argumentBytes } from '../../../src/cli/argument-bytes';

const cmdline = (...parts: Buffer[]) => Buffer.concat(parts.flatMap((part) => [part, Buffer.from([0])]));
const latin = (text: string) => Buffer.from(text, 'latin1');

test('an argument Node could not decode gets the bytes the kernel holds for it', () => {
  const name = latin('D/bad\xff\xfeutf8.com');
  const args = ['scan', name.toString('utf8')];

  const bytes = argumentBytes(args, cmdline(latin('node'), latin('/bin/lambda-av.js'), latin('scan'), name));

  expect(args[1]).toContain('\ufffd');
  expect(bytes).toEqual([Buffer.from('scan'), name]);
});

test('arguments that decoded cleanly are their text, and without the kernel view every one is', () => {
  const args = ['scan', 'caf\u00e9', 'x\ufffd'];

  expect(
    argumentBytes(args, cmdline(latin('node'), latin('b.js'), ...args.map((a) => Buffer.from(a)))),
  ).toEqual(args.map((arg) => Buffer.from(arg)));
  expect(argumentBytes(args, undefined)).toEqual(args.map((arg) => Buffer.from(arg)));
});

test('kernel bytes that do not decode to the argument (a changed process title) are not used', () => {
  const args = ['scan', latin('a\xff').toString('utf8')];

  expect(argumentBytes(args, cmdline(latin('lambda-av scan'), latin('other\xff')))).toEqual([
    Buffer.from('scan'),
    Buffer.from(args[1] as string),
  ]);
});
