import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { resolveTool } from '../../src/clamd/binaries';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly clamav: string;
  readonly os: string;
  readonly kernel: string;
  readonly date: string;
}

export async function describeMachine(): Promise<MachineInfo> {
  const clamd = resolveTool('clamd', undefined);
  const version = await promisify(execFile)(clamd.file, [...clamd.args, '--version'])
    .then(({ stdout }) => stdout.trim())
    .catch(() => 'unknown');
  const release = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    clamav: version,
    os: /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release)?.[1] ?? os.type(),
    kernel: os.release(),
    date: new Date().toISOString(),
  };
}
