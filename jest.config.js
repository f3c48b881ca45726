/**
 * Two tiers (docs/development.md, "Tests"):
 * - fast (`npm test`): pure code, templates synthesized with a stand-in for lambda.zip, the docs;
 *   no ClamAV, no root, no browser, no local AWS stand-ins. Run it after every change.
 * - integration (`npm run test:integration`): everything on the real parts: clamd, freshclam,
 *   lambda-av's S3 endpoint and moto, the ASL on the local runner, the command, lambda.zip, the serve page in
 *   Chromium, the robustness suite and the quick benchmarks.
 * `npx jest` (scripts/test.sh, CI) runs both.
 */
const FAST = ['unit', 'infra', 'docs', 'bench'];
const INTEGRATION = ['integration', 'robustness', 'build', 'setup', 'package'];

/** @type {(name: string, dirs: string[], guards?: string[]) => import('jest').Config} */
const tier = (name, dirs, guards = []) => ({
  displayName: name,
  testEnvironment: 'node',
  roots: dirs.map((dir) => `<rootDir>/test/${dir}`),
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  setupFilesAfterEnv: guards,
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    // The guard makes the fast tier's promise a check: starting ClamAV, a browser and the like fails there.
    tier('fast', FAST, ['<rootDir>/test/support/fast-tier-guard.ts']),
    tier('integration', INTEGRATION),
  ],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  testTimeout: 60000,
  maxWorkers: 2,
};
