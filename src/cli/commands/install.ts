import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { structuredPatch } from 'diff';
import { INSTALLERS } from '../../adapters/installers.js';
import { InstallError, type AgentInstaller, type FileEdit, type InstallEnv, type InstallScope } from '../../adapters/installer.js';
import { loadConfig } from '../../config.js';
import { writeFileAtomicSync } from '../../store/atomic-write.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from '../options.js';

/**
 * `agent-trace install|uninstall [--agent claude-code|codex|gemini|opencode|all] [--scope user|project|local]
 * [--dry-run]`: the framework around each agent's installer (src/adapters/<agent>/installer.ts). It picks the
 * agents (default: every one found on this machine), asks each for its file edits, applies them atomically
 * (temp file in the same folder, fsync, rename — through a symlink to its target, keeping the mode), prints a
 * diff instead with --dry-run, and says which agents it wired and where.
 *
 * Uninstall is install's byte-exact reverse. Per edited file, `${XDG_STATE_HOME:-~/.local/state}/agent-trace/
 * installed.json` keeps (0600) the bytes the file had before install and a hash of what install wrote: while
 * the file is still exactly that, uninstall puts the original bytes back (or removes the file install
 * created). A file edited since is handled by the installer, which removes only its own entries, keeping the
 * file's indentation and final newline, and the containers the user had (from what install created).
 */

export interface InstallOptions extends GlobalOptions {
  agent?: string;
  scope?: string;
  dryRun?: boolean;
  uninstall: boolean;
  toolEvents?: boolean;
}

/** Where install remembers what it created in each settings file. */
export function installRecordPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'agent-trace', 'installed.json');
}

/** Per file: the installer's memo, and what makes uninstall byte-exact. */
type FileRecord = Record<string, unknown> & { agent?: string; original?: string | null; written?: string };

interface InstallRecord {
  v: 1;
  files: Record<string, FileRecord>;
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
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
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

/** A unified diff of two texts (3 lines of context), computed by the `diff` package, for `--dry-run`. */
export function unifiedDiff(before: string, after: string, label: string): string {
  const { hunks } = structuredPatch(label, label, before, after, '', '', { context: 3 });
  const out = [`--- ${before ? label : '/dev/null'}`, `+++ ${after ? label : '/dev/null'}`];
  for (const h of hunks) {
    // An empty side starts at line 0, as diff(1) writes it.
    out.push(`@@ -${h.oldLines ? h.oldStart : h.oldStart - 1},${h.oldLines} +${h.newLines ? h.newStart : h.newStart - 1},${h.newLines} @@`);
    for (const line of h.lines) if (!line.startsWith('\\')) out.push(line);
  }
  return `${out.join('\n')}\n`;
}

const hash = (text: string): string => createHash('sha256').update(text).digest('hex');

function binPath(): string {
  const bin = process.argv[1];
  if (!bin) throw new CliError('cannot tell where agent-trace is installed (no script path)');
  try {
    return realpathSync(bin);
  } catch {
    return resolve(bin);
  }
}

/** What every installer needs to know about this machine and this agent-trace. */
export function installEnv(options: GlobalOptions): InstallEnv {
  const env = process.env;
  const bin = binPath();
  let configDir: string | undefined;
  try {
    configDir = loadConfig().dir;
  } catch {
    // a broken config file is reported by the commands that need it
  }
  const dir = options.dir ?? env.AGENT_TRACE_DIR ?? configDir;
  return {
    env,
    cwd: process.cwd(),
    home: env.HOME || homedir(),
    ...(dir ? { dataDir: resolve(dir) } : {}),
    node: process.execPath,
    bin,
    recordScript: join(dirname(bin), '..', 'hook', 'record.sh').replace(/\/bin\/\.\.\//, '/'),
  };
}

/** The installers to run: named ones, `all`, or (by default) every agent found here — Claude Code when none is. */
function chooseInstallers(agent: string | undefined, ie: InstallEnv, uninstall: boolean): { chosen: AgentInstaller[]; why: string } {
  if (agent && agent !== 'all') {
    const one = INSTALLERS.find((i) => i.agent === agent || (agent === 'claude' && i.agent === 'claude-code'));
    if (!one) throw new CliError(`--agent must be one of ${[...INSTALLERS.map((i) => i.agent), 'all'].join(', ')} (got "${agent}")`, 2);
    return { chosen: [one], why: '' };
  }
  if (agent === 'all' || uninstall) return { chosen: [...INSTALLERS], why: '' };
  const found = INSTALLERS.filter((i) => i.detect(ie).found);
  if (found.length) return { chosen: found, why: `agents found on this machine: ${found.map((i) => i.label).join(', ')}` };
  return { chosen: INSTALLERS.filter((i) => i.agent === 'claude-code'), why: 'no agent found on this machine; installing for Claude Code' };
}

function applyEdit(edit: FileEdit, removeDir: boolean): void {
  if (edit.after === undefined) {
    try {
      unlinkSync(edit.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot remove ${edit.path}: ${(error as Error).message}`);
    }
    if (removeDir) {
      try {
        rmdirSync(dirname(edit.path));
      } catch {
        // not empty (something else lives there now): it stays
      }
    }
    return;
  }
  writeAtomic(edit.path, edit.after);
}

export async function runInstall(options: InstallOptions): Promise<void> {
  const ie = installEnv(options);
  const scope = (options.scope ?? 'user') as InstallScope;
  if (!['user', 'project', 'local'].includes(scope)) throw new CliError(`--scope must be user, project or local (got "${scope}")`, 2);
  const { chosen, why } = chooseInstallers(options.agent, ie, options.uninstall);
  const record = loadRecord();
  const out: string[] = [];
  // Which agents, and why: on stderr for a dry run, whose stdout is the diff alone.
  if (why && !options.uninstall) {
    if (options.dryRun) process.stderr.write(`agent-trace: ${why}\n`);
    else out.push(why);
  }
  let recordChanged = false;
  for (const installer of chosen) {
    if (!installer.scopes.includes(scope)) {
      out.push(`${installer.label}: --scope ${scope} is not supported (${installer.scopes.join(', ')})`);
      continue;
    }
    const version = options.uninstall ? undefined : installer.detect(ie).version;
    let plan;
    try {
      // Which file the installer would edit is known only from its plan: memos are looked up per path.
      const base = { uninstall: options.uninstall, toolEvents: options.toolEvents === true, ...(version ? { version } : {}) };
      const probe = installer.plan(ie, scope, base);
      const path = probe.edits[0]?.path;
      const memo = path ? record.files[resolve(path)] : undefined;
      plan = memo ? installer.plan(ie, scope, { ...base, memo }) : probe;
    } catch (error) {
      if (error instanceof InstallError) throw new CliError(error.message);
      throw error;
    }
    for (const edit of plan.edits) {
      const key = resolve(edit.path);
      const rec = record.files[key];
      let after = edit.after;
      let removeDir = plan.memo?.removeDir === true;
      // Byte-exact: a file still exactly as install wrote it gets its original bytes back.
      if (options.uninstall && rec?.written !== undefined && edit.before !== undefined && hash(edit.before) === rec.written && rec.original !== undefined) {
        after = rec.original === null ? undefined : rec.original;
        removeDir = rec.original === null && rec.dir === true;
      }
      // A settings file that is a symlink someone made stays: emptied, not removed.
      if (after === undefined && isSymlink(edit.path)) after = '{}\n';
      if (after === edit.before) continue;
      if (options.dryRun) {
        if (after === undefined) out.push(`${unifiedDiff(edit.before ?? '', '', edit.path)}(${edit.path} would be removed: install created it and nothing else is in it)`);
        else out.push(unifiedDiff(edit.before ?? '', after, edit.path).trimEnd());
        continue;
      }
      applyEdit({ ...edit, after }, removeDir);
      if (options.uninstall) {
        delete record.files[key];
      } else if (!plan.memo) {
        // Entries of an install that kept no record (an older version): nothing known to restore.
        delete record.files[key];
      } else {
        const original = rec?.written !== undefined && edit.before !== undefined && hash(edit.before) === rec.written ? rec.original : rec ? undefined : edit.before ?? null;
        record.files[key] = { ...(plan.memo ?? {}), agent: installer.agent, ...(original !== undefined ? { original } : {}), written: hash(after ?? '') };
      }
      recordChanged = true;
    }
    if (options.dryRun && !plan.edits.length) out.push(`${installer.label}: ${options.uninstall ? 'no agent-trace hooks to remove' : 'already installed'}; its settings would not change`);
    else if (!options.dryRun) out.push(...plan.notes);
    if (!options.dryRun && !options.uninstall && plan.edits.length) out.push(`undo with: agent-trace uninstall${chosen.length > 1 || options.agent ? ` --agent ${installer.agent}` : ''}${scope === 'user' ? '' : ` --scope ${scope}`}`);
  }
  if (recordChanged) saveRecord(record);
  process.stdout.write(`${out.join('\n')}\n`);
}
