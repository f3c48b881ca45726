import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  App,
  Aws,
  CfnCondition,
  CfnParameter,
  type DockerImageAssetLocation,
  type FileAssetLocation,
  FileAssetPackaging,
  type FileAssetSource,
  Fn,
  type ISynthesisSession,
  Stack,
  StackSynthesizer,
} from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { TESTED_FEATURE_FLAGS } from './feature-flags';
import { WorkflowType } from './lambda-av-choices';
import { LambdaAv } from './lambda-av-construct';
import { PACKAGED_ZIP_DIR } from './lambda-code';
import { Sweep } from './sweep-settings';
import { GUARDDUTY_TAG_PRESET } from './tag-settings';
import { zipDirectory } from './zip-directory';

/**
 * The CloudFormation templates for teams without CDK (docs/template.md): `lambda-av template --out
 * DIR` writes `lambda-av-standard.template.json`, `lambda-av-express.template.json` and
 * `assets/`, the files the templates' functions and state machines are deployed from. Upload the
 * assets to a bucket of yours in the stack's Region and deploy a template with
 * `aws cloudformation deploy`: no CDK bootstrap, no CDK toolkit.
 *
 * CDK apps put their assets in the bootstrap stack's bucket, which the CLI fills at deploy time.
 * Here a synthesizer of our own makes every asset an object of the AssetsBucketName parameter's
 * bucket, under AssetsKeyPrefix, named by the asset's hash, and the app copies the files to
 * assets/. The workflow type is a file, not a parameter: it decides which resources exist (the
 * Express queue, pipe and alarm) and the functions' timeouts.
 */

/** Where the templates are written, and the lambda.zip of each architecture. */
export interface TemplateOptions {
  readonly outDir: string;
  readonly zips: { readonly x86_64: string; readonly arm64: string };
}

export interface WrittenTemplates {
  readonly templates: string[];
  readonly assets: string[];
}

export const TEMPLATE_FILES: Readonly<Record<WorkflowType, string>> = {
  [WorkflowType.STANDARD]: 'lambda-av-standard.template.json',
  [WorkflowType.EXPRESS]: 'lambda-av-express.template.json',
};

/** An asset the templates name: where its file is, and its object key under AssetsKeyPrefix. */
interface TemplateAsset {
  readonly source: string;
  readonly packaging: FileAssetPackaging;
  readonly key: string;
}

/**
 * Places each file asset at `s3://<AssetsBucketName>/<AssetsKeyPrefix><hash><ext>` and records it,
 * so that the template needs no bootstrap bucket and the app knows what to copy to assets/.
 */
class AssetsParameterSynthesizer extends StackSynthesizer {
  readonly assets: TemplateAsset[] = [];
  private bucket: CfnParameter | undefined;
  private prefix: CfnParameter | undefined;

  override bind(stack: Stack): void {
    super.bind(stack);
    this.bucket = new CfnParameter(stack, 'AssetsBucketName', {
      type: 'String',
      description: 'Bucket holding the files of assets/ (upload them first), in the Region of this stack',
      allowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
    });
    this.prefix = new CfnParameter(stack, 'AssetsKeyPrefix', {
      type: 'String',
      default: '',
      description:
        'Key prefix of the uploaded assets in AssetsBucketName, with its trailing slash (e.g. lambda-av/1.0.0/)',
    });
  }

  addFileAsset(asset: FileAssetSource): FileAssetLocation {
    if (!asset.fileName || !this.bucket || !this.prefix) {
      throw new Error(`asset ${asset.sourceHash} has no file (the template holds file assets only)`);
    }
    const packaging = asset.packaging ?? FileAssetPackaging.FILE;
    const extension = packaging === FileAssetPackaging.ZIP_DIRECTORY ? '.zip' : path.extname(asset.fileName);
    const key = `${asset.sourceHash}${extension}`;
    if (!this.assets.some((known) => known.key === key)) {
      this.assets.push({ source: asset.fileName, packaging, key });
    }
    const bucketName = this.bucket.valueAsString;
    const objectKey = Fn.join('', [this.prefix.valueAsString, key]);
    return {
      bucketName,
      objectKey,
      httpUrl: Fn.join('', ['https://', bucketName, '.s3.', Aws.REGION, '.', Aws.URL_SUFFIX, '/', objectKey]),
      s3ObjectUrl: Fn.join('', ['s3://', bucketName, '/', objectKey]),
    };
  }

  addDockerImageAsset(): DockerImageAssetLocation {
    throw new Error('the template holds no container images');
  }

  synthesize(session: ISynthesisSession): void {
    this.synthesizeTemplate(session);
    this.emitArtifact(session);
  }
}

/** The stack of one template: its parameters, and a LambdaAv over the buckets named in one. */
class TemplateStack extends Stack {
  constructor(
    app: App,
    workflowType: WorkflowType,
    zipKeys: Record<'x86_64' | 'arm64', string>,
    synthesizer: AssetsParameterSynthesizer,
  ) {
    super(app, 'LambdaAv', {
      synthesizer,
      description: `lambda-av: ClamAV scanning of S3 objects with a memory-resident clamd on Lambda (${workflowType} scan workflow)`,
    });
    const buckets = new CfnParameter(this, 'ScanBucketNames', {
      type: 'CommaDelimitedList',
      description:
        'Existing buckets, comma-separated, whose new objects are scanned (turn on their EventBridge notifications: docs/template.md)',
    });
    const email = new CfnParameter(this, 'AlarmEmail', {
      type: 'String',
      default: '',
      description: 'An e-mail address subscribed to the alarms (confirm the subscription); empty for none',
    });
    const preset = new CfnParameter(this, 'TagPreset', {
      type: 'String',
      default: 'lambda-av',
      allowedValues: ['lambda-av', 'guardduty'],
      description:
        "The status tag: lambda-av's (av-status: CLEAN, INFECTED, ...) or GuardDuty Malware Protection's (GuardDutyMalwareScanStatus: NO_THREATS_FOUND, ...)",
    });
    const architecture = new CfnParameter(this, 'Architecture', {
      type: 'String',
      default: 'x86_64',
      allowedValues: ['x86_64', 'arm64'],
      description: "The functions' architecture",
    });
    const guardDuty = new CfnCondition(this, 'GuardDutyTags', {
      expression: Fn.conditionEquals(preset.valueAsString, 'guardduty'),
    });
    const arm = new CfnCondition(this, 'OnArm64', {
      expression: Fn.conditionEquals(architecture.valueAsString, 'arm64'),
    });
    const hasEmail = new CfnCondition(this, 'HasAlarmEmail', {
      expression: Fn.conditionNot(Fn.conditionEquals(email.valueAsString, '')),
    });
    const ifGuardDuty = (theirs: string, ours: string) =>
      Fn.conditionIf(guardDuty.logicalId, theirs, ours).toString();
    const { statusValues } = GUARDDUTY_TAG_PRESET;
    const av = new LambdaAv(this, 'LambdaAv', {
      workflowType,
      architecture: lambda.Architecture.custom(architecture.valueAsString),
      code: lambda.Code.fromBucket(
        s3.Bucket.fromBucketName(this, 'Assets', Fn.ref('AssetsBucketName')),
        Fn.join('', [
          Fn.ref('AssetsKeyPrefix'),
          Fn.conditionIf(arm.logicalId, zipKeys.arm64, zipKeys.x86_64).toString(),
        ]),
      ),
      statusTagKey: ifGuardDuty(GUARDDUTY_TAG_PRESET.statusTagKey, 'av-status'),
      statusValues: {
        clean: ifGuardDuty(statusValues.clean, 'CLEAN'),
        infected: ifGuardDuty(statusValues.infected, 'INFECTED'),
        unscannable: ifGuardDuty(statusValues.unscannable, 'UNSCANNABLE'),
        skipped: ifGuardDuty(statusValues.skipped, 'SKIPPED'),
        processingError: ifGuardDuty(statusValues.processingError, 'PROCESSING_ERROR'),
      },
      // The sweep's rules name each bucket; the buckets here are a list known at deploy time.
      sweep: Sweep.off(),
    });
    av.addScanBucketNames(buckets.valueAsList);
    const subscription = new sns.CfnSubscription(this, 'AlarmEmailSubscription', {
      topicArn: av.monitoring.alarmTopic.topicArn,
      protocol: 'email',
      endpoint: email.valueAsString,
    });
    subscription.cfnOptions.condition = hasEmail;
  }
}

/**
 * Writes both templates and the assets they name to `outDir`. Each lambda.zip goes to assets/
 * under its SHA-256 (the templates pick one by the Architecture parameter); every other asset is
 * copied (or, for a directory, zipped) under CDK's hash.
 */
export function writeTemplates(options: TemplateOptions): WrittenTemplates {
  const assetsDir = path.join(options.outDir, 'assets');
  mkdirSync(assetsDir, { recursive: true });
  const zipKeys = {
    x86_64: `lambda-x86_64-${sha256(options.zips.x86_64)}.zip`,
    arm64: `lambda-arm64-${sha256(options.zips.arm64)}.zip`,
  };
  copyFileSync(options.zips.x86_64, path.join(assetsDir, zipKeys.x86_64));
  copyFileSync(options.zips.arm64, path.join(assetsDir, zipKeys.arm64));
  const assets = new Set<string>(Object.values(zipKeys));
  const templates: string[] = [];
  for (const workflowType of [WorkflowType.STANDARD, WorkflowType.EXPRESS]) {
    const assembly = mkdtempSync(path.join(tmpdir(), 'lambda-av-template-'));
    try {
      const app = new App({ outdir: assembly, context: { ...TESTED_FEATURE_FLAGS } });
      const synthesizer = new AssetsParameterSynthesizer();
      const stack = new TemplateStack(app, workflowType, zipKeys, synthesizer);
      const cloudAssembly = app.synth();
      const template = cloudAssembly.getStackArtifact(stack.artifactId).template;
      const file = path.join(options.outDir, TEMPLATE_FILES[workflowType]);
      writeFileSync(file, `${JSON.stringify(template, null, 1)}\n`);
      templates.push(file);
      for (const asset of synthesizer.assets) {
        const source = path.join(assembly, asset.source);
        const target = path.join(assetsDir, asset.key);
        if (asset.packaging === FileAssetPackaging.ZIP_DIRECTORY) writeFileSync(target, zipDirectory(source));
        else copyFileSync(source, target);
        assets.add(asset.key);
      }
    } finally {
      rmSync(assembly, { recursive: true, force: true });
    }
  }
  return { templates, assets: [...assets].sort() };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The lambda.zip of an architecture: the package's, else the one named in the environment or built in the checkout. */
export function templateZips(repoRoot = path.join(__dirname, '..')): TemplateOptions['zips'] {
  const pick = (arch: 'x86_64' | 'arm64', env: string, built: string) => {
    const packaged = path.join(PACKAGED_ZIP_DIR, arch, 'lambda.zip');
    const candidates = [packaged, process.env[env], path.join(repoRoot, built)].filter(
      (file): file is string => file !== undefined && file !== '',
    );
    const found = candidates.find((file) => existsSync(file));
    if (!found) {
      throw new Error(
        `no lambda.zip for ${arch}: looked at ${candidates.join(', ')} (build one with ./build_lambda.sh --arch ${arch})`,
      );
    }
    return found;
  };
  return {
    x86_64: pick('x86_64', 'LAMBDA_ZIP', 'lambda.zip'),
    arm64: pick('arm64', 'LAMBDA_ARM64_ZIP', 'lambda-arm64.zip'),
  };
}

if (require.main === module) {
  const [flag, outDir] = process.argv.slice(2);
  if (flag !== '--out' || !outDir) {
    process.stderr.write('usage: template-app --out DIR\n');
    process.exit(2);
  }
  const written = writeTemplates({ outDir: path.resolve(outDir), zips: templateZips() });
  for (const file of [
    ...written.templates,
    ...written.assets.map((key) => path.join(outDir, 'assets', key)),
  ]) {
    process.stdout.write(`${file}\n`);
  }
}
