import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Duration, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { LambdaAvProps } from '../../infra';
import { OnInfected, TagPreset, WorkflowType } from '../../infra';
import { buildLambdaAv } from './support';

// Every resource of the synthesized template, by logical ID, with a hash of its properties, in a
// few configurations that between them create every kind of resource the construct makes. A
// logical ID that moves makes CloudFormation replace the resource on the next deploy: a new
// function, a new state machine (its execution history gone), an orphaned retained log group or
// bucket. So the construct's code can be reorganised freely, but the template it makes cannot
// change unnoticed.
//
// When a change to the template is intended (a new resource, a changed property), regenerate the
// fixture and review its diff: every line that disappears is a resource CloudFormation deletes
// or replaces.
//   UPDATE_TEMPLATE_FINGERPRINT=1 npx jest test/infra/template-fingerprint.test.ts

const FIXTURE = path.join(__dirname, 'fixtures', 'template-fingerprint.json');

type Fingerprint = Record<string, string>;

/** `Type sha256(properties)` for every resource: the properties as CloudFormation receives them. */
function fingerprint(template: Record<string, unknown>): Fingerprint {
  const resources = (template.Resources ?? {}) as Record<string, { Type: string } & Record<string, unknown>>;
  const found: Fingerprint = {};
  for (const [id, resource] of Object.entries(resources).sort(([a], [b]) => a.localeCompare(b))) {
    const { Type, Metadata: _metadata, ...rest } = resource;
    found[id] = `${Type} ${createHash('sha256').update(stableJson(rest)).digest('hex').slice(0, 16)}`;
  }
  return found;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, inner]) => `${JSON.stringify(key)}:${stableJson(inner)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Configurations that between them make every resource the construct can make. */
const CONFIGURATIONS: Record<string, (stack: Stack) => LambdaAvProps> = {
  defaults: () => ({}),
  'standard, scanned buckets, actions and block reads': (stack) => {
    const uploads = new s3.Bucket(stack, 'Uploads');
    const imported = s3.Bucket.fromBucketName(stack, 'Imported', 'imported-uploads');
    const reader = iam.Role.fromRoleName(stack, 'Reader', 'reader');
    return {
      scanBuckets: [
        {
          bucket: uploads,
          onInfected: OnInfected.QUARANTINE,
          blockReadsUntilClean: true,
          readExemptRoles: [reader],
        },
        {
          bucket: imported,
          kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          onInfected: OnInfected.DELETE,
          filter: { exclude: { suffix: '.log' }, maxSize: 100 * 2 ** 20 },
        },
      ],
      reservedConcurrency: 20,
      provisionedConcurrency: 2,
      alarmEmails: ['security@example.com'],
      bulkScan: { rescanAfterUpdate: { targets: [{ bucket: uploads, prefix: 'recent/' }] } },
    };
  },
  'express, own bus, GuardDuty tags, own definitions bucket and key': (stack) => {
    const uploads = new s3.Bucket(stack, 'Uploads');
    return {
      workflowType: WorkflowType.EXPRESS,
      retryBudget: Duration.hours(2),
      scanBuckets: [{ bucket: uploads }],
      resultEventBus: new events.EventBus(stack, 'Results'),
      tagPreset: TagPreset.GUARDDUTY,
      definitionsBucket: new s3.Bucket(stack, 'Definitions'),
      definitionsBucketKey: new kms.Key(stack, 'DefinitionsKey'),
      warmerEnabled: false,
    };
  },
};

function fingerprints(): Record<string, Fingerprint> {
  const found: Record<string, Fingerprint> = {};
  for (const [name, props] of Object.entries(CONFIGURATIONS)) {
    found[name] = fingerprint(buildLambdaAv(props).template.toJSON());
  }
  return found;
}

test('the template keeps every logical ID and every resource as the fixture records them', () => {
  const current = fingerprints();
  if (process.env.UPDATE_TEMPLATE_FINGERPRINT === '1') {
    writeFileSync(FIXTURE, `${JSON.stringify(current, null, 2)}\n`);
  }
  if (!existsSync(FIXTURE)) throw new Error(`${FIXTURE} is missing: generate it as the comment above says`);
  const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Fingerprint>;

  for (const [name, resources] of Object.entries(recorded)) {
    const now = current[name] ?? {};
    const gone = Object.keys(resources).filter((id) => !(id in now));
    const added = Object.keys(now).filter((id) => !(id in resources));
    const changed = Object.keys(resources).filter((id) => id in now && now[id] !== resources[id]);
    // Named, so a failure says which configuration and which resources.
    expect({ configuration: name, gone, added, changed }).toEqual({
      configuration: name,
      gone: [],
      added: [],
      changed: [],
    });
  }
  expect(Object.keys(current)).toEqual(Object.keys(recorded));
});
