import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors';
import type { CommandIo } from './command-io';
import { TEMPLATE_HELP } from './usage';

/** The package's (or the checkout's) root: src/cli/ in the package, dist/cli/ in a checkout. */
const ROOT = path.join(__dirname, '..', '..');

/**
 * `lambda-av template --out DIR`: the CloudFormation templates and assets for teams without CDK
 * (docs/template.md). The templates are synthesized from the construct library, which needs
 * aws-cdk-lib (the package's peer dependency, which npm installs with it): the work is done by
 * infra/template-app, compiled in the package, run with tsx from TypeScript in a checkout, in a
 * process of its own so that the command's other modules never load the CDK.
 */
export async function templateCommand(args: string[], _settings: unknown, io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(TEMPLATE_HELP);
    return 0;
  }
  if (!values.out || positionals.length > 0)
    throw new UsageError('template needs --out DIR and nothing else');
  const compiled = path.join(ROOT, 'infra', 'template-app.js');
  const source = path.join(ROOT, 'infra', 'template-app.ts');
  const command = existsSync(compiled)
    ? [compiled]
    : existsSync(source)
      ? [require.resolve('tsx/cli'), source]
      : undefined;
  if (!command) throw new UsageError(`infra/template-app is missing from ${ROOT}`);
  const child = spawn(process.execPath, [...command, '--out', path.resolve(values.out)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: io.env,
  });
  let written = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    written += chunk;
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve(status ?? 2));
  });
  for (const line of written.split('\n').filter(Boolean)) io.out(line);
  return code;
}
