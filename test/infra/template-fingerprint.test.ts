import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FINGERPRINT_CONFIGURATIONS } from './configurations';
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

function fingerprints(): Record<string, Fingerprint> {
  const found: Record<string, Fingerprint> = {};
  for (const [name, props] of Object.entries(FINGERPRINT_CONFIGURATIONS)) {
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
