/** Lambda entry points: `index.scanFileHandler`, `index.updateDefinitionsHandler` and `index.actOnInfectedHandler`. */

export { actOnInfectedHandler } from './handlers/act-on-infected';
export { scanFileHandler } from './handlers/scan-file';
export { updateDefinitionsHandler } from './handlers/update-definitions';
