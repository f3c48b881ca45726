import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { OfficialDatabase, ReloadStrategy, UnscannablePolicy } from '../../infra';
import { buildLambdaAv, logicalId, statementsOfRole } from './support';

describe('scanner Lambda', () => {
  const { stack, av, template } = buildLambdaAv();

  test('runs index.scanFileHandler on nodejs22.x, x86_64, 2048 MB, 8 minutes: a cold start with margin', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.scanFileHandler',
      Runtime: 'nodejs22.x',
      Architectures: ['x86_64'],
      MemorySize: 2048,
      Timeout: 480,
      Environment: {
        Variables: Match.objectLike({
          DEFINITIONS_DOWNLOAD_TIMEOUT_MS: '60000',
          CLAMD_START_TIMEOUT_MS: '120000',
          CLAMD_SCAN_TIMEOUT_MS: '240000',
        }),
      },
    });
  });

  test('shorter budgets give a shorter timeout, in whole minutes', () => {
    const short = buildLambdaAv(() => ({
      definitionsDownloadTimeout: Duration.seconds(30),
      daemonStartTimeout: Duration.seconds(60),
      scanTimeout: Duration.seconds(60),
    }));

    short.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.scanFileHandler',
      Timeout: 180,
      Environment: { Variables: Match.objectLike({ CLAMD_SCAN_TIMEOUT_MS: '60000' }) },
    });
  });

  test('gets /tmp for two definitions sets, the spooled object and what clamd extracts from it', () => {
    // 1024 (definitions) + 300 (MAX_FILE_SIZE) + 1200 (MaxScanSize = 4 x 300) + 512 (headroom)
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.scanFileHandler',
      EphemeralStorage: { Size: 3036 },
    });
  });

  test('is configured through the environment variables src/config.ts reads', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.scanFileHandler',
      Environment: {
        Variables: {
          CLAMAV_BUCKET_NAME: { Ref: logicalId(stack, av.definitions.bucket as never) },
          PATH_TO_AV_DEFINITIONS: 'av-definitions',
          MAX_FILE_SIZE: '314572800',
          WARM_CONCURRENCY: '1',
          DEFINITIONS_CHECK_INTERVAL: '300',
          CLAMD_RELOAD_STRATEGY: 'auto',
          FILE_STATUS_CLEAN: 'CLEAN',
          FILE_STATUS_INFECTED: 'INFECTED',
          FILE_STATUS_UNSCANNABLE: 'UNSCANNABLE',
          FILE_STATUS_SKIPPED: 'SKIPPED',
          FILE_STATUS_PROCESSING_ERROR: 'PROCESSING_ERROR',
          UNSCANNABLE_POLICY: 'report',
          METADATA_FILE_STATUS: 'av-status',
          METADATA_FILE_TIMESTAMP: 'av-timestamp',
        },
      },
    });
  });

  test('has no reserved or provisioned concurrency by default', () => {
    const scanner = template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'index.scanFileHandler' },
    });
    expect(Object.values(scanner)[0]?.Properties.ReservedConcurrentExecutions).toBeUndefined();
    template.resourceCountIs('AWS::Lambda::Alias', 0);
  });

  test('may not invoke itself when one instance is kept warm', () => {
    const statements = statementsOfRole(template, stack, av.scanner.role);
    expect(statements.flatMap((s) => s.Action)).not.toContain('lambda:InvokeFunction');
  });
});

describe('scanner Lambda options', () => {
  test('a larger MAX_FILE_SIZE gets more /tmp, MaxScanSize capped below 2 GiB', () => {
    const { template } = buildLambdaAv(() => ({ maxFileSize: 1024 ** 3 }));

    // 1024 + 1024 + 2048 (4 GiB capped at 2 GiB - 1) + 512
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.scanFileHandler',
      EphemeralStorage: { Size: 4608 },
      Environment: { Variables: Match.objectLike({ MAX_FILE_SIZE: String(1024 ** 3) }) },
    });
  });

  test('arm64 by prop, for both functions', () => {
    const { template } = buildLambdaAv(() => ({ architecture: lambda.Architecture.ARM_64 }));

    for (const handler of ['index.scanFileHandler', 'index.updateDefinitionsHandler']) {
      template.hasResourceProperties('AWS::Lambda::Function', { Handler: handler, Architectures: ['arm64'] });
    }
  });

  test('reserved concurrency by prop', () => {
    const { template } = buildLambdaAv(() => ({ reservedConcurrency: 20 }));

    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.scanFileHandler',
      ReservedConcurrentExecutions: 20,
    });
  });

  test('provisioned concurrency lives on a live alias, which the state machine invokes', () => {
    const { stack, av, template } = buildLambdaAv(() => ({ provisionedConcurrency: 2 }));

    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    const aliasId = logicalId(stack, av.scannerTarget as never);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionSubstitutions: { ScannerFunctionArn: { Ref: aliasId } },
    });
  });

  test('WARM_CONCURRENCY above 1 lets the scanner invoke exactly its own function, without a dependency cycle', () => {
    const { stack, av, template } = buildLambdaAv(() => ({ warmConcurrency: 4 }));
    const scannerId = logicalId(stack, av.scanner);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.scanFileHandler',
      Environment: { Variables: Match.objectLike({ WARM_CONCURRENCY: '4' }) },
    });
    const selfInvoke = Object.entries(
      template.findResources('AWS::IAM::Policy', {
        Properties: {
          PolicyDocument: {
            Statement: [{ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [scannerId, 'Arn'] } }],
          },
        },
      }),
    );
    expect(selfInvoke).toHaveLength(1);
    // The function must not wait for a policy that names the function.
    const scanner = template.findResources('AWS::Lambda::Function')[scannerId];
    expect(scanner?.DependsOn).not.toContain(selfInvoke[0]?.[0]);
  });

  test('with provisioned concurrency the warmer may also invoke the alias its schedule invokes', () => {
    const { stack, av, template } = buildLambdaAv(() => ({ warmConcurrency: 4, provisionedConcurrency: 2 }));

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'lambda:InvokeFunction',
            Resource: [
              { 'Fn::GetAtt': [logicalId(stack, av.scanner), 'Arn'] },
              { Ref: logicalId(stack, av.scannerTarget as never) },
            ],
          },
        ],
      },
    });
  });

  test('reload strategy, status values and tag keys by prop', () => {
    const { template } = buildLambdaAv(() => ({
      reloadStrategy: ReloadStrategy.RESTART,
      definitionsCheckInterval: Duration.minutes(1),
      statusValues: { clean: 'ok', infected: 'virus', unscannable: 'not-scanned' },
      unscannablePolicy: UnscannablePolicy.BLOCK_AS_INFECTED,
      statusTagKey: 'scan-status',
      timestampTagKey: 'scan-time',
    }));

    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.scanFileHandler',
      Environment: {
        Variables: Match.objectLike({
          CLAMD_RELOAD_STRATEGY: 'restart',
          DEFINITIONS_CHECK_INTERVAL: '60',
          FILE_STATUS_CLEAN: 'ok',
          FILE_STATUS_INFECTED: 'virus',
          FILE_STATUS_UNSCANNABLE: 'not-scanned',
          FILE_STATUS_SKIPPED: 'SKIPPED',
          UNSCANNABLE_POLICY: 'block-as-infected',
          METADATA_FILE_STATUS: 'scan-status',
          METADATA_FILE_TIMESTAMP: 'scan-time',
        }),
      },
    });
  });
});

describe('updater Lambda', () => {
  test('runs index.updateDefinitionsHandler on nodejs22.x with 2048 MB (it loads the whole set to verify it), 14 minutes', () => {
    const { template } = buildLambdaAv();

    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.updateDefinitionsHandler',
      Runtime: 'nodejs22.x',
      MemorySize: 2048,
      Timeout: 840,
      EphemeralStorage: { Size: 2048 },
      Environment: {
        Variables: {
          CLAMAV_BUCKET_NAME: Match.anyValue(),
          PATH_TO_AV_DEFINITIONS: 'av-definitions',
          CLAMAV_CUSTOM_DATABASE_URLS: '',
          CLAMAV_OFFICIAL_DATABASES: 'main,daily,bytecode',
          DEFINITIONS_DOWNLOAD_TIMEOUT_MS: '60000',
          FRESHCLAM_TIMEOUT_MS: '300000',
          DEFINITIONS_VERIFY_TIMEOUT_MS: '300000',
        },
      },
    });
  });

  test('mirror, custom databases and official databases by prop', () => {
    const { template } = buildLambdaAv(() => ({
      mirrorUrl: 'https://mirror.example.com',
      customDatabaseUrls: ['https://sigs.example.com/a.ndb', 'https://sigs.example.com/b.hdb'],
      officialDatabases: [OfficialDatabase.DAILY],
      updaterMemorySize: 3008,
    }));

    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.updateDefinitionsHandler',
      MemorySize: 3008,
      Environment: {
        Variables: Match.objectLike({
          CLAMAV_MIRROR_URL: 'https://mirror.example.com',
          CLAMAV_CUSTOM_DATABASE_URLS: 'https://sigs.example.com/a.ndb,https://sigs.example.com/b.hdb',
          CLAMAV_OFFICIAL_DATABASES: 'daily',
        }),
      },
    });
  });
});
