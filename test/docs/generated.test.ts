import { readFileSync } from 'node:fs';
import { CONFIGURATION_PAGE, configurationPage } from '../../scripts/docs-config';
import { retryRows, WORKFLOWS_PAGE, withRetryTable } from '../../scripts/docs-retries';
import { SETTINGS } from '../../src/settings';

// The generated parts of the docs are what their generators write now: after a change to
// src/settings.ts or statemachine/*.asl.json, `npm run docs` brings them up to date.

test('docs/configuration.md is what src/settings.ts gives (npm run docs)', () => {
  expect(readFileSync(CONFIGURATION_PAGE, 'utf8')).toBe(configurationPage());
});

test('docs/configuration.md has a row for every variable of the registry', () => {
  const page = configurationPage();
  for (const name of Object.keys(SETTINGS)) expect(page).toContain(`| \`${name}\` |`);
});

test("docs/workflows.md's retry table is what the ASL files give (npm run docs)", () => {
  const page = readFileSync(WORKFLOWS_PAGE, 'utf8');
  expect(page).toBe(withRetryTable(page));
});

test('the retry table has a row for every retrier of every state machine, nested states included', () => {
  const rows = retryRows();
  const machines = new Set(rows.map((row) => row.machine));
  expect([...machines].sort()).toEqual([
    'act-on-infected.asl.json',
    'bulk-scan.asl.json',
    'scan-express.asl.json',
    'scan.asl.json',
    'update-definitions.asl.json',
  ]);
  // A state nested in a Map (the bulk scan's child workflow) is found.
  expect(rows.some((row) => row.states.includes('ScanBatch'))).toBe(true);
});
