import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * What the OS says about a process: its parent, command name and start time. The start time tells a reused
 * pid apart from the process that was recorded (Linux: clock ticks since boot, from /proc; elsewhere `ps`).
 */
export interface ProcInfo {
  ppid: number;
  command: string;
  start?: string;
  zombie?: boolean;
}

export function procInfo(pid: number): ProcInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const command = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // fields[0] is the state (3rd field of stat), fields[1] the ppid, fields[19] the start time (22nd).
      return { ppid: Number(fields[1]), command, start: fields[19], zombie: fields[0] === 'Z' || fields[0] === 'X' };
    } catch {
      return undefined;
    }
  }
  if (process.platform === 'win32') return undefined;
  try {
    const out = execFileSync('ps', ['-o', 'ppid=,lstart=,comm=', '-p', String(pid)], { encoding: 'utf8', timeout: 2_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const m = /^(\d+)\s+(\w{3}\s+\w{3}\s+\d+\s+[\d:]+\s+\d{4})\s+(.*)$/.exec(out);
    if (!m) return undefined;
    const command = m[3]!.split('/').pop() ?? m[3]!;
    return { ppid: Number(m[1]), start: m[2], command };
  } catch {
    return undefined;
  }
}

/** The start time of this process, as `procInfo` reports it (cached: it never changes). */
let ownStart: string | undefined | null = null;
export function ownStartTime(): string | undefined {
  if (ownStart === null) ownStart = process.platform === 'linux' ? procInfo(process.pid)?.start : undefined;
  return ownStart;
}

/** Whether a process still runs: not a zombie, and (when its start time is known) not a reused pid. */
export function isPidAlive(pid: number, start?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform === 'linux') {
    const info = procInfo(pid);
    if (!info) return true;
    if (info.zombie) return false;
    if (start && info.start && start !== info.start) return false;
  }
  return true;
}
