/**
 * A test aid: decides whether an EventBridge event pattern matches an event, for the operators
 * infra/scan-filter.ts emits, implemented from AWS's documented rules so tests can check what a
 * pattern means rather than only how it is written. It is not EventBridge: any operator or shape
 * it does not implement throws, so a test can never pass on something it did not evaluate.
 *
 * The rules (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html, and
 * the README of aws/event-ruler, the library behind EventBridge patterns):
 * - every field named in the pattern must be in the event, at the same nesting (fields ANDed);
 * - a leaf's value is an array of matchers, ORed; an array in the event matches if any element does;
 * - exact string; `prefix`, `suffix`, `wildcard` and `anything-but` work on strings only, `numeric`
 *   on JSON numbers only;
 * - `wildcard`: `*` matches zero or more characters; `\*` is a literal `*`, `\\` a backslash; a
 *   backslash before anything else, and consecutive `*`, are invalid patterns;
 * - `anything-but`: a string, a list of strings, or one `prefix`, `suffix` or `wildcard`;
 * - `numeric`: `[op, value]` or `[op, value, op, value]`, with `=`, `<`, `<=`, `>`, `>=`.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** CDK's EventPattern names the top-level fields in camelCase; EventBridge uses these. */
const TOP_LEVEL_NAMES: Record<string, string> = { detailType: 'detail-type' };

/** A CDK `events.EventPattern` as CDK writes it into the template (top-level `detailType` -> `detail-type`). */
export function renderPattern(pattern: object): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(pattern)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [TOP_LEVEL_NAMES[key] ?? key, value as Json]),
  );
}

/** Whether `pattern` (as EventBridge receives it, see {@link renderPattern}) matches `event`. */
export function matchesPattern(pattern: Record<string, Json>, event: unknown): boolean {
  return matchObject(pattern, event, '');
}

function matchObject(pattern: Record<string, Json>, event: unknown, path: string): boolean {
  if (!isObject(event)) return false;
  return Object.entries(pattern).every(([field, sub]) => {
    const where = `${path}${field}`;
    if (field.startsWith('$')) throw new Error(`event-pattern aid: ${where} is not implemented`);
    if (!(field in event)) return false;
    if (Array.isArray(sub)) return matchLeaf(sub, event[field], where);
    if (isObject(sub)) return matchObject(sub, event[field], `${where}.`);
    throw new Error(`event-pattern aid: ${where} must be an array of matchers or an object`);
  });
}

function matchLeaf(matchers: Json[], value: unknown, where: string): boolean {
  if (matchers.length === 0) throw new Error(`event-pattern aid: ${where} has no matchers`);
  const values = Array.isArray(value) ? value : [value];
  return matchers.some((matcher) => values.some((v) => matchOne(matcher, v, where)));
}

function matchOne(matcher: Json, value: unknown, where: string): boolean {
  if (typeof matcher === 'string') return value === matcher;
  if (!isObject(matcher) || Object.keys(matcher).length !== 1) {
    throw new Error(`event-pattern aid: ${where}: unsupported matcher ${JSON.stringify(matcher)}`);
  }
  const [[operator, operand]] = Object.entries(matcher) as [[string, Json]];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(stringOperand(operand, where));
    case 'suffix':
      return typeof value === 'string' && value.endsWith(stringOperand(operand, where));
    case 'wildcard':
      return typeof value === 'string' && wildcardRegExp(stringOperand(operand, where), where).test(value);
    case 'anything-but':
      return typeof value === 'string' && !anythingButExcludes(operand, value, where);
    case 'numeric':
      return typeof value === 'number' && numericMatches(operand, value, where);
    default:
      throw new Error(`event-pattern aid: ${where}: operator ${operator} is not implemented`);
  }
}

function anythingButExcludes(operand: Json, value: string, where: string): boolean {
  if (typeof operand === 'string') return value === operand;
  if (Array.isArray(operand) && operand.every((o) => typeof o === 'string')) return operand.includes(value);
  const [operator] = isObject(operand) ? Object.keys(operand) : [];
  if (
    isObject(operand) &&
    Object.keys(operand).length === 1 &&
    ['prefix', 'suffix', 'wildcard'].includes(operator ?? '')
  ) {
    return matchOne(operand, value, `${where} (anything-but)`);
  }
  throw new Error(`event-pattern aid: ${where}: unsupported anything-but ${JSON.stringify(operand)}`);
}

function stringOperand(operand: Json, where: string): string {
  if (typeof operand !== 'string') {
    throw new Error(`event-pattern aid: ${where}: expected a string operand, got ${JSON.stringify(operand)}`);
  }
  return operand;
}

/** A wildcard as a RegExp, refusing what EventBridge refuses. */
export function wildcardRegExp(wildcard: string, where = 'wildcard'): RegExp {
  let source = '';
  let previousStar = false;
  for (let i = 0; i < wildcard.length; i++) {
    const c = wildcard.charAt(i);
    if (c === '*') {
      if (previousStar)
        throw new Error(`event-pattern aid: ${where}: consecutive wildcard characters in ${wildcard}`);
      source += '[\\s\\S]*';
      previousStar = true;
      continue;
    }
    previousStar = false;
    let literal = c;
    if (c === '\\') {
      const next = wildcard.charAt(i + 1);
      if (next !== '*' && next !== '\\') {
        throw new Error(`event-pattern aid: ${where}: a backslash may only escape * or \\ in ${wildcard}`);
      }
      literal = next;
      i++;
    }
    source += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '=': (a, b) => a === b,
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

function numericMatches(operand: Json, value: number, where: string): boolean {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    throw new Error(`event-pattern aid: ${where}: numeric takes [op, n] or [op, n, op, n]`);
  }
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const bound = operand[i + 1];
    const compare = typeof op === 'string' ? COMPARE[op] : undefined;
    if (!compare || typeof bound !== 'number') {
      throw new Error(`event-pattern aid: ${where}: bad numeric ${JSON.stringify(operand)}`);
    }
    if (!compare(value, bound)) return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
