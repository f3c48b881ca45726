export { UsageError } from '../errors';

import { SETTINGS } from '../settings';

export const EXIT_CLEAN = 0;
export const EXIT_INFECTED = 1;
export const EXIT_ERROR = 2;
/** Stopped by Ctrl-C, as shells report a command ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;

export const MAIN_HELP = `lambda-av: scan files with ClamAV through the lambda-av-daemon workflow

Usage:
  lambda-av scan [options] PATH...          scan files and directories on this machine
  lambda-av scan --workflow PATH...         the same through the local S3 + state machine workflow
  lambda-av scan --remote s3://BUCKET/KEY   scan S3 objects with the deployed state machine
  lambda-av scan --direct s3://BUCKET/KEY   scan S3 objects by invoking the deployed scanner
  lambda-av serve [options]                 run the whole stack locally for your application
  lambda-av update                          fetch definitions for local scans into the cache
  lambda-av history                         list recent scan executions and their verdicts
  lambda-av definitions publish DIR         publish database files to a deployed stack's scanners
  lambda-av status                          a deployed stack's health: definitions, canary, scans, alarms
  lambda-av redrive                         start the scans of upload events EventBridge could not deliver
  lambda-av scan-bucket s3://BUCKET/PREFIX  scan or rescan a whole bucket with the bulk scan workflow
  lambda-av template --out DIR              CloudFormation templates and assets for deploying without CDK
  lambda-av help [COMMAND]                  show help

Exit codes (as clamscan's): 0 all clean, 1 something infected, 2 an error or a file not scanned
completely (over the size limit, or UNSCANNABLE: encrypted, over a clamd limit).
Run 'lambda-av help scan' for the options of a command.`;

export const SCAN_HELP = `Usage: lambda-av scan [options] PATH...
       lambda-av scan --workflow [options] PATH...
       lambda-av scan --remote|--direct [options] s3://BUCKET/KEY...

Local scans (the default) start clamd with the scanner Lambda's settings and limits, its policy
signatures and verdict rules, and stream each file straight into it, several at once. Directories
are scanned recursively as they are walked; symbolic links are followed only when given as PATH.
A PATH that is missing or not a file, and a directory that cannot be read, get an error line and
the rest is scanned. Each result is printed as it comes, then a summary. Names are printed with
control characters escaped (\\n, \\e, ...) and bytes that are not UTF-8 as \\xNN; in --json such a
name also has "pathBase64", its exact bytes. Ctrl-C, or a reader that goes away (| head), stops
clamd and removes every temporary file before the command ends.

With --workflow, an embedded stack starts on 127.0.0.1 instead (an S3-compatible server, the
scanner Lambda's handler with a real clamd, the scan state machine executed locally) and each file
is uploaded and scanned by the same workflow as in AWS: slower, the same verdicts.

Options:
  --definitions DIR     ClamAV database files to scan with (.cvd, .cld, .ndb, .hdb, ...)
  --test-signatures     use generated test signatures (EICAR and ClamAV's test files): they
                        detect test files only
  --concurrency N       files scanned at once (default 16; 4 with --workflow, --remote, --direct)
  --json                print one JSON document: {"results": [...], "summary": {...}}
  --workflow            scan through the local S3 server and scan state machine
  --remote              scan s3:// objects with the deployed scan state machine and wait
  --state-machine ARN   its ARN (default: $LAMBDA_AV_STATE_MACHINE_ARN)
  --direct              scan s3:// objects by invoking the deployed scanner Lambda (fast path)
  --function NAME       its name or ARN (default: $LAMBDA_AV_FUNCTION_NAME)
  -h, --help            show this help

Each file gets one line: CLEAN, INFECTED with the signature, UNSCANNABLE with clamd's heuristic
and why it could not be scanned completely (encrypted, a limit exceeded, an unsupported format),
SKIPPED (over MAX_FILE_SIZE) or PROCESSING_ERROR with the error; then a summary counting each.
Exit codes: 0 all clean; 1 something infected; 2 an error, a PATH or directory not scanned, a file
skipped or unscannable; 130 after Ctrl-C; 141 when the output's reader went away (clamscan
exits 1 for what it reports as Heuristics.Encrypted.* or Heuristics.Limits.Exceeded.*: no virus
was found there, the file could not be judged). UNSCANNABLE_POLICY=block-as-infected reports
unscannable files as INFECTED instead (exit 1), as before the UNSCANNABLE verdict existed.

Definitions for local scans, in this order: --definitions DIR; the system's ClamAV database
directory ($CLAMAV_SYSTEM_DATABASE_DIR, default /var/lib/clamav) when it holds databases; the
cache filled by 'lambda-av update' ($LAMBDA_AV_CACHE_DIR, default ~/.cache/lambda-av).
clamd's work area (its socket and the copy it makes of each stream) goes to $LAMBDA_AV_TMPDIR,
else /dev/shm when it has room, else the system's temporary directory.
Remote and direct scans use the AWS SDK's usual configuration (credentials, region, and
endpoints such as AWS_ENDPOINT_URL_SFN or AWS_ENDPOINT_URL_LAMBDA).`;

export const UPDATE_HELP = `Usage: lambda-av update [--json]

Fetches ClamAV definitions with freshclam, verifies that they load, and keeps them in the cache
($LAMBDA_AV_CACHE_DIR, default ~/.cache/lambda-av) for local scans. It runs the updater Lambda's
own code. Mirror settings come from the environment, as for the updater Lambda:
  CLAMAV_MIRROR_URL             a private mirror (http(s)://host[:port]) instead of ClamAV's
  CLAMAV_CUSTOM_DATABASE_URLS   extra databases, comma-separated URLs
  CLAMAV_OFFICIAL_DATABASES     official databases to fetch (default ${SETTINGS.CLAMAV_OFFICIAL_DATABASES.default})

Options:
  --json       print the update result as JSON
  -h, --help   show this help`;

export const REDRIVE_HELP = `Usage: lambda-av redrive [--stack NAME] [--json]

Starts the scans of the upload events EventBridge could not deliver to the scan workflow for a
day, which the upload rules keep in their dead-letter queue (UploadEventsDeadLettersAlarm). Each
S3 "Object Created" event starts a scan execution named after its message (a Standard stack), or
goes back to the scan queue (an Express stack); its message is deleted once the scan is started.
Messages that are not upload events, and starts that fail, stay in the queue and are listed.

Options:
  --stack NAME               the CloudFormation stack (its outputs name the queues and the machine)
  --dead-letter-queue URL    or: the UploadDeadLetterQueueUrl output
  --state-machine ARN        with it: the scan state machine (Standard)
  --scan-queue URL           or: the ScanQueueUrl output (Express)
  --json                     print JSON
  -h, --help                 show this help

Exit codes: 0 the queue is empty, 1 messages were left in it, 2 an error. AWS credentials, region
and endpoints come from the SDK's usual settings (AWS_ENDPOINT_URL_SQS, ... work too).`;

export const HISTORY_HELP = `Usage: lambda-av history [--state-machine ARN] [--max N] [--json]

Lists the most recent executions of the deployed scan state machine with their verdicts.

Options:
  --state-machine ARN   the scan state machine (default: $LAMBDA_AV_STATE_MACHINE_ARN)
  --max N               how many executions (default 20, at most 100)
  --json                print JSON
  -h, --help            show this help`;

export const SERVE_HELP = `Usage: lambda-av serve [options]

Runs the embedded stack in the foreground until Ctrl-C, on 127.0.0.1 only:
  - an S3 endpoint; an upload to a scanned bucket starts the scan state machine with the
    EventBridge "Object Created" event AWS would send, and the object is tagged
  - the Step Functions endpoint: the scan, update-definitions and bulk-scan state machines (ASL files of
    statemachine/ executed locally): StartExecution, DescribeExecution, StopExecution,
    ListExecutions, GetExecutionHistory, ListStateMachines, DescribeStateMachine, ListMapRuns,
    DescribeMapRun (lambda-av scan-bucket works against it)
  - the Lambda endpoint: the scanner (a real clamd, kept warm) and the updater (Invoke)
  - a CloudWatch endpoint (PutMetricData, GetMetricData) for the update workflow's canary
  - a scan history page: every execution (100 a page), verdicts and state histories
It prints the environment an application needs (endpoints, credentials, ARNs), so AWS SDK code,
the AWS CLI and lambda-av's client (startScan, waitForScan, scanDirect) work against it unchanged.
Every request must be signed (SigV4) with the printed credentials; requests from web pages
(Origin, Sec-Fetch-Site, CORS preflights, foreign Host names) are refused on every endpoint.

Options:
  --port N              history page on N, S3 on N+1, Step Functions on N+2, Lambda on N+3,
                        CloudWatch on N+4 (default 9600; 0: free ports)
  --bucket NAME         a bucket whose uploads are scanned (repeatable; default uploads)
  --data-dir DIR        keep objects, tags, published definitions, the execution history and the
                        credentials in DIR across restarts (default: a temporary directory,
                        removed on exit); one serve at a time per DIR
  --definitions DIR     publish these ClamAV database files for the scanner
  --test-signatures     publish generated test signatures (they detect test files only)
  --write-env FILE      also write the environment to FILE (NAME=value lines)
  -h, --help            show this help

Without --definitions or --test-signatures the scanner keeps the definitions published in the data
directory (by an earlier start or by the update workflow); on a first start it takes them as
'lambda-av scan' does. The update workflow runs on demand, with the updater's settings from the
environment (CLAMAV_MIRROR_URL, CLAMAV_CUSTOM_DATABASE_URLS, CLAMAV_OFFICIAL_DATABASES):
  aws stepfunctions start-execution --endpoint-url $AWS_ENDPOINT_URL_SFN \\
    --state-machine-arn $LAMBDA_AV_UPDATE_STATE_MACHINE_ARN`;

export const DEFINITIONS_HELP = `Usage: lambda-av definitions publish DIR [options]

Publishes the ClamAV database files in DIR (main.cvd, daily.cld, bytecode.cvd, *.ndb, ...) to a
deployed stack's scanners: for a first deployment whose updater cannot reach ClamAV's mirror,
with files copied from a machine where freshclam works. The files are staged under
lambda-av-import/ in the definitions bucket; the updater then checks that the set loads in
ClamAV, publishes it (each file replacing the published file of the same database) and removes
the staged copy. A set that does not load publishes nothing.

Options:
  --bucket NAME         the definitions bucket (default: $CLAMAV_BUCKET_NAME)
  --prefix PREFIX       the definitions prefix (default: $PATH_TO_AV_DEFINITIONS)
  --state-machine ARN   the update state machine, which runs the import and keeps its history
                        (default: $LAMBDA_AV_UPDATE_STATE_MACHINE_ARN)
  --function NAME       or invoke the updater Lambda directly (default: $LAMBDA_AV_UPDATER_FUNCTION_NAME)
  --json                print the updater's result as JSON
  -h, --help            show this help

The stack's outputs name each value (DefinitionsBucketName, DefinitionsPrefix,
UpdateStateMachineArn). AWS credentials, region and endpoints come from the SDK's usual settings.`;

export const STATUS_HELP = `Usage: lambda-av status [--stack NAME] [--account ID] [--json]

Shows a deployed stack's health on one screen: the published definitions (version and age), the
last canary (when, detected or not, its slowest scan), the scans of the last hour and the last day
by account and verdict with p50 and p99 latency, and the alarms in ALARM. Every line names its
account: the definitions, the canary and the alarms are those of the account the credentials act
in (STS GetCallerIdentity; on an organization hub, the hub); the scans are broken down by the
account owning the objects, as a hub's metrics name it, with every account's totals after them. It
reads CloudWatch (GetMetricData, ListMetrics, DescribeAlarms), the published definitions as the
scanners find them (the updater's manifest.json, or else the database files at the prefix, as
'lambda-av serve' publishes them), and the stack's outputs.

Options:
  --stack NAME          the CloudFormation stack (its outputs name the bucket, prefix and alarms)
  --bucket NAME         or: the definitions bucket (default: $CLAMAV_BUCKET_NAME)
  --prefix PREFIX       the definitions prefix (default: $PATH_TO_AV_DEFINITIONS)
  --alarm-prefix TEXT   the stack's AlarmNamePrefix output (default: $LAMBDA_AV_ALARM_PREFIX)
  --account ID          the scans of this account only (a 12-digit account id)
  --json                print JSON
  -h, --help            show this help

Exit codes: 0 all is well, 1 something needs a look (an alarm in ALARM, the last canary not
detected, no definitions published), 2 an error. AWS credentials, region and endpoints come from
the SDK's usual settings (AWS_ENDPOINT_URL_CLOUDWATCH, AWS_ENDPOINT_URL_STS, ... work too).`;

export const SCAN_BUCKET_HELP = `Usage: lambda-av scan-bucket s3://BUCKET[/PREFIX] [options]

Starts the bulk scan state machine on a bucket (or a prefix of it): a Distributed Map hands the
scanner batches of objects, each object scanned, skipped over the size limit and tagged exactly
as the scan state machine does. The deployed stack's machine ($LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN,
the stack output BulkScanStateMachineArn), or the embedded stack's through AWS_ENDPOINT_URL_SFN.

Options:
  --mode MODE             unscanned (default): objects without a status tag; stale: also objects
                          scanned before the published definitions (and PROCESSING_ERROR ones);
                          all: every object
  --modified-after WHEN   only objects modified after an ISO 8601 time or within a window (P30D, PT12H)
  --modified-before WHEN  only objects modified before an ISO 8601 time or a window ago (PT78M: what
                          the scheduled sweep leaves to uploads still being scanned)
  --batch-size N          objects per scanner invocation (default: the stack's, 100)
  --max-concurrency N     batches at once (capped by the stack's limit, which leaves upload scans room)
  --manifest s3://B/KEY   read the objects from an S3 Inventory's manifest.json instead of listing
  --account ID            the bucket belongs to this member account of the hub's organization: it is
                          listed, read and tagged through the account's member role
  --wait                  follow the Map Run (DescribeMapRun) and print the counts at the end
  --json                  print JSON
  --state-machine ARN     the bulk scan state machine (default: $LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN)
  -h, --help              show this help

Exit codes with --wait: 0 nothing infected, 1 something infected, 2 the run failed, or objects
could not be scanned (PROCESSING_ERROR, failed batches). Without --wait: 0 once started.`;

export const TEMPLATE_HELP = `Usage: lambda-av template --out DIR

  --out DIR             where the templates and assets/ are written (created if missing)

Writes the CloudFormation templates for teams without CDK and the files they deploy from:
  DIR/lambda-av-standard.template.json   the Standard scan workflow
  DIR/lambda-av-express.template.json    the Express scan workflow
  DIR/lambda-av-member.template.json     an organization member account (docs/organization.md)
  DIR/assets/                            the functions' code (x86_64 and arm64) and the state machines
Upload DIR/assets/ to a bucket in the stack's Region, then deploy a template with
'aws cloudformation deploy' (parameters: AssetsBucketName, AssetsKeyPrefix, ScanBucketNames,
AlarmEmail, TagPreset, Architecture). Needs aws-cdk-lib, which npm installs with the package.
See docs/template.md.`;
