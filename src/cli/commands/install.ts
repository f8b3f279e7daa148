import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import {
  addHooks,
  ASYNC_SINCE,
  compareVersions,
  createdBetween,
  eventsFor,
  EVENTS,
  hookCommand,
  installedEvents,
  removeHooks,
  type Created,
} from '../../adapters/claude-code/settings.js';
import { writeFileAtomicSync } from '../../store/atomic-write.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from '../options.js';

/**
 * `agent-trace install|uninstall [--scope user|project|local] [--dry-run]` for Claude Code: registers (or
 * removes) the hook command in the settings file of the scope. Keeps every other setting and hook, writes
 * atomically (temp file in the same folder, fsync, rename — through a symlinked settings file to its
 * target), refuses to touch a file that is not valid JSON, and `--dry-run` prints the diff instead.
 *
 * Uninstall is install's exact reverse: what install created (the file, its folder, the `hooks` object, event
 * lists) is remembered per settings file in `${XDG_STATE_HOME:-~/.local/state}/agent-trace/installed.json`
 * (not in the settings file: Claude Code refuses a file with keys it does not know), so uninstall takes those
 * away and leaves every container the user had, even an empty one.
 */

export interface InstallOptions extends GlobalOptions {
  agent?: string;
  scope?: string;
  dryRun?: boolean;
  uninstall: boolean;
}

export function settingsPath(scope: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  switch (scope) {
    case 'user': {
      const base = env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude');
      return join(base, 'settings.json');
    }
    case 'project':
      return join(cwd, '.claude', 'settings.json');
    case 'local':
      return join(cwd, '.claude', 'settings.local.json');
    default:
      throw new CliError(`--scope must be user, project or local (got "${scope}")`, 2);
  }
}

/** The installed Claude Code version, when it can be learnt (`AGENT_TRACE_CLAUDE_VERSION` overrides). */
export function claudeVersion(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const forced = env.AGENT_TRACE_CLAUDE_VERSION;
  if (forced !== undefined) return /\d+\.\d+\.\d+/.exec(forced)?.[0];
  try {
    const r = spawnSync('claude', ['--version'], { encoding: 'utf8', timeout: 8_000, stdio: ['ignore', 'pipe', 'ignore'], shell: process.platform === 'win32' });
    return /(\d+\.\d+\.\d+)/.exec(r.stdout ?? '')?.[1];
  } catch {
    return undefined;
  }
}

function readSettings(path: string): { text: string | undefined; settings: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: undefined, settings: {} };
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (!text.trim()) return { text, settings: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not valid JSON (${(error as Error).message}); fix it, then run this again — nothing was changed`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`${path} does not hold a JSON object; fix it, then run this again — nothing was changed`);
  }
  return { text, settings: parsed as Record<string, unknown> };
}

/** Where install remembers what it created in each settings file. */
export function installRecordPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'agent-trace', 'installed.json');
}

interface InstallRecord {
  v: 1;
  files: Record<string, Created>;
}

function loadRecord(): InstallRecord {
  try {
    const r = JSON.parse(readFileSync(installRecordPath(), 'utf8')) as InstallRecord;
    if (r && r.v === 1 && r.files && typeof r.files === 'object') return r;
  } catch {
    // none yet, or unreadable: uninstall falls back to removing the containers it empties
  }
  return { v: 1, files: {} };
}

/** Best effort: without the record, uninstall still removes every agent-trace entry. */
function saveRecord(record: InstallRecord): void {
  try {
    const path = installRecordPath();
    if (Object.keys(record.files).length === 0) {
      if (existsSync(path)) unlinkSync(path);
      try {
        rmdirSync(dirname(path));
      } catch {
        // holds something else
      }
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomicSync(path, `${JSON.stringify(record, null, 2)}\n`);
  } catch {
    // kept as it was
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function indentOf(text: string | undefined): string | number {
  const m = text ? /\n([ \t]+)"/.exec(text) : null;
  return m ? m[1]! : 2;
}

/** Writes through a symlink to its target, atomically, keeping the file's mode. */
function writeAtomic(path: string, text: string): void {
  let target = path;
  try {
    if (lstatSync(path).isSymbolicLink()) target = realpathSync(path);
  } catch {
    // does not exist yet
  }
  mkdirSync(dirname(target), { recursive: true });
  let mode = 0o644;
  try {
    mode = statSync(target).mode & 0o777;
  } catch {
    // new file
  }
  const tmp = join(dirname(target), `.${basename(target)}.agent-trace.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, target);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // gone
    }
    throw new CliError(`cannot write ${target}: ${(error as Error).message}`);
  }
}

/** A unified diff of two texts (line based, 3 lines of context). */
export function unifiedDiff(before: string, after: string, label: string): string {
  const a = before ? before.replace(/\n$/, '').split('\n') : [];
  const b = after ? after.replace(/\n$/, '').split('\n') : [];
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Array<{ t: ' ' | '-' | '+'; line: string; ai: number; bi: number }> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) ops.push({ t: ' ', line: a[i]!, ai: i++, bi: j++ });
    else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ t: '-', line: a[i]!, ai: i++, bi: j });
    else ops.push({ t: '+', line: b[j]!, ai: i, bi: j++ });
  }
  const out = [`--- ${before ? label : '/dev/null'}`, `+++ ${after ? label : '/dev/null'}`];
  const C = 3;
  // Ranges of ops around each change, merged when their context overlaps.
  const ranges: Array<[number, number]> = [];
  ops.forEach((o, idx) => {
    if (o.t === ' ') return;
    const lo = Math.max(0, idx - C);
    const hi = Math.min(ops.length, idx + C + 1);
    const prev = ranges[ranges.length - 1];
    if (prev && lo <= prev[1]) prev[1] = Math.max(prev[1], hi);
    else ranges.push([lo, hi]);
  });
  for (const [lo, hi] of ranges) {
    const hunk = ops.slice(lo, hi);
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    const aStart = hunk[0]!.ai;
    const bStart = hunk[0]!.bi;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}

function binPath(): string {
  const bin = process.argv[1];
  if (!bin) throw new CliError('cannot tell where agent-trace is installed (no script path)');
  try {
    return realpathSync(bin);
  } catch {
    return resolve(bin);
  }
}

export async function runInstall(options: InstallOptions): Promise<void> {
  const agent = options.agent ?? 'claude-code';
  if (agent !== 'claude-code') throw new CliError(`install supports --agent claude-code only (got "${agent}")`, 2);
  const scope = options.scope ?? 'user';
  const path = settingsPath(scope);
  const key = resolve(path);
  const { text, settings } = readSettings(path);
  const record = loadRecord();
  // What an earlier install created counts only while its entries are still there.
  const known = installedEvents(settings).length > 0 ? record.files[key] : undefined;

  let next: Record<string, unknown>;
  let changed: boolean;
  let message: string;
  let removeFile = false;
  if (options.uninstall) {
    const r = removeHooks(settings, known);
    next = r.settings;
    changed = r.changed;
    // A file install created, holding nothing else now, goes too (a symlink someone made there stays).
    removeFile = changed && known?.file === true && Object.keys(next).length === 0 && !isSymlink(path);
    message = changed
      ? `removed ${r.removed} agent-trace hook${r.removed === 1 ? '' : 's'} from ${path}${removeFile ? ', and the file itself (install had created it)' : ''}`
      : `no agent-trace hooks in ${path}; nothing to remove`;
  } else {
    const version = claudeVersion();
    const events = eventsFor(version);
    const withAsync = version === undefined || compareVersions(version, ASYNC_SINCE) >= 0;
    const dir = options.dir ?? process.env.AGENT_TRACE_DIR;
    const command = hookCommand(process.execPath, binPath(), dir ? resolve(dir) : undefined);
    let r;
    try {
      r = addHooks(settings, command, events, withAsync, known);
    } catch (error) {
      throw new CliError(`${path}: ${(error as Error).message}; fix it, then run this again — nothing was changed`);
    }
    next = r.settings;
    changed = r.changed;
    const skipped = EVENTS.length - events.length;
    message =
      (changed ? `installed agent-trace hooks for ${events.length} Claude Code events in ${path}` : `agent-trace hooks are already installed in ${path}; nothing to change`) +
      (version ? ` (Claude Code ${version})` : '') +
      (skipped && !version ? `\nnote: Claude Code's version is unknown (\`claude --version\` failed), so only the ${events.length} events every version supports were registered; run \`agent-trace install\` again once \`claude\` is on PATH to add ${skipped} more` : '') +
      (skipped && version ? `\nnote: ${skipped} newer hook events are not registered for Claude Code ${version}; run \`agent-trace install\` again after upgrading it` : '');
    if (scope === 'project' && changed) message += `\nnote: the command holds absolute paths of this machine; for a shared repository prefer --scope local`;
    if (/[\\/]_npx[\\/]/.test(command)) message += `\nnote: agent-trace runs from npx's temporary cache, which npm may clean; install it (npm install -g agent-trace) and run install again`;
    if (changed) message += `\nundo with: agent-trace uninstall${scope === 'user' ? '' : ` --scope ${scope}`}`;
  }

  const after = `${JSON.stringify(next, null, indentOf(text))}\n`;
  if (options.dryRun) {
    if (!changed) process.stdout.write(`${options.uninstall ? 'no agent-trace hooks to remove' : 'already installed'}; ${path} would not change\n`);
    else if (removeFile) process.stdout.write(`${unifiedDiff(text ?? '', '', path)}(${path} would be removed: install created it and nothing else is in it)\n`);
    else process.stdout.write(unifiedDiff(text ?? '', after, path));
    return;
  }
  if (options.uninstall) {
    if (removeFile) {
      removeSettingsFile(path, known!);
    } else if (changed) writeAtomic(path, after);
    if (record.files[key]) {
      delete record.files[key];
      saveRecord(record);
    }
  } else if (changed) {
    const dirExisted = existsSync(dirname(path));
    // Entries of an install that left no record (an older version): what it created is unknown, so none is
    // recorded and uninstall keeps removing the containers it empties.
    const unrecorded = installedEvents(settings).length > 0 && !known;
    writeAtomic(path, after);
    if (!unrecorded) {
      record.files[key] = createdBetween(settings, next, known, text !== undefined, dirExisted);
      saveRecord(record);
    }
  }
  process.stdout.write(`${message}\n`);
}

/** Removes a settings file install created, and its folder when install created that too and it is empty. */
function removeSettingsFile(path: string, created: Created): void {
  try {
    unlinkSync(path);
  } catch (error) {
    throw new CliError(`cannot remove ${path}: ${(error as Error).message}`);
  }
  if (created.dir) {
    try {
      rmdirSync(dirname(path));
    } catch {
      // not empty (something else lives there now): it stays
    }
  }
}
