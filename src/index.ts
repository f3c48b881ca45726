/** Lambda entry points: `index.scanFileHandler` and `index.updateDefinitionsHandler`. */
export { scanFileHandler } from './handlers/scan-file';
export { updateDefinitionsHandler } from './handlers/update-definitions';
