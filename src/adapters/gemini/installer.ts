import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { versionOf } from '../detect-util.js';
import { editHooks, hookCommandFor, isOurs, readJsonObject } from '../hook-settings.js';
import type { AgentInstaller, InstallEnv, InstalledAt, InstallScope } from '../installer.js';

/**
 * Gemini CLI: hooks in `~/.gemini/settings.json` (user) or `<project>/.gemini/settings.json`. Gemini runs hooks
 * synchronously — the CLI waits for each one — so only the events a trace needs are registered, each running the
 * shell recorder (a few ms): SessionStart (the session and its process), AfterAgent (a turn ended: the chat file
 * is read then), SessionEnd and Notification (permission requests). Prompts, model calls, tokens and tools come
 * from the chat file (`transcript_path`), not from per-tool or per-chunk hooks that would cost a process each.
 */
export const GEMINI_EVENTS = ['SessionStart', 'AfterAgent', 'SessionEnd', 'Notification'];

function settingsPath(ie: InstallEnv, scope: InstallScope): string {
  return scope === 'user' ? join(ie.home, '.gemini', 'settings.json') : join(ie.cwd, '.gemini', 'settings.json');
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export const geminiInstaller: AgentInstaller = {
  agent: 'gemini',
  label: 'Gemini CLI',
  scopes: ['user', 'project'],
  detect(ie) {
    const version = versionOf('gemini', ie.env);
    const where = join(ie.home, '.gemini');
    return { found: version !== undefined || existsSync(where), ...(version ? { version } : {}), where };
  },
  plan(ie, scope, { uninstall }) {
    const path = settingsPath(ie, scope);
    const before = read(path);
    const doc = readJsonObject(path, before);
    const after = editHooks(doc, GEMINI_EVENTS, (event) => ({ hooks: [{ type: 'command', command: hookCommandFor(ie, 'gemini', event), name: 'agent-trace' }] }), uninstall);
    const text = Object.keys(after).length || before !== undefined ? `${JSON.stringify(after, null, 2)}\n` : undefined;
    const note = uninstall
      ? text === before ? `Gemini CLI: no agent-trace hooks in ${path}` : `Gemini CLI: removed the agent-trace hooks from ${path}`
      : text === before ? `Gemini CLI: agent-trace hooks are already in ${path}` : `Gemini CLI: agent-trace hooks for ${GEMINI_EVENTS.join(', ')} in ${path}`;
    return { edits: text === before ? [] : [{ path, before, after: text }], notes: [note], memo: {} };
  },
  status(ie) {
    const out: InstalledAt[] = [];
    for (const scope of ['user', 'project'] as const) {
      const path = settingsPath(ie, scope);
      const text = read(path);
      if (text === undefined) continue;
      let settings: { hooks?: Record<string, unknown>; hooksConfig?: { enabled?: unknown } } = {};
      try {
        settings = JSON.parse(text) as typeof settings;
      } catch {
        out.push({ scope, path, events: [], blockers: [`${path} is not valid JSON: Gemini CLI ignores it`] });
        continue;
      }
      const events = Object.entries(settings.hooks ?? {})
        .filter(([, list]) => Array.isArray(list) && (list as Array<{ hooks?: Array<{ command?: unknown }> }>).some((g) => g.hooks?.some((h) => isOurs(h.command))))
        .map(([event]) => event);
      if (!events.length) continue;
      const blockers = settings.hooksConfig?.enabled === false ? ['hooks are turned off in this settings file (hooksConfig.enabled: false)'] : [];
      out.push({ scope, path, events, blockers });
    }
    return out;
  },
};
