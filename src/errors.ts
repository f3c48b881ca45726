/**
 * Named errors. Each class's `name` is the error name Step Functions sees when a Lambda task
 * throws it, so the ASL `Retry` and `Catch` blocks match on exactly these strings.
 */
export abstract class NamedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** clamd could not be started or did not answer in time. Retryable: the next attempt starts it again. */
export class DaemonStartupError extends NamedError {}

/**
 * No definitions are published yet (a new stack whose first update has not published a set).
 * A start-up failure: retried like one, so an upload waits for the first set.
 */
export class DefinitionsNotPublishedError extends DaemonStartupError {}

/** clamd went away or stopped answering during a scan. Retryable: the next invocation restarts it. */
export class DaemonConnectionError extends NamedError {}

/**
 * clamd gave no verdict within CLAMD_SCAN_TIMEOUT_MS. Never retried as it is: the content itself
 * may be what keeps clamd busy (clamd's own MaxScanTime, half that budget, normally answers first
 * with an UNSCANNABLE heuristic). A scanner that finds clamd no longer answering replaces it and
 * reports a DaemonConnectionError instead; otherwise the object is a PROCESSING_ERROR.
 */
export class ScanTimeoutError extends NamedError {}

/** clamd answered with something other than a verdict (for example a size limit error). */
export class ClamdProtocolError extends NamedError {}

/** An environment variable is missing or malformed. Not retryable: the deployment must be fixed. */
export class ConfigurationError extends NamedError {}

/** The invocation payload is not a scan request we understand. Not retryable. */
export class InvalidEventError extends NamedError {}

/** The object or version to scan does not exist. */
export class ObjectNotFoundError extends NamedError {}

/** S3 refused access to the object or its tags. */
export class AccessDeniedError extends NamedError {}

/**
 * The member role of the object's account could not be assumed (no such role, a trust policy
 * that does not admit the hub's scanner, an account outside the organization). Not retryable:
 * the member account's deployment must be fixed; the object is reported PROCESSING_ERROR, untagged.
 */
export class MemberRoleError extends NamedError {}

/** The object's bytes could not be read completely from S3. Retryable. */
export class ObjectReadError extends NamedError {}

/** The object already has so many tags that ours would exceed S3's limit of 10. */
export class TagLimitExceededError extends NamedError {}

/** clamd could not switch to newly published definitions; it keeps scanning with the previous ones. */
export class DefinitionsReloadError extends NamedError {}

/** freshclam failed to update the definitions; the last good set stays published. */
export class DefinitionsUpdateError extends NamedError {}

/**
 * A URL the updater reads at run time (CLAMAV_MIRROR_URL_SECRET, CLAMAV_CUSTOM_DATABASE_URL_SECRETS)
 * could not be read, or is not a URL it may fetch. The message names the secret or parameter,
 * never its value. Nothing is fetched; the last good set stays published.
 */
export class SecretUrlError extends NamedError {}

/** The updated definitions do not load in ClamAV; they are not published. */
export class DefinitionsVerificationError extends NamedError {}

/** A set brought in with `lambda-av definitions publish` cannot be imported as staged; nothing is published. */
export class DefinitionsImportError extends NamedError {}

/** Another updater published a set while this one ran; this run publishes nothing. */
export class ConcurrentUpdateError extends NamedError {}

/**
 * The result could not be published to EventBridge after retries. The object's tag is written:
 * the verdict stands. Retryable (the scan runs again and publishes again); never a reason to
 * tag PROCESSING_ERROR over the verdict.
 */
export class ResultPublishError extends NamedError {}

/** An action on an INFECTED object (quarantine, delete) could not be carried out; nothing was deleted. */
export class InfectedActionError extends NamedError {}

/**
 * An error another service reported, under the name it gave it: a Lambda function's `errorType`
 * (DaemonStartupError, InvalidEventError...), a failed execution's error, a Step Functions task
 * error. Callers and Retry/Catch blocks match on that name.
 */
export class RemoteError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** A scan execution ended without a result (failed, timed out or aborted). */
export class ScanExecutionError extends NamedError {
  constructor(
    readonly executionArn: string,
    readonly status: string,
    readonly error: string | undefined,
    readonly errorCause: string | undefined,
  ) {
    super(
      `scan execution ${executionArn} ended ${status}${error ? `: ${error}` : ''}${errorCause ? ` (${errorCause})` : ''}`,
    );
  }
}

/** A problem with how the command was called: reported with a hint, exit code 2. */
export class UsageError extends NamedError {}

/**
 * What a local stand-in of an AWS service (src/local/*-server.ts, test/support/*-server.ts) answers a request with: `type`
 * is the error's name in that service's API, sent as the JSON protocols' `__type`, so the SDK
 * raises the same named exception it raises for AWS.
 */
export class LocalServiceError extends NamedError {
  constructor(
    readonly type: string,
    message: string,
    /** The HTTP status AWS answers it with: 400 for a client's error, 5xx for the service's. */
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A local endpoint's port is taken (another `lambda-av serve`, say): the message names the port. */
export class PortInUseError extends NamedError {}

/** A `--data-dir` another running `lambda-av serve` is using: two servers would corrupt each other's data. */
export class DataDirInUseError extends NamedError {}
