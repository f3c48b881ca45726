import { loadCliSettings } from '../config';
import { definitionsCommand } from './definitions-command';
import { historyCommand } from './history-command';
import { scanBucketCommand } from './scan-bucket-command';
import { type CommandIo, scanCommand } from './scan-command';
import { statusCommand } from './status-command';
import { updateCommand } from './update-command';
import {
  DEFINITIONS_HELP,
  EXIT_ERROR,
  HISTORY_HELP,
  MAIN_HELP,
  SCAN_BUCKET_HELP,
  SCAN_HELP,
  STATUS_HELP,
  UPDATE_HELP,
  UsageError,
} from './usage';

const COMMANDS = {
  scan: scanCommand,
  update: updateCommand,
  history: historyCommand,
  definitions: definitionsCommand,
  status: statusCommand,
  'scan-bucket': scanBucketCommand,
} as const;
const HELP: Record<string, string> = {
  scan: SCAN_HELP,
  update: UPDATE_HELP,
  history: HISTORY_HELP,
  definitions: DEFINITIONS_HELP,
  status: STATUS_HELP,
  'scan-bucket': SCAN_BUCKET_HELP,
};

/** Runs `lambda-av ARGS...` and returns its exit code. */
export async function main(args: string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? rest[0] : undefined;
      if (topic !== undefined && !(topic in HELP)) throw new UsageError(`no such command: ${topic}`);
      io.out(topic ? (HELP[topic] as string) : MAIN_HELP);
      return command === undefined ? EXIT_ERROR : 0;
    }
    const run = COMMANDS[command as keyof typeof COMMANDS];
    if (!run) throw new UsageError(`no such command: ${command}`);
    return await run(rest, loadCliSettings(io.env), io);
  } catch (error) {
    const failure = error as Error & { code?: string };
    if (error instanceof UsageError || failure.code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`lambda-av: ${failure.message}`);
      io.err(`Run 'lambda-av help${command && command in HELP ? ` ${command}` : ''}' for usage.`);
    } else {
      io.err(`lambda-av: ${failure.name}: ${failure.message}`);
    }
    return EXIT_ERROR;
  }
}
