/**
 * The construct library: `import { LambdaAv } from 'lambda-av'`. Everything a CDK app needs to
 * deploy lambda-av, and the types its props and public members use. The repository's own app
 * (infra/app.ts, LambdaAvStack) and the template for teams without CDK build on it.
 */

// The parts a LambdaAv exposes as its public members.
export { BulkScan, type BulkScanProps } from './bulk-scan';
export { CanaryBucket, type CanaryBucketProps } from './canary-bucket';
export { DefinitionsBucket, type DefinitionsBucketProps } from './definitions-bucket';
export { ExpressScanQueue, type ExpressScanQueueProps } from './express-scan-queue';
export { InfectedActions, type InfectedActionsProps } from './infected-actions';
export {
  OfficialDatabase,
  OnInfected,
  ReloadStrategy,
  TagPreset,
  UnscannablePolicy,
  WorkflowType,
} from './lambda-av-choices';
export { LambdaAv } from './lambda-av-construct';
export type {
  BulkScanOptions,
  LambdaAvProps,
  RescanAfterUpdate,
  RescanTarget,
  ScanBucket,
  StatusValues,
} from './lambda-av-props';
export {
  type BulkScanMonitoring,
  LambdaAvMonitoring,
  type LambdaAvMonitoringProps,
  type ScanQueueMonitoring,
} from './monitoring';
export { OrganizationHub, type OrganizationHubProps } from './organization/hub';
export { LambdaAvMember, type LambdaAvMemberProps } from './organization/member';
export type { MemberBucket, OrganizationProps } from './organization/organization-props';
export { ProcessingErrorThreshold } from './processing-error-threshold';
export type { ScanExclusion, ScanFilter } from './scan-filter';
export { SecretUrl } from './secret-url';
export { SweepRules, type SweepRulesProps } from './sweep';
export type { SweepOptions, SweepSettings } from './sweep-settings';
export { Sweep } from './sweep-settings';
