import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One accepted cdk-nag finding and why, as cdk-nag's NagSuppressions takes it. */
export interface NagSuppression {
  readonly id: string;
  readonly reason: string;
  readonly appliesTo?: ReadonlyArray<string | { readonly regex: string }>;
}

/**
 * Records cdk-nag suppressions on `construct`'s CloudFormation resource (and, with
 * `applyToChildren`, on every resource under it) the way cdk-nag 2's NagSuppressions does: a
 * `cdk_nag` metadata entry of `rules_to_suppress`, each `{id, reason, applies_to?}`, merged with
 * what is there and without duplicates. cdk-nag reads that metadata whoever wrote it, so an app
 * that runs cdk-nag over lambda-av sees the suppressions, and an app that does not need not
 * install cdk-nag (the construct library depends on aws-cdk-lib and constructs only).
 * test/infra/cdk-nag.test.ts runs cdk-nag itself over the construct.
 */
export function addNagSuppressions(
  construct: IConstruct,
  suppressions: readonly NagSuppression[],
  applyToChildren = false,
): void {
  for (const child of applyToChildren ? construct.node.findAll() : [construct]) {
    const resource = child.node.defaultChild ?? child;
    if (!(resource instanceof CfnResource)) continue;
    const existing = (resource.getMetadata('cdk_nag') as { rules_to_suppress?: unknown[] } | undefined)
      ?.rules_to_suppress;
    const rules = [...(existing ?? []), ...suppressions.map(toMetadata)].map((rule) => JSON.stringify(rule));
    resource.addMetadata('cdk_nag', {
      rules_to_suppress: [...new Set(rules)].map((rule) => JSON.parse(rule)),
    });
  }
}

/** cdk-nag's metadata form: `applies_to`, and a reason with characters past Latin-1 base64-encoded. */
function toMetadata(suppression: NagSuppression): Record<string, unknown> {
  const { appliesTo, reason, ...rest } = suppression;
  const metadata: Record<string, unknown> = { ...rest, ...(appliesTo ? { applies_to: appliesTo } : {}) };
  if ([...reason].some((c) => (c.codePointAt(0) ?? 0) > 255)) {
    return { reason: Buffer.from(reason).toString('base64'), ...metadata, is_reason_encoded: true };
  }
  return { reason, ...metadata };
}
