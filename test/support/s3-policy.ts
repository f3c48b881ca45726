/**
 * A test aid: which `Deny` statements of a bucket policy apply to a request, for exactly the
 * operators infra/block-reads.ts uses, implemented from AWS's documented rules so tests can check
 * what a policy does rather than only how it is written. It is not IAM: any element, operator or
 * principal form it does not implement throws, so a test cannot pass on something it skipped.
 *
 * The rules (IAM User Guide):
 * - a statement applies when its Principal, Action and Resource match and every condition holds;
 *   Action names are not case-sensitive; `*` and `?` are wildcards in Action and Resource;
 * - condition operators are ANDed, keys under one operator are ANDed, the values of one key are
 *   ORed, and for a negated operator they are NORed
 *   (reference_policies_condition-logic-multiple-context-keys-or-values.html);
 * - a key missing from the request makes an operator false, and a negated one (`StringNotEquals`,
 *   `StringNotLike`, `ArnNotEquals`, `ArnNotLike`) true; `Null` tests presence: `true` means absent
 *   (reference_policies_elements_condition_operators.html);
 * - `ForAnyValue:` holds when any request value matches any policy value, and is false when the
 *   key is missing or empty (reference_policies_multi-value-conditions.html);
 * - ARN operators compare the six colon-separated parts one by one, each with `*` and `?`;
 * - condition key names are not case-sensitive (reference_policies_elements_condition.html).
 *
 * The request context of each S3 call is built by the helpers below from what the Service
 * Authorization Reference lists per action: `s3:ExistingObjectTag/<key>` for GetObject(Version)
 * and the tagging calls, not for PutObject; `s3:RequestObjectTagKeys` for PutObject and
 * Put(Version)Tagging; `s3:x-amz-copy-source` for PutObject.
 */

type Values = string | readonly string[];

export interface PolicyStatementJson {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action: Values;
  readonly Resource: Values;
  readonly Condition?: Record<string, Record<string, Values | boolean>>;
  readonly [other: string]: unknown;
}

export interface S3Request {
  /** e.g. `s3:GetObject` */
  readonly action: string;
  /** e.g. `arn:aws:s3:::uploads/a.pdf` */
  readonly resource: string;
  /** The role's ARN for a role session (what `aws:PrincipalArn` holds); none for anonymous requests. */
  readonly principalArn?: string;
  /** The rest of the request context. */
  readonly context?: Record<string, Values>;
}

/** The Sids (or indexes) of the `Deny` statements that apply to `request`. */
export function denyingStatements(statements: readonly PolicyStatementJson[], request: S3Request): string[] {
  return statements
    .map((statement, index) => ({ statement, id: statement.Sid ?? String(index) }))
    .filter(({ statement }) => statement.Effect === 'Deny' && applies(statement, request))
    .map(({ id }) => id);
}

export function isDenied(statements: readonly PolicyStatementJson[], request: S3Request): boolean {
  return denyingStatements(statements, request).length > 0;
}

function applies(statement: PolicyStatementJson, request: S3Request): boolean {
  for (const element of ['NotAction', 'NotResource', 'NotPrincipal']) {
    if (element in statement) throw new Error(`s3-policy aid: ${element} is not implemented`);
  }
  checkPrincipalIsEveryone(statement.Principal);
  const actionMatches = list(statement.Action).some((a) =>
    glob(a.toLowerCase(), request.action.toLowerCase()),
  );
  const resourceMatches = list(statement.Resource).some((r) => glob(r, request.resource));
  return actionMatches && resourceMatches && conditionsHold(statement.Condition ?? {}, request);
}

function checkPrincipalIsEveryone(principal: unknown): void {
  const everyone =
    principal === '*' ||
    (typeof principal === 'object' &&
      principal !== null &&
      Object.keys(principal).length === 1 &&
      (principal as { AWS?: unknown }).AWS === '*');
  if (!everyone) throw new Error(`s3-policy aid: principal ${JSON.stringify(principal)} is not implemented`);
}

function conditionsHold(
  condition: Record<string, Record<string, Values | boolean>>,
  request: S3Request,
): boolean {
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, policyValues]) => operatorHolds(operator, key, policyValues, request)),
  );
}

type Compare = (requestValue: string, policyValue: string) => boolean;

const OPERATORS: Record<string, { compare: Compare; negated: boolean }> = {
  StringEquals: { compare: (r, p) => r === p, negated: false },
  StringNotEquals: { compare: (r, p) => r === p, negated: true },
  StringEqualsIgnoreCase: { compare: (r, p) => r.toLowerCase() === p.toLowerCase(), negated: false },
  StringLike: { compare: (r, p) => glob(p, r), negated: false },
  StringNotLike: { compare: (r, p) => glob(p, r), negated: true },
  ArnEquals: { compare: arnLike, negated: false },
  ArnLike: { compare: arnLike, negated: false },
  ArnNotEquals: { compare: arnLike, negated: true },
  ArnNotLike: { compare: arnLike, negated: true },
};

function operatorHolds(
  operator: string,
  key: string,
  policyValues: Values | boolean,
  request: S3Request,
): boolean {
  const requestValue = lookup(request, key);
  if (operator === 'Null') {
    const absent = requestValue === undefined || (Array.isArray(requestValue) && requestValue.length === 0);
    return String(policyValues) === 'true' ? absent : !absent;
  }
  const [qualifier, base] = operator.includes(':') ? operator.split(':', 2) : [undefined, operator];
  const known = base === undefined ? undefined : OPERATORS[base];
  if (
    !known ||
    (qualifier !== undefined && qualifier !== 'ForAnyValue') ||
    typeof policyValues === 'boolean'
  ) {
    throw new Error(`s3-policy aid: operator ${operator} is not implemented`);
  }
  const values = list(policyValues);
  if (qualifier === 'ForAnyValue') {
    if (known.negated) throw new Error(`s3-policy aid: ${operator} is not implemented`);
    return list(requestValue ?? []).some((r) => values.some((p) => known.compare(r, p)));
  }
  if (requestValue === undefined) return known.negated;
  if (typeof requestValue !== 'string') {
    throw new Error(
      `s3-policy aid: ${key} has several values; ${operator} needs ForAnyValue or ForAllValues`,
    );
  }
  const any = values.some((p) => known.compare(requestValue, p));
  return known.negated ? !any : any;
}

/** Condition key names are not case-sensitive. */
function lookup(request: S3Request, key: string): Values | undefined {
  const context: Record<string, Values> = {
    ...(request.context ?? {}),
    ...(request.principalArn !== undefined ? { 'aws:PrincipalArn': request.principalArn } : {}),
  };
  const found = Object.keys(context).find((name) => name.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : context[found];
}

/** `*` any run of characters, `?` one character; the rest literal. */
function glob(pattern: string, value: string): boolean {
  const source = Array.from(pattern, (c) => {
    if (c === '*') return '[\\s\\S]*';
    if (c === '?') return '[\\s\\S]';
    return c.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }).join('');
  return new RegExp(`^${source}$`).test(value);
}

/** Six colon-separated parts, the last one keeping its colons; each part compared with wildcards. */
function arnLike(requestArn: string, policyArn: string): boolean {
  const split = (arn: string) => {
    const parts = arn.split(':');
    return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const request = split(requestArn);
  const policy = split(policyArn);
  if (!request || !policy) return false;
  return policy.every((part, i) => glob(part, request[i] ?? ''));
}

function list(values: Values): readonly string[] {
  return typeof values === 'string' ? [values] : values;
}

// --- S3 calls and the context keys S3 gives them ---------------------------------------------

export interface ObjectCall {
  readonly bucket: string;
  readonly key: string;
  readonly principalArn?: string;
  /** Tags the object (version) already has. */
  readonly existingTags?: Record<string, string>;
  /** Tags the request writes. */
  readonly tags?: Record<string, string>;
  /** `x-amz-copy-source` of a copy (`bucket/key`). */
  readonly copySource?: string;
  /** The `...Version...` action, as a request naming a versionId is authorized. */
  readonly version?: boolean;
}

const existingTagKeys = (tags: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(tags).map(([k, v]) => [`s3:ExistingObjectTag/${k}`, v]));

const requestTagKeys = (tags: Record<string, string> | undefined) =>
  tags && Object.keys(tags).length > 0
    ? {
        's3:RequestObjectTagKeys': Object.keys(tags),
        ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`s3:RequestObjectTag/${k}`, v])),
      }
    : {};

function call(action: string, call: ObjectCall, context: Record<string, Values>): S3Request {
  return {
    action,
    resource: `arn:aws:s3:::${call.bucket}/${call.key}`,
    ...(call.principalArn !== undefined ? { principalArn: call.principalArn } : {}),
    context,
  };
}

/** GetObject (or HeadObject, authorized the same way). */
export const getObject = (c: ObjectCall): S3Request =>
  call(c.version ? 's3:GetObjectVersion' : 's3:GetObject', c, existingTagKeys(c.existingTags));

/** PutObject, POST upload or a copy (CopyObject is authorized as s3:PutObject on its destination). */
export const putObject = (c: ObjectCall): S3Request =>
  call('s3:PutObject', c, {
    ...requestTagKeys(c.tags),
    ...(c.copySource !== undefined ? { 's3:x-amz-copy-source': c.copySource } : {}),
  });

export const putObjectTagging = (c: ObjectCall): S3Request =>
  call(c.version ? 's3:PutObjectVersionTagging' : 's3:PutObjectTagging', c, {
    ...existingTagKeys(c.existingTags),
    ...requestTagKeys(c.tags),
  });

export const deleteObjectTagging = (c: ObjectCall): S3Request =>
  call(
    c.version ? 's3:DeleteObjectVersionTagging' : 's3:DeleteObjectTagging',
    c,
    existingTagKeys(c.existingTags),
  );
