import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The CFS period every quota is a share of, in microseconds: 10 ms, so that even a scan of a few
 * milliseconds feels the share (with the kernel's default of 100 ms a short burst uses every core).
 */
const PERIOD_US = 10_000;

/**
 * A CPU limit on a group of processes, as Lambda gives a function a share of CPU by its memory:
 * a cgroup's CFS quota (`cpu.cfs_quota_us` in cgroup v1, `cpu.max` in cgroup v2). Processes added
 * to the group, and every process they start later (clamd), get at most `vcpus` cores' worth of
 * CPU time per period. Needs root and a cgroup file system with the cpu controller.
 */
export interface CpuQuota {
  /** How the limit is applied, for the report. */
  readonly kind: string;
  add(pid: number): Promise<void>;
  /** Sets the limit in cores (1.16 = 116 ms per 100 ms); undefined lifts it. */
  limit(vcpus: number | undefined): Promise<void>;
  /** Moves the group's processes back to the root group and removes the group. */
  remove(): Promise<void>;
}

const V1_ROOT = '/sys/fs/cgroup/cpu';

async function cgroupV2Root(): Promise<string | undefined> {
  const mounts = await readFile('/proc/mounts', 'utf8').catch(() => '');
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type] = line.split(' ');
    if (type !== 'cgroup2' || !mountPoint) continue;
    const controllers = await readFile(path.join(mountPoint, 'cgroup.controllers'), 'utf8').catch(() => '');
    if (controllers.split(/\s+/).includes('cpu')) return mountPoint;
  }
  return undefined;
}

/** A new CPU group named `name`, or undefined (with the reason) where none can be made. */
export async function createCpuQuota(name: string): Promise<CpuQuota | { readonly unavailable: string }> {
  if (process.getuid?.() !== 0) return { unavailable: 'CPU quotas need root (cgroups)' };
  const v1 = path.join(V1_ROOT, name);
  if (existsSync(path.join(V1_ROOT, 'cpu.cfs_quota_us'))) {
    await mkdir(v1, { recursive: true });
    await writeFile(path.join(v1, 'cpu.cfs_period_us'), String(PERIOD_US));
    return group('cgroup v1 cpu.cfs_quota_us', v1, V1_ROOT, (vcpus) =>
      writeFile(path.join(v1, 'cpu.cfs_quota_us'), vcpus === undefined ? '-1' : String(quotaUs(vcpus))),
    );
  }
  const v2Root = await cgroupV2Root();
  if (v2Root) {
    await writeFile(path.join(v2Root, 'cgroup.subtree_control'), '+cpu').catch(() => undefined);
    const v2 = path.join(v2Root, name);
    await mkdir(v2, { recursive: true });
    return group('cgroup v2 cpu.max', v2, v2Root, (vcpus) =>
      writeFile(path.join(v2, 'cpu.max'), `${vcpus === undefined ? 'max' : quotaUs(vcpus)} ${PERIOD_US}`),
    );
  }
  return { unavailable: 'no cgroup file system with the cpu controller' };
}

function quotaUs(vcpus: number): number {
  return Math.max(1000, Math.round(vcpus * PERIOD_US));
}

function group(
  kind: string,
  dir: string,
  root: string,
  limit: (vcpus: number | undefined) => Promise<void>,
): CpuQuota {
  return {
    kind,
    add: (pid) => writeFile(path.join(dir, 'cgroup.procs'), String(pid)),
    limit,
    async remove() {
      const pids = (await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean);
      for (const pid of pids) await writeFile(path.join(root, 'cgroup.procs'), pid).catch(() => undefined);
      // A process that is exiting still counts as a member for a moment (EBUSY): try again.
      for (let attempt = 0; attempt < 50; attempt++) {
        if (
          await rmdir(dir).then(
            () => true,
            () => false,
          )
        )
          return;
        await sleep(100);
      }
    },
  };
}

/** Lambda's CPU share for a memory size: one vCPU at 1,769 MB, in proportion (AWS Lambda docs). */
export function lambdaVcpus(memoryMiB: number): number {
  return memoryMiB / 1769;
}
