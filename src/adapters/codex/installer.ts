import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, editHooks, hookCommandFor, isOurs, readJsonObject } from '../hook-settings.js';
import type { AgentInstaller, InstallEnv, InstalledAt, InstallScope } from '../installer.js';
import { versionOf } from '../detect-util.js';

/**
 * Codex CLI: hooks in `$CODEX_HOME/hooks.json` (user) or `<repo>/.codex/hooks.json` (project), the events of the
 * installed version that a trace needs beside the rollout. Codex runs a hook only once the user has reviewed and trusted it (`/hooks` in the
 * TUI; trust is a hash per entry, kept in config.toml under `hooks.state`, and any edit invalidates it): that is
 * the user's security decision, so install never bypasses it — it says exactly what to do, and doctor tells
 * untrusted hooks from ones that never fired.
 */

/**
 * What the rollout (`transcript_path`) cannot tell, registered by default: the session's start (its process and
 * rollout) and end, each turn's end (the moment to read the rollout), a turn the person interrupted, and a
 * permission request (fires only when Codex asks). Codex starts every hook through its own hook runner, on the
 * agent's path: a scripted `codex exec` with 5 tool calls took 1.47x its time with all 12 events running only
 * `cat >/dev/null`. The rest — prompts, tool calls, compactions, subagents — the rollout records with their own ids.
 */
const CORE_0171 = ['SessionStart', 'PermissionRequest', 'Stop', 'Interrupt', 'SessionEnd'];
/** Versions before 0.171 (or unknown): no Interrupt or SessionEnd (the session then ends with its process). */
const CORE_OLDER = ['SessionStart', 'PermissionRequest', 'Stop'];
/** The events whose facts the rollout has too: registered only with `install --tool-events`. */
const ROLLOUT_EVENTS = ['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PreCompact', 'PostCompact', 'SubagentStart', 'SubagentStop'];
const TOOL_EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PermissionRequest']);
/** Codex clamps these to 3 s. */
const SHORT_EVENTS = new Set(['SessionEnd', 'Interrupt']);
/** Codex's own order of its events, so hooks.json reads like its documentation. */
const ORDER = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'PreCompact', 'PostCompact', 'SubagentStart', 'SubagentStop', 'Stop', 'Interrupt', 'SessionEnd'];

export function codexEvents(version: string | undefined, options: { toolEvents?: boolean } = {}): string[] {
  const core = version && compareVersions(version, '0.171.0') >= 0 ? CORE_0171 : CORE_OLDER;
  const chosen = new Set([...core, ...(options.toolEvents ? ROLLOUT_EVENTS : [])]);
  return ORDER.filter((e) => chosen.has(e));
}

function codexHome(ie: InstallEnv): string {
  return ie.env.CODEX_HOME || join(ie.home, '.codex');
}

function hooksPath(ie: InstallEnv, scope: InstallScope): string {
  return scope === 'user' ? join(codexHome(ie), 'hooks.json') : join(ie.cwd, '.codex', 'hooks.json');
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The events of a hooks file that config.toml records no trust for. Codex keys trust by
 * `<hooks file>:<event in snake_case>:<group>:<hook>` (`[hooks.state."/h/.codex/hooks.json:session_start:0:0"]`,
 * `trusted_hash = "sha256:…"`); a hash made stale by an edit is not seen here (Codex asks again at its start).
 */
export function untrustedEvents(configToml: string | undefined, hooksFile: string, events: readonly string[]): string[] {
  const trusted = new Set<string>();
  let current: string | undefined;
  for (const line of (configToml ?? '').split('\n')) {
    const t = line.trim();
    const table = /^\[\s*hooks\.state\.(?:"((?:[^"\\]|\\.)*)"|'([^']*)')\s*\]$/.exec(t);
    if (t.startsWith('[')) current = table ? (table[1] ?? table[2]) : undefined;
    else if (current && /^trusted_hash\s*=\s*["']sha256:/.test(t)) trusted.add(current);
  }
  const snake = (e: string) => e.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return events.filter((e) => ![...trusted].some((key) => key.startsWith(`${hooksFile}:${snake(e)}:`)));
}

export const codexInstaller: AgentInstaller = {
  agent: 'codex',
  label: 'Codex CLI',
  scopes: ['user', 'project'],
  detect(ie) {
    const version = versionOf('codex', ie.env);
    const home = codexHome(ie);
    return { found: version !== undefined || existsSync(home), ...(version ? { version } : {}), where: home };
  },
  plan(ie, scope, { uninstall, version, toolEvents }) {
    const path = hooksPath(ie, scope);
    const before = read(path);
    const doc = readJsonObject(path, before);
    const events = codexEvents(version, { toolEvents: toolEvents === true });
    const after = editHooks(
      doc,
      events,
      (event) => ({
        ...(TOOL_EVENTS.has(event) ? { matcher: '.*' } : {}),
        hooks: [{ type: 'command', command: hookCommandFor(ie, 'codex', event), timeout: SHORT_EVENTS.has(event) ? 3 : 5 }],
      }),
      uninstall,
    );
    const text = Object.keys(after).length || before !== undefined ? `${JSON.stringify(after, null, 2)}\n` : undefined;
    const notes = uninstall
      ? [text === before ? `Codex CLI: no agent-trace hooks in ${path}` : `Codex CLI: removed the agent-trace hooks from ${path}`]
      : [
          text === before ? `Codex CLI: agent-trace hooks are already in ${path}` : `Codex CLI: agent-trace hooks for ${events.length} events in ${path}`,
          `Codex runs new hooks only after you trust them: start \`codex\`${scope === 'project' ? ' in this repository' : ''}; it asks to review the ${events.length} new hooks — choose "Trust all and continue" (or review them with /hooks).`,
          'Until then Codex skips them; `agent-trace doctor` shows whether they are trusted and firing. Sessions can always be imported: agent-trace import ~/.codex/sessions',
          ...(toolEvents ? [] : ['note: prompts and tool calls are read from the rollout; `--tool-events` also hooks each of them (each hook costs Codex a process start)']),
        ];
    return { edits: text === before ? [] : [{ path, before, after: text }], notes, memo: {} };
  },
  status(ie) {
    const out: InstalledAt[] = [];
    const config = read(join(codexHome(ie), 'config.toml'));
    for (const scope of ['user', 'project'] as const) {
      const path = hooksPath(ie, scope);
      const text = read(path);
      if (text === undefined) continue;
      let hooks: Record<string, unknown> = {};
      try {
        hooks = (JSON.parse(text) as { hooks?: Record<string, unknown> }).hooks ?? {};
      } catch {
        out.push({ scope, path, events: [], blockers: [`${path} is not valid JSON: Codex ignores it`] });
        continue;
      }
      const events = Object.entries(hooks)
        .filter(([, list]) => Array.isArray(list) && (list as Array<{ hooks?: Array<{ command?: unknown }> }>).some((g) => g.hooks?.some((h) => isOurs(h.command))))
        .map(([event]) => event);
      if (!events.length) continue;
      const untrusted = untrustedEvents(config, path, events);
      const blockers = untrusted.length
        ? [`${untrusted.length} of ${events.length} hooks are not trusted yet (${untrusted.join(', ')}), so Codex skips them: start \`codex\` and choose "Trust all and continue" (or /hooks)`]
        : [];
      out.push({ scope, path, events, blockers });
    }
    return out;
  },
};
