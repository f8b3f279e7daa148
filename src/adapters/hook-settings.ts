import { InstallError, type InstallEnv } from './installer.js';

/**
 * Helpers for installers whose agent keeps Claude-style hook settings in a JSON file (Codex's hooks.json, Gemini
 * CLI's settings.json): the hook command, recognising agent-trace's own entries, editing the `hooks` object.
 */

/** The marker every command agent-trace installs ends with: how uninstall and doctor know our entries. */
export const MARKER = '# agent-trace';

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The command an agent runs for one hook event: the POSIX shell recorder (a few ms; no Node start-up). */
export function hookCommandFor(ie: InstallEnv, agent: string, event: string): string {
  return `/bin/sh ${shellQuote(ie.recordScript)} ${agent} ${event} ${shellQuote(ie.node)} ${shellQuote(ie.dataDir ?? '')} ${MARKER}`;
}

export function isOurs(command: unknown): boolean {
  return typeof command === 'string' && (command.includes(MARKER) || /agent-trace(\.js)?['"]? hook\b/.test(command) || /record\.sh'? /.test(command));
}

/** Reads a JSON object file (absent: {}); refuses a file that is not a JSON object, naming it. */
export function readJsonObject(path: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined || !text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InstallError(`${path} is not valid JSON (${(error as Error).message}); fix it, then run this again — nothing was changed`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InstallError(`${path} does not hold a JSON object; nothing was changed`);
  return parsed as Record<string, unknown>;
}

type HookEntry = { matcher?: string; hooks?: Array<Record<string, unknown>> } & Record<string, unknown>;

/**
 * Adds one matcher group per event running `command(event)` to a Claude-style `hooks` object (Codex's hooks.json
 * and Gemini's settings.json share the shape), keeping every other entry; removes ours first so install is
 * idempotent. With `uninstall`, only removes ours (and containers left empty that held nothing else).
 */
export function editHooks(doc: Record<string, unknown>, events: readonly string[], entryFor: (event: string) => HookEntry | undefined, uninstall: boolean): Record<string, unknown> {
  const out = { ...doc };
  const hooks = { ...((out.hooks && typeof out.hooks === 'object' && !Array.isArray(out.hooks) ? out.hooks : {}) as Record<string, unknown>) };
  for (const [event, list] of Object.entries(hooks)) {
    if (!Array.isArray(list)) continue;
    const kept = (list as HookEntry[])
      .map((group) => (Array.isArray(group?.hooks) ? { ...group, hooks: group.hooks.filter((h) => !isOurs(h?.command)) } : group))
      .filter((group) => !Array.isArray(group?.hooks) || group.hooks.length > 0);
    if (kept.length) hooks[event] = kept;
    else delete hooks[event];
  }
  if (!uninstall) {
    for (const event of events) {
      const entry = entryFor(event);
      if (!entry) continue;
      hooks[event] = [...((hooks[event] as HookEntry[] | undefined) ?? []), entry];
    }
  }
  if (Object.keys(hooks).length) out.hooks = hooks;
  else delete out.hooks;
  return out;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** dist/plugins/opencode.js, beside the bin's folder. */
export function opencodePluginPath(ie: InstallEnv): string {
  return ie.bin.replace(/[\\/]bin[\\/][^\\/]+$/, '/plugins/opencode.js');
}
