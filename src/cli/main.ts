import { type CliSettings, loadCliSettings } from '../config';
import type { CommandIo } from './command-io';
import {
  DEFINITIONS_HELP,
  EXIT_ERROR,
  HISTORY_HELP,
  MAIN_HELP,
  REDRIVE_HELP,
  SCAN_BUCKET_HELP,
  SCAN_HELP,
  SERVE_HELP,
  STATUS_HELP,
  TEMPLATE_HELP,
  UPDATE_HELP,
  UsageError,
} from './usage';

// The command's entry (bin/lambda-av.js) takes it from here: the package holds what main.ts reaches.
export { argumentBytes } from './argument-bytes';

type Command = (args: string[], settings: CliSettings, io: CommandIo) => Promise<number>;

/**
 * Each command's module is loaded only when it runs: `lambda-av --help` loads neither the AWS
 * SDK nor the local stack, and a local scan loads no AWS SDK.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  scan: async () => (await import('./scan-command')).scanCommand,
  serve: async () => (await import('./serve-command')).serveCommand,
  update: async () => (await import('./update-command')).updateCommand,
  history: async () => (await import('./history-command')).historyCommand,
  definitions: async () => (await import('./definitions-command')).definitionsCommand,
  status: async () => (await import('./status-command')).statusCommand,
  redrive: async () => (await import('./redrive-command')).redriveCommand,
  'scan-bucket': async () => (await import('./scan-bucket-command')).scanBucketCommand,
  template: async () => (await import('./template-command')).templateCommand,
};
const HELP: Record<string, string> = {
  scan: SCAN_HELP,
  serve: SERVE_HELP,
  update: UPDATE_HELP,
  history: HISTORY_HELP,
  definitions: DEFINITIONS_HELP,
  status: STATUS_HELP,
  redrive: REDRIVE_HELP,
  'scan-bucket': SCAN_BUCKET_HELP,
  template: TEMPLATE_HELP,
};

/** Runs `lambda-av ARGS...` and returns its exit code. */
export async function main(args: string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? rest[0] : undefined;
      if (topic !== undefined && !Object.hasOwn(HELP, topic))
        throw new UsageError(`no such command: ${topic}`);
      io.out(topic ? (HELP[topic] as string) : MAIN_HELP);
      return command === undefined ? EXIT_ERROR : 0;
    }
    const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!load) throw new UsageError(`no such command: ${command}`);
    const run = await load();
    const commandIo = io.argumentBytes ? { ...io, argumentBytes: io.argumentBytes.slice(1) } : io;
    return await run(rest, loadCliSettings(io.env), commandIo);
  } catch (error) {
    const failure = error as Error & { code?: string };
    if (error instanceof UsageError || failure.code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`lambda-av: ${failure.message}`);
      io.err(
        `Run 'lambda-av help${command && Object.hasOwn(HELP, command) ? ` ${command}` : ''}' for usage.`,
      );
    } else {
      io.err(`lambda-av: ${failure.name}: ${failure.message}`);
    }
    return EXIT_ERROR;
  }
}
