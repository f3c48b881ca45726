import childProcess from 'node:child_process';

test('the fast tier refuses to start ClamAV, a browser or a stand-in in another language, whatever the call', () => {
  expect(() => childProcess.spawn('/usr/sbin/clamd', ['--version'])).toThrow(/fast tier does not run clamd/);
  expect(() => childProcess.execFileSync('clamscan', ['--version'])).toThrow(
    /fast tier does not run clamscan/,
  );
  expect(() => childProcess.execSync('chromium --headless')).toThrow(/fast tier does not run chromium/);
  expect(() => childProcess.spawnSync('python3', ['-V'])).toThrow(/fast tier does not run python3/);
});

test('other programs run as usual in the fast tier', () => {
  expect(childProcess.execFileSync('unzip', ['-v']).toString('utf8')).toContain('UnZip');
});
