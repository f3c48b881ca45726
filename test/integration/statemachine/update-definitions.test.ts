import { readFileSync } from 'node:fs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createUpdateDefinitionsHandler } from '../../../src/handlers/update-definitions';
import { placeholdersOf, UPDATE_STATE_MACHINE } from '../../../src/local/step-functions';
import { DEFINITIONS_BUCKET, DEFINITIONS_PREFIX, type Harness, startHarness } from '../../support/harness';
import { mirrorEnv, startTestMirror, type TestMirror } from '../../support/mirror';
import { bodySignature, EICAR, EICAR_SIGNATURE } from '../../support/signatures';
import {
  functionArn,
  startWorkflow,
  statesEntered,
  UPDATER_FUNCTION,
  type Workflow,
} from '../../support/workflow';

let h: Harness;
let mirror: TestMirror;
let wf: Workflow;
const ages: number[] = [];

beforeEach(async () => {
  mirror = await startTestMirror();
  mirror.set('test.ndb', `${bodySignature(EICAR_SIGNATURE, EICAR)}\n`);
  h = await startHarness({
    definitions: false,
    env: mirrorEnv(mirror),
  });
  ages.length = 0;
  const updater = createUpdateDefinitionsHandler({
    config: h.config,
    s3: h.s3.client,
    metrics: { definitionsAge: (hours) => ages.push(hours), definitionsMissing: () => undefined },
  });
  wf = await startWorkflow(
    { [UPDATER_FUNCTION]: () => updater() },
    {
      s3: h.s3.client,
      substitutions: { UpdaterFunctionArn: functionArn(UPDATER_FUNCTION) },
      retryIntervalOverrides: { UpdateDefinitions: 5 },
    },
  );
});
afterEach(async () => {
  await wf.stop();
  await h.stop();
  await mirror.stop();
});

test('the only placeholder is the updater function', () => {
  expect(placeholdersOf(readFileSync(UPDATE_STATE_MACHINE, 'utf8'))).toEqual(['UpdaterFunctionArn']);
});

test('an update publishes the definitions, emits their age and succeeds with the update result', async () => {
  const result = await wf.run(UPDATE_STATE_MACHINE, {});

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(['UpdateDefinitions', 'CheckResult', 'Updated']);
  expect(result.output).toMatchObject({ changed: true, files: [{ name: 'test.ndb' }] });
  expect(ages).toHaveLength(1);
  const manifest = await h.s3.client.send(
    new GetObjectCommand({ Bucket: DEFINITIONS_BUCKET, Key: `${DEFINITIONS_PREFIX}/manifest.json` }),
  );
  expect(JSON.parse((await manifest.Body?.transformToString()) ?? '{}').version).toBe(
    (result.output as { version: string }).version,
  );
});

test('a failed update fails the execution with the updater named error', async () => {
  mirror.set('test.ndb', 'garbage\n');

  const result = await wf.run(UPDATE_STATE_MACHINE, {});

  expect(result.status).toBe('FAILED');
  expect(result.error).toBe('DefinitionsUpdateError');
  expect(result.cause).toContain('freshclam failed');
  expect(result.events.filter((e) => e.type === 'StateFailed').map((e) => e.state)).toEqual([
    'UpdateDefinitions',
  ]);
  expect(result.events.some((e) => e.type === 'StateRetried')).toBe(false);
});

test('a mirror rate limit ends in the CoolingDown state, successfully', async () => {
  await wf.run(UPDATE_STATE_MACHINE, {});
  mirror.rateLimit(true);

  const result = await wf.run(UPDATE_STATE_MACHINE, {});

  expect(result.status).toBe('SUCCEEDED');
  expect(statesEntered(result)).toEqual(['UpdateDefinitions', 'CheckResult', 'CoolingDown']);
  expect(result.output).toMatchObject({ changed: false, coolDown: { until: expect.any(String) } });
});
