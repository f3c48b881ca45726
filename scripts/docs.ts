/**
 * Writes the generated parts of the docs: docs/configuration.md from the settings registry, and
 * the retry table of docs/workflows.md from the ASL files. Usage: npm run docs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIGURATION_PAGE, configurationPage } from './docs-config';
import { WORKFLOWS_PAGE, withRetryTable } from './docs-retries';

writeFileSync(CONFIGURATION_PAGE, configurationPage());
writeFileSync(WORKFLOWS_PAGE, withRetryTable(readFileSync(WORKFLOWS_PAGE, 'utf8')));
