import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InstallError, type AgentInstaller, type InstallEnv, type InstallOptions, type InstallPlan, type InstallScope, type InstalledAt } from '../installer.js';
import { addHooks, createdBetween, eventsFor, EVENTS, hookCommand, installedEvents, removeHooks, type Created } from './settings.js';

/** Claude Code: hooks in `settings.json` (user), `.claude/settings.json` (project) or `.claude/settings.local.json` (local). */

export function settingsPath(scope: InstallScope, ie: Pick<InstallEnv, 'env' | 'home' | 'cwd'>): string {
  switch (scope) {
    case 'user':
      return join(ie.env.CLAUDE_CONFIG_DIR || join(ie.home, '.claude'), 'settings.json');
    case 'project':
      return join(ie.cwd, '.claude', 'settings.json');
    case 'local':
      return join(ie.cwd, '.claude', 'settings.local.json');
  }
}

/** The installed Claude Code version (`AGENT_TRACE_CLAUDE_VERSION` overrides, '' meaning unknown). */
export function claudeVersion(env: NodeJS.ProcessEnv): string | undefined {
  const forced = env.AGENT_TRACE_CLAUDE_VERSION;
  if (forced !== undefined) return /\d+\.\d+\.\d+/.exec(forced)?.[0];
  try {
    const r = spawnSync('claude', ['--version'], { encoding: 'utf8', timeout: 8_000, env, stdio: ['ignore', 'pipe', 'ignore'], shell: process.platform === 'win32' });
    return /(\d+\.\d+\.\d+)/.exec(r.stdout ?? '')?.[1];
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InstallError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function parse(path: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined || !text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InstallError(`${path} is not valid JSON (${(error as Error).message}); fix it, then run this again — nothing was changed`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InstallError(`${path} does not hold a JSON object; fix it, then run this again — nothing was changed`);
  return parsed as Record<string, unknown>;
}

/** The file's own indentation and final newline are kept (a file without one gets none). */
function render(value: Record<string, unknown>, like: string | undefined): string {
  const m = like ? /\n([ \t]+)"/.exec(like) : null;
  const text = JSON.stringify(value, null, m ? m[1]! : 2);
  return like === undefined || like.endsWith('\n') || !like.trim() ? `${text}\n` : text;
}

function plan(ie: InstallEnv, scope: InstallScope, options: InstallOptions): InstallPlan {
  const path = settingsPath(scope, ie);
  const text = readText(path);
  const settings = parse(path, text);
  // What an earlier install created counts only while its entries are still there.
  const known = installedEvents(settings).length > 0 ? (options.memo as Created | undefined) : undefined;
  if (options.uninstall) {
    const r = removeHooks(settings, known);
    if (!r.changed) return { edits: [], notes: [`no agent-trace hooks in ${path}; nothing to remove`] };
    const next = r.settings;
    // A file install created, holding nothing else now, goes too.
    const removeFile = known?.file === true && Object.keys(next).length === 0;
    return {
      edits: [{ path, before: text, after: removeFile ? undefined : render(next, text) }],
      notes: [`removed ${r.removed} agent-trace hook${r.removed === 1 ? '' : 's'} from ${path}${removeFile ? ', and the file itself (install had created it)' : ''}`],
      ...(removeFile && known?.dir ? { memo: { removeDir: true } } : {}),
    };
  }
  const version = options.version;
  const events = eventsFor(version, { toolEvents: options.toolEvents === true });
  let r;
  try {
    r = addHooks(settings, (event) => hookCommand(ie.recordScript, event, ie.node, ie.dataDir), events, known);
  } catch (error) {
    throw new InstallError(`${path}: ${(error as Error).message}; fix it, then run this again — nothing was changed`);
  }
  // Events this version does not know (the per-tool-call ones left out by choice are not counted here).
  const skipped = EVENTS.filter((e) => options.toolEvents || !e.perToolCall).length - events.length;
  const notes = [
    (r.changed ? `installed agent-trace hooks for ${events.length} Claude Code events in ${path}` : `agent-trace hooks are already installed in ${path}; nothing to change`) +
      (version ? ` (Claude Code ${version})` : ''),
  ];
  if (skipped && !version) notes.push(`note: Claude Code's version is unknown (\`claude --version\` failed), so only the ${events.length} events every version supports were registered; run \`agent-trace install\` again once \`claude\` is on PATH to add ${skipped} more`);
  if (skipped && version) notes.push(`note: ${skipped} newer hook events are not registered for Claude Code ${version}; run \`agent-trace install\` again after upgrading it`);
  if (!options.toolEvents && r.changed) notes.push('note: tool calls are read from the transcript; `--tool-events` also hooks every tool call (exact start times while it runs, ~5 ms of Claude Code\'s time per hook)');
  if (scope === 'project' && r.changed) notes.push('note: the command holds absolute paths of this machine; for a shared repository prefer --scope local');
  if (/[\\/]_npx[\\/]/.test(ie.bin)) notes.push("note: agent-trace runs from npx's temporary cache, which npm may clean; install it (npm install -g agent-trace) and run install again");
  if (!r.changed) return { edits: [], notes };
  // Entries of an install that left no record (an older version): what it created is unknown, so none is kept.
  const unrecorded = installedEvents(settings).length > 0 && !known;
  const memo = unrecorded ? undefined : (createdBetween(settings, r.settings, known, text !== undefined, existsSync(join(path, '..'))) as unknown as Record<string, unknown>);
  return { edits: [{ path, before: text, after: render(r.settings, text) }], notes, ...(memo ? { memo } : {}) };
}

function status(ie: InstallEnv): InstalledAt[] {
  const out: InstalledAt[] = [];
  for (const scope of ['user', 'project', 'local'] as const) {
    const path = settingsPath(scope, ie);
    let settings: Record<string, unknown>;
    try {
      settings = parse(path, readText(path));
    } catch (error) {
      out.push({ scope, path, events: [], blockers: [(error as Error).message] });
      continue;
    }
    const events = installedEvents(settings);
    if (!events.length) continue;
    const blockers: string[] = [];
    if (settings.disableAllHooks === true) blockers.push('"disableAllHooks": true in this file turns every hook off');
    const missing = /'([^']+record\.sh)'|\s(\/\S+record\.sh)\s/.exec(JSON.stringify(settings.hooks));
    const script = missing?.[1] ?? missing?.[2];
    if (script && !existsSync(script)) blockers.push(`the hook command runs ${script}, which does not exist (agent-trace moved?): run \`agent-trace install\` again`);
    out.push({ scope, path, events, blockers });
  }
  return out;
}

export const claudeCodeInstaller: AgentInstaller = {
  agent: 'claude-code',
  label: 'Claude Code',
  scopes: ['user', 'project', 'local'],
  detect(ie) {
    const version = claudeVersion(ie.env);
    const dir = ie.env.CLAUDE_CONFIG_DIR || join(ie.home, '.claude');
    if (version) return { found: true, version, where: 'claude on PATH' };
    return existsSync(dir) ? { found: true, where: dir } : { found: false };
  },
  plan,
  status,
};
