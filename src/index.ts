/** Lambda entry points: `index.scanFileHandler` and (with the updater) `index.updateDefinitionsHandler`. */
export { scanFileHandler } from './handlers/scan-file';
