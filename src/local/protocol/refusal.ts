/**
 * Why a local endpoint refused a request before running it: a missing or wrong signature, a
 * cross-origin request, a body that does not match what was signed. It carries both names AWS
 * gives the failure, S3's (an XML error code) and the JSON protocols' (`__type`), so each endpoint
 * answers in its own protocol.
 */
export class RequestRefusal extends Error {
  override readonly name = 'RequestRefusal';

  constructor(
    readonly status: number,
    /** S3's error code (`SignatureDoesNotMatch`, `AccessDenied`, ...). */
    readonly s3Code: string,
    /** The JSON protocols' error type (`InvalidSignatureException`, `AccessDeniedException`, ...). */
    readonly jsonType: string,
    message: string,
  ) {
    super(message);
  }
}

export const refuse = {
  unsigned: () =>
    new RequestRefusal(
      403,
      'AccessDenied',
      'MissingAuthenticationTokenException',
      'Missing Authentication Token: every request to lambda-av serve must be signed (AWS Signature Version 4) with the credentials it printed',
    ),
  crossOrigin: (origin: string) =>
    new RequestRefusal(
      403,
      'AccessDenied',
      'AccessDeniedException',
      `cross-origin requests are refused (Origin or Sec-Fetch-Site: ${origin}): lambda-av serve answers clients on this machine, not web pages`,
    ),
  host: (host: string) =>
    new RequestRefusal(
      403,
      'AccessDenied',
      'AccessDeniedException',
      `Host ${JSON.stringify(host)} is not this endpoint's: use the address lambda-av serve printed (127.0.0.1 or localhost)`,
    ),
  malformed: (message: string) =>
    new RequestRefusal(400, 'AuthorizationHeaderMalformed', 'IncompleteSignatureException', message),
  unknownKey: (accessKeyId: string) =>
    new RequestRefusal(
      403,
      'InvalidAccessKeyId',
      'UnrecognizedClientException',
      `The AWS Access Key Id you provided does not exist in our records (${accessKeyId}): sign with the credentials lambda-av serve printed`,
    ),
  signature: () =>
    new RequestRefusal(
      403,
      'SignatureDoesNotMatch',
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    ),
  skewed: (amzDate: string) =>
    new RequestRefusal(
      403,
      'RequestTimeTooSkewed',
      'InvalidSignatureException',
      `Signature expired: the request time ${amzDate} is more than 15 minutes from the server time`,
    ),
  expired: (amzDate: string, seconds: number) =>
    new RequestRefusal(
      403,
      'AccessDenied',
      'InvalidSignatureException',
      `Request has expired: signed at ${amzDate}, valid for ${seconds} s`,
    ),
  unsignedHeaders: (names: readonly string[]) =>
    new RequestRefusal(
      403,
      'AccessDenied',
      'InvalidSignatureException',
      `There were headers present in the request which were not signed: ${names.join(', ')}`,
    ),
  payloadHash: () =>
    new RequestRefusal(
      400,
      'XAmzContentSHA256Mismatch',
      'InvalidSignatureException',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    ),
  tooLarge: (limit: number) =>
    new RequestRefusal(
      413,
      'EntityTooLarge',
      'RequestEntityTooLargeException',
      `the request body is larger than this endpoint accepts (${limit} bytes)`,
    ),
};
