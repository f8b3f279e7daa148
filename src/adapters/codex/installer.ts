import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, editHooks, hookCommandFor, isOurs, readJsonObject } from '../hook-settings.js';
import type { AgentInstaller, InstallEnv, InstalledAt, InstallScope } from '../installer.js';
import { versionOf } from '../detect-util.js';

/**
 * Codex CLI: hooks in `$CODEX_HOME/hooks.json` (user) or `<repo>/.codex/hooks.json` (project), every event the
 * installed version sends. Codex runs a hook only once the user has reviewed and trusted it (`/hooks` in the
 * TUI; trust is a hash per entry, kept in config.toml under `hooks.state`, and any edit invalidates it): that is
 * the user's security decision, so install never bypasses it — it says exactly what to do, and doctor tells
 * untrusted hooks from ones that never fired.
 */

/** The events Codex 0.171 sends (SessionEnd and Interrupt come from the interactive TUI). */
const EVENTS_0171 = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'PreCompact', 'PostCompact', 'SubagentStart', 'SubagentStop', 'Stop', 'Interrupt', 'SessionEnd'];
/** Versions before 0.171 (or unknown): the events every hooks-capable version documents. */
const EVENTS_OLDER = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PermissionRequest', 'PostToolUse', 'PreCompact', 'PostCompact', 'SubagentStart', 'SubagentStop', 'Stop'];
const TOOL_EVENTS = new Set(['PreToolUse', 'PostToolUse', 'PermissionRequest']);
/** Codex clamps these to 3 s. */
const SHORT_EVENTS = new Set(['SessionEnd', 'Interrupt']);

export function codexEvents(version: string | undefined): string[] {
  return version && compareVersions(version, '0.171.0') >= 0 ? EVENTS_0171 : EVENTS_OLDER;
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

/** How many hook entries config.toml records as trusted (`[hooks.state.…]` tables with a `trusted_hash`). */
export function trustedEntries(configToml: string | undefined): number {
  if (!configToml) return 0;
  let count = 0;
  let inHookState = false;
  for (const line of configToml.split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) inHookState = /^\[\s*hooks\.state\b/.test(t);
    else if (inHookState && /^trusted_hash\s*=/.test(t)) count++;
    else if (/^hooks\.state\..*trusted_hash\s*=/.test(t)) count++;
  }
  return count;
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
  plan(ie, scope, { uninstall, version }) {
    const path = hooksPath(ie, scope);
    const before = read(path);
    const doc = readJsonObject(path, before);
    const events = codexEvents(version);
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
          `Codex runs new hooks only after you trust them: start \`codex\`${scope === 'project' ? ' in this repository' : ''}, type /hooks, review the ${events.length} agent-trace entries and trust them.`,
          'Until then Codex skips them; `agent-trace doctor` shows whether they are trusted and firing. Sessions can always be imported: agent-trace import ~/.codex/sessions',
        ];
    return { edits: text === before ? [] : [{ path, before, after: text }], notes, memo: {} };
  },
  status(ie) {
    const out: InstalledAt[] = [];
    const trusted = trustedEntries(read(join(codexHome(ie), 'config.toml')));
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
      const blockers = trusted < events.length ? [`${events.length - trusted > 0 ? events.length - trusted : events.length} of ${events.length} hooks may not be trusted yet: start \`codex\`, type /hooks and trust the agent-trace entries`] : [];
      out.push({ scope, path, events, blockers });
    }
    return out;
  },
};
