/**
 * The CDK app's errors: each fails `cdk synth` with what was wrong, before anything is deployed.
 * Each class's name is its own (the runtime's errors are in src/errors.ts).
 */
abstract class InfraError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A prop of the construct is malformed or inconsistent, named with the value received. */
export class LambdaAvPropsError extends InfraError {}

/** A bucket filter EventBridge cannot express, or a malformed one. */
export class ScanFilterError extends InfraError {}

/** A block-reads configuration that cannot work (an imported bucket, a session ARN). */
export class BlockReadsError extends InfraError {}

/** A context value (`-c key=value`, cdk.json) is malformed. */
export class ContextError extends InfraError {
  constructor(key: string, expected: string, value: unknown, options?: { cause?: unknown }) {
    super(
      `context ${key} must be ${expected}, got ${
        typeof value === 'string'
          ? JSON.stringify(value)
          : typeof value === 'object'
            ? JSON.stringify(JSON.stringify(value))
            : String(value)
      }`,
      options,
    );
  }
}
