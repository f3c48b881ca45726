/**
 * The client API for upload workflows, `import { ... } from 'lambda-av/client'`: start a scan
 * execution and wait for it, scan through the workflow whichever its type, or invoke the scanner
 * directly. Each function takes the caller's SFNClient or LambdaClient (docs/lambda-contract.md).
 */
export type { ObjectRef, ScanResult, Verdict } from '../scan/contract';
export { MAX_EXECUTION_NAME, scanExecutionName } from './execution-name';
export {
  ScanExecutionError,
  ScannerFunctionError,
  type StartedScan,
  scanDirect,
  scanSync,
  scanThroughWorkflow,
  startScan,
  waitForScan,
} from './scan-client';
