/** A problem with how the command was called: reported with a hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_CLEAN = 0;
export const EXIT_INFECTED = 1;
export const EXIT_ERROR = 2;

export const MAIN_HELP = `lambda-av: scan files with ClamAV through the lambda-av-daemon workflow

Usage:
  lambda-av scan [options] PATH...          scan files and directories locally (embedded stack)
  lambda-av scan --remote s3://BUCKET/KEY   scan S3 objects with the deployed state machine
  lambda-av scan --direct s3://BUCKET/KEY   scan S3 objects by invoking the deployed scanner
  lambda-av update                          fetch definitions for local scans into the cache
  lambda-av history                         list recent scan executions and their verdicts
  lambda-av definitions publish DIR         publish database files to a deployed stack's scanners
  lambda-av status                          a deployed stack's health: definitions, canary, scans, alarms
  lambda-av scan-bucket s3://BUCKET/PREFIX  scan or rescan a whole bucket with the bulk scan workflow
  lambda-av help [COMMAND]                  show help

Exit codes (as clamscan's): 0 all clean, 1 something infected, 2 an error or a file not scanned
completely (over the size limit, or UNSCANNABLE: encrypted, over a clamd limit).
Run 'lambda-av help scan' for the options of a command.`;

export const SCAN_HELP = `Usage: lambda-av scan [options] PATH...
       lambda-av scan --remote|--direct [options] s3://BUCKET/KEY...

Local scans (the default) start an embedded stack on 127.0.0.1: an S3-compatible server, the
scanner with a real clamd, and the scan state machine executed locally. Each file is uploaded to
the local bucket and scanned by the same workflow as in AWS. Directories are scanned recursively.

Options:
  --definitions DIR     ClamAV database files to scan with (.cvd, .cld, .ndb, .hdb, ...)
  --test-signatures     use generated test signatures (EICAR and ClamAV's test files): they
                        detect test files only
  --concurrency N       files scanned at once (default 4)
  --json                print one JSON document: {"results": [...], "summary": {...}}
  --remote              scan s3:// objects with the deployed scan state machine and wait
  --state-machine ARN   its ARN (default: $LAMBDA_AV_STATE_MACHINE_ARN)
  --direct              scan s3:// objects by invoking the deployed scanner Lambda (fast path)
  --function NAME       its name or ARN (default: $LAMBDA_AV_FUNCTION_NAME)
  -h, --help            show this help

Each file gets one line: CLEAN, INFECTED with the signature, UNSCANNABLE with clamd's heuristic
and why it could not be scanned completely (encrypted, a limit exceeded, an unsupported format),
SKIPPED (over MAX_FILE_SIZE) or PROCESSING_ERROR with the error; then a summary counting each.
Exit codes: 0 all clean; 1 something infected; 2 an error, a file skipped or unscannable (clamscan
exits 1 for what it reports as Heuristics.Encrypted.* or Heuristics.Limits.Exceeded.*: no virus
was found there, the file could not be judged). UNSCANNABLE_POLICY=block-as-infected reports
unscannable files as INFECTED instead (exit 1), as before the UNSCANNABLE verdict existed.

Definitions for local scans, in this order: --definitions DIR; the system's ClamAV database
directory ($CLAMAV_SYSTEM_DATABASE_DIR, default /var/lib/clamav) when it holds databases; the
cache filled by 'lambda-av update' ($LAMBDA_AV_CACHE_DIR, default ~/.cache/lambda-av).
Remote and direct scans use the AWS SDK's usual configuration (credentials, region, and
endpoints such as AWS_ENDPOINT_URL_SFN or AWS_ENDPOINT_URL_LAMBDA).`;

export const UPDATE_HELP = `Usage: lambda-av update [--json]

Fetches ClamAV definitions with freshclam, verifies that they load, and keeps them in the cache
($LAMBDA_AV_CACHE_DIR, default ~/.cache/lambda-av) for local scans. It runs the updater Lambda's
own code. Mirror settings come from the environment, as for the updater Lambda:
  CLAMAV_MIRROR_URL             a private mirror (http(s)://host[:port]) instead of ClamAV's
  CLAMAV_CUSTOM_DATABASE_URLS   extra databases, comma-separated URLs
  CLAMAV_OFFICIAL_DATABASES     official databases to fetch (default main,daily,bytecode)

Options:
  --json       print the update result as JSON
  -h, --help   show this help`;

export const HISTORY_HELP = `Usage: lambda-av history [--state-machine ARN] [--max N] [--json]

Lists the most recent executions of the deployed scan state machine with their verdicts.

Options:
  --state-machine ARN   the scan state machine (default: $LAMBDA_AV_STATE_MACHINE_ARN)
  --max N               how many executions (default 20, at most 100)
  --json                print JSON
  -h, --help            show this help`;

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

export const STATUS_HELP = `Usage: lambda-av status [--stack NAME] [--json]

Shows a deployed stack's health on one screen: the published definitions (version and age), the
last canary (when, detected or not, its slowest scan), the scans of the last hour and the last day
by verdict with p50 and p99 latency, and the alarms in ALARM. It reads CloudWatch (GetMetricData,
DescribeAlarms), the published manifest.json, and the stack's outputs.

Options:
  --stack NAME          the CloudFormation stack (its outputs name the bucket, prefix and alarms)
  --bucket NAME         or: the definitions bucket (default: $CLAMAV_BUCKET_NAME)
  --prefix PREFIX       the definitions prefix (default: $PATH_TO_AV_DEFINITIONS)
  --alarm-prefix TEXT   the stack's AlarmNamePrefix output (default: $LAMBDA_AV_ALARM_PREFIX)
  --json                print JSON
  -h, --help            show this help

Exit codes: 0 all is well, 1 something needs a look (an alarm in ALARM, the last canary not
detected, no definitions published), 2 an error. AWS credentials, region and endpoints come from
the SDK's usual settings (AWS_ENDPOINT_URL_CLOUDWATCH, ... work too).`;

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
  --batch-size N          objects per scanner invocation (default: the stack's, 100)
  --max-concurrency N     batches at once (capped by the stack's limit, which leaves upload scans room)
  --manifest s3://B/KEY   read the objects from an S3 Inventory's manifest.json instead of listing
  --wait                  follow the Map Run (DescribeMapRun) and print the counts at the end
  --json                  print JSON
  --state-machine ARN     the bulk scan state machine (default: $LAMBDA_AV_BULK_SCAN_STATE_MACHINE_ARN)
  -h, --help              show this help

Exit codes with --wait: 0 nothing infected, 1 something infected, 2 the run failed, or objects
could not be scanned (PROCESSING_ERROR, failed batches). Without --wait: 0 once started.`;
