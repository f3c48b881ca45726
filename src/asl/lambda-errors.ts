/**
 * The Lambda errors every retrying `lambda:invoke` Task of the ASL files retries: the service's
 * transient errors, as AWS's best-practice page for Lambda in Step Functions lists them (CDK's
 * `LambdaInvoke` retries the same four by default), and throttling. None says anything about the
 * request, so each is worth another attempt.
 *
 * ASL has no references: each retrier holds a copy of this list, in this order, and
 * test/unit/asl/asl-facts.test.ts keeps every copy equal to it.
 */
export const LAMBDA_RETRY_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * The prefixes of error names that come from Step Functions or its integrations rather than from
 * this project's functions (whose errors are the classes of src/errors.ts).
 */
export const SERVICE_ERROR_PREFIXES = ['States.', 'Lambda.', 'S3.', 'StepFunctions.'] as const;
