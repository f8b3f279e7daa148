import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomicSync } from './atomic-write.js';
import { ensureDir, FILE_MODE } from './fs-util.js';
import { isMissing, logErrorLimited } from './log.js';
import { isPidAlive } from './process-info.js';

/**
 * The spool: where hooks record. A hook writes its raw payload to `<dir>/spool/<agent>/<ns>-<pid>-<ppid>-<event>.json`
 * (a temp name first, then a rename: a file there is always complete) and leaves; a reconciler claims each file by
 * renaming it to `<name>.claimed-<pid>` (atomic: two reconcilers never both get one), ingests it, and deletes it.
 * A claim whose process died is taken back by the next reconciler. The shell recorder (`dist/hook/record.sh`)
 * writes the same names; this module is the Node side.
 */

export const SPOOL_DIR = 'spool';
export const WORKER_PID_FILE = 'worker.pid';
export const FIRED_FILE = 'fired.json';
const NAME = /^(\d{10,20})-(\d+)-(\d+)-([A-Za-z0-9_.]+)\.json$/;
const CLAIMED = /^(.+\.json)\.claimed-(\d+)$/;
const TEMP = /^\.(\d+)\.tmp$/;

export function spoolRoot(dir: string): string {
  return join(dir, SPOOL_DIR);
}

export function spoolDir(dir: string, agent: string): string {
  return join(dir, SPOOL_DIR, agent);
}

export interface SpoolEntry {
  /** The file name as the writer gave it (without any claim suffix). */
  name: string;
  agent: string;
  event: string;
  /** Epoch milliseconds the hook ran. */
  time: number;
  pid: number;
  ppid: number;
}

export function parseSpoolName(agent: string, name: string): SpoolEntry | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const ns = m[1]!;
  // Nanoseconds as a string: ms = all but the last 6 digits (no float rounding).
  const time = Number(ns.length > 6 ? ns.slice(0, -6) : '0');
  return { name, agent, event: m[4]!, time, pid: Number(m[2]), ppid: Number(m[3]) };
}

export function safeEventName(event: string): string {
  return event.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 64) || 'unknown';
}

/** Writes one payload to the spool (the Node writer of what record.sh writes). Returns the file name. */
export function writeSpool(dir: string, agent: string, event: string, payload: Buffer | string, now = Date.now()): string {
  const folder = spoolDir(dir, agent);
  ensureDir(folder);
  const ns = `${BigInt(now) * 1_000_000n + BigInt(process.hrtime()[1] % 1_000_000)}`;
  const name = `${ns}-${process.pid}-${process.ppid}-${safeEventName(event)}.json`;
  const tmp = join(folder, `.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', FILE_MODE);
  try {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(folder, name));
  return name;
}

/** Agents with a spool folder. */
export function spoolAgents(dir: string): string[] {
  try {
    return readdirSync(spoolRoot(dir), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

export interface PendingSpool {
  ready: SpoolEntry[];
  /** Claims whose claimer is dead: to be taken back. */
  orphans: Array<{ entry: SpoolEntry; file: string }>;
  /** Claims a live process is ingesting right now. */
  inFlight: number;
}

/** What waits in one agent's spool, oldest first; stale temp files of dead writers are removed on the way. */
export function pendingSpool(dir: string, agent: string): PendingSpool {
  const folder = spoolDir(dir, agent);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return { ready: [], orphans: [], inFlight: 0 };
  }
  const ready: SpoolEntry[] = [];
  const orphans: PendingSpool['orphans'] = [];
  let inFlight = 0;
  for (const n of names) {
    const entry = parseSpoolName(agent, n);
    if (entry) {
      ready.push(entry);
      continue;
    }
    const c = CLAIMED.exec(n);
    if (c) {
      const e = parseSpoolName(agent, c[1]!);
      if (e && !isPidAlive(Number(c[2]))) orphans.push({ entry: e, file: n });
      else if (e) inFlight++;
      continue;
    }
    const t = TEMP.exec(n);
    if (t && !isPidAlive(Number(t[1]))) {
      // A writer killed mid-write: what it wrote was never accepted.
      try {
        if (Date.now() - statSync(join(folder, n)).mtimeMs > 60_000) unlinkSync(join(folder, n));
      } catch (error) {
        if (!isMissing(error)) logErrorLimited(dir, `spool of ${agent}: removing ${n}`, error);
      }
    }
  }
  ready.sort(bySpoolOrder);
  orphans.sort((a, b) => bySpoolOrder(a.entry, b.entry));
  return { ready, orphans, inFlight };
}

/** Arrival order: by the time in the name (nanoseconds, compared as digit strings), then by the rest of it. */
export function bySpoolOrder(a: SpoolEntry, b: SpoolEntry): number {
  const ta = a.name.slice(0, a.name.indexOf('-'));
  const tb = b.name.slice(0, b.name.indexOf('-'));
  if (ta.length !== tb.length) return ta.length - tb.length;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Claims a spool file for this process. Returns the claimed path, or undefined when another process got it. */
export function claimSpool(dir: string, agent: string, name: string, from?: string): string | undefined {
  const folder = spoolDir(dir, agent);
  const claimed = join(folder, `${name}.claimed-${process.pid}`);
  try {
    renameSync(join(folder, from ?? name), claimed);
    return claimed;
  } catch (error) {
    // Missing: another reconciler claimed it first. Anything else leaves it in the spool for the next drain.
    if (!isMissing(error)) logErrorLimited(dir, `spool of ${agent}: claiming ${name}`, error);
    return undefined;
  }
}

export function readClaimed(path: string): Buffer {
  return readFileSync(path);
}

export function doneSpool(dir: string, path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    // Missing: already gone. Left behind, it is taken back later and skipped, since the journal holds it.
    if (!isMissing(error)) logErrorLimited(dir, `spool: removing ${basename(path)}`, error);
  }
}

/** Remembers, per agent and event, when a hook last fired (for `doctor`). Best effort. */
export function noteFired(dir: string, fired: Map<string, Map<string, number>>): void {
  if (!fired.size) return;
  const path = join(spoolRoot(dir), FIRED_FILE);
  let current: Record<string, Record<string, number>> = {};
  try {
    current = JSON.parse(readFileSync(path, 'utf8')) as typeof current;
  } catch {
    // none yet
  }
  for (const [agent, events] of fired) {
    const a = (current[agent] ??= {});
    for (const [event, time] of events) if (!(a[event]! >= time)) a[event] = time;
  }
  try {
    writeFileAtomicSync(path, JSON.stringify(current), { durable: false });
  } catch (error) {
    // doctor will say less
    logErrorLimited(dir, `spool: writing ${FIRED_FILE}`, error);
  }
}

export function readFired(dir: string): Record<string, Record<string, number>> {
  try {
    return JSON.parse(readFileSync(join(spoolRoot(dir), FIRED_FILE), 'utf8')) as Record<string, Record<string, number>>;
  } catch {
    return {};
  }
}

/** The live worker's pid, if one runs. */
export function liveWorker(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(spoolRoot(dir), WORKER_PID_FILE), 'utf8').trim());
    return isPidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
