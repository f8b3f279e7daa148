/**
 * Claude Code settings files (`~/.claude/settings.json`, `.claude/settings.json`,
 * `.claude/settings.local.json`): adding and removing agent-trace's hook entries without touching anything
 * else. Pure functions over parsed JSON; the install command does the file work.
 *
 * Our entries are recognised by a marker at the end of the command (a shell comment), so uninstall removes
 * exactly what install added and nothing the user wrote — even a hand-made `agent-trace hook` entry.
 *
 * Claude Code refuses a whole settings file when it names a hook event the running version does not know
 * ("Invalid key in record … Files with errors are skipped entirely"), so events are registered only for the
 * versions that have them; an unknown version gets the events every version has.
 */

export const HOOK_MARKER = '# agent-trace';

export interface EventSpec {
  event: string;
  /** First Claude Code version known to have this hook event (undefined: every version with hooks). */
  since?: string;
  timeout: number;
  /** Tool events take a matcher; `*` matches every tool. */
  matcher?: string;
  /**
   * Fires on every tool call, and the transcript already holds the same facts (the call, its input, its result,
   * their times): registered only with `install --tool-events`. Claude Code spends ~5 ms starting each hook, on
   * the agent's path: a scripted `claude -p` with 4 tool calls took 1.12x its time with 12 hooks running only
   * `cat >/dev/null`, most of them these.
   */
  perToolCall?: boolean;
}

/** Where `since` is this version, the event was verified in it and its first version is not known. */
export const VERIFIED_VERSION = '2.1.332';

/**
 * The hook events agent-trace registers, per Claude Code version (2.1.332 knows 34, listed in its HOOK_EVENTS).
 * Every hook is synchronous: the recorder only copies the payload to the spool (a few ms), so Claude Code never
 * has a reason to cancel it, and each event is on disk before the agent goes on — the order of the spool is the
 * order of the session. (Measured with async hooks for the events that cannot precede exit: an async
 * SessionStart or UserPromptSubmit was sometimes recorded after the agent had moved on — a resumed turn
 * closed as interrupted, a prompt dated after its turn's Stop — for a gain lost in the noise of a session's
 * wall time.) Left out on purpose: `WorktreeCreate`/`WorktreeRemove` (a hook there *replaces* git worktree creation), `Setup`
 * (repository set-up, outside any session), `FileChanged` (fires only for files a matcher names), `DirectoryAdded`, `MessageDisplay` and `PreSkillShellCommand` (nothing to trace, and
 * a hook there takes part in what the agent shows or runs).
 */
export const EVENTS: EventSpec[] = [
  { event: 'SessionStart', timeout: 10 },
  { event: 'UserPromptSubmit', timeout: 10 },
  { event: 'UserPromptExpansion', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'PreToolUse', timeout: 10, matcher: '*', perToolCall: true },
  { event: 'PostToolUse', timeout: 10, matcher: '*', perToolCall: true },
  { event: 'PostToolUseFailure', since: '2.1.0', timeout: 10, matcher: '*' },
  { event: 'PostToolBatch', since: VERIFIED_VERSION, timeout: 10, perToolCall: true },
  { event: 'PermissionRequest', since: '2.0.45', timeout: 10, matcher: '*' },
  { event: 'PermissionDenied', since: VERIFIED_VERSION, timeout: 10, matcher: '*' },
  { event: 'Notification', timeout: 10 },
  { event: 'SubagentStart', since: '2.0.43', timeout: 10 },
  { event: 'SubagentStop', timeout: 10 },
  { event: 'TaskCreated', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'TaskCompleted', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'TeammateIdle', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'PreCompact', timeout: 10 },
  { event: 'PostCompact', since: '2.1.76', timeout: 10 },
  { event: 'PreModelSwitch', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'PostModelSwitch', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'Elicitation', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'ElicitationResult', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'InstructionsLoaded', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'ConfigChange', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'CwdChanged', since: VERIFIED_VERSION, timeout: 10 },
  { event: 'Stop', timeout: 10 },
  { event: 'StopFailure', since: '2.1.78', timeout: 10 },
  { event: 'SessionEnd', timeout: 10 },
];

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** The events to register for a Claude Code version (undefined: not known, so only the universal ones). */
export function eventsFor(version: string | undefined, options: { toolEvents?: boolean } = {}): EventSpec[] {
  return EVENTS.filter(
    (e) => (options.toolEvents || !e.perToolCall) && (e.since === undefined ? true : version !== undefined && compareVersions(version, e.since) >= 0),
  );
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_/.:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The hook command for one event: the shell recorder with absolute paths (no PATH, no environment needed),
 * the agent and event, the node that runs the worker, and the data dir fixed at install time ('' = the
 * default at run time; `AGENT_TRACE_DIR` in the hook's environment still wins).
 */
export function hookCommand(recordScript: string, event: string, node: string, dir?: string): string {
  // `exec`: the shell Claude Code starts (`/bin/sh -c`) becomes the recorder instead of waiting for a second one.
  const parts = ['exec', '/bin/sh', recordScript, 'claude-code', event, node, dir ?? ''].map((p) => (p === '' ? "''" : shellQuote(p)));
  return `${parts.join(' ')} ${HOOK_MARKER}`;
}

type Json = Record<string, unknown>;

/**
 * What install created in one settings file — the file itself, its folder, the `hooks` object, event lists —
 * so that uninstall takes away exactly that: containers the user already had stay, even when left empty.
 */
export interface Created {
  file: boolean;
  dir: boolean;
  hooks: boolean;
  events: string[];
}

/** What `after` (install's result) has that `before` (the file as found) did not, added to what was known. */
export function createdBetween(before: Json, after: Json, known: Created | undefined, fileExisted: boolean, dirExisted: boolean): Created {
  const keys = (s: Json) => (s.hooks && typeof s.hooks === 'object' && !Array.isArray(s.hooks) ? Object.keys(s.hooks as Json) : []);
  const had = new Set(keys(before));
  const has = new Set(keys(after));
  const events = new Set([...(known?.events ?? []), ...[...has].filter((e) => !had.has(e))]);
  return {
    file: known ? known.file : !fileExisted,
    dir: known ? known.dir : !dirExisted,
    hooks: known ? known.hooks : before.hooks === undefined,
    events: [...events].filter((e) => has.has(e)).sort(),
  };
}

export function isOurHook(hook: unknown): boolean {
  if (!hook || typeof hook !== 'object') return false;
  const command = (hook as Json).command;
  return typeof command === 'string' && command.trimEnd().endsWith(HOOK_MARKER);
}

function entryFor(spec: EventSpec, command: string): Json {
  const hook: Json = { type: 'command', command, timeout: spec.timeout };
  return spec.matcher !== undefined ? { matcher: spec.matcher, hooks: [hook] } : { hooks: [hook] };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Adds (or brings up to date) our entry for each event, keeping every other key, event and hook as it is.
 * Idempotent: applying it twice changes nothing the second time. Our entries for events no longer wanted
 * (a downgrade) are removed, and with them the event lists install had created (`created`).
 * Throws, changing nothing, when `hooks` or one of its events is not of the shape Claude Code reads: writing
 * our entries there would lose what the user had.
 */
export function addHooks(settings: Json, commandFor: (event: string) => string, events: EventSpec[], created?: Created): { settings: Json; changed: boolean } {
  const out: Json = structuredClone(settings);
  let hooks = out.hooks as Json | undefined;
  if (hooks !== undefined && (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks))) {
    throw new Error('its "hooks" key is not an object');
  }
  const malformed = Object.entries(hooks ?? {})
    .filter(([, v]) => !Array.isArray(v))
    .map(([event, v]) => `"${event}" (${v === null ? 'null' : typeof v === 'object' ? 'an object' : `a ${typeof v}`})`);
  if (malformed.length) {
    throw new Error(`under "hooks", ${malformed.join(' and ')} ${malformed.length === 1 ? 'is not a list' : 'are not lists'} of hook groups, as Claude Code expects`);
  }
  const wanted = new Set(events.map((e) => e.event));
  hooks = hooks ? hooks : {};
  for (const spec of events) {
    const desired = entryFor(spec, commandFor(spec.event));
    const groups = Array.isArray(hooks[spec.event]) ? (hooks[spec.event] as unknown[]) : [];
    const ours = groups.filter((g) => isOurGroup(g));
    if (ours.length === 1 && sameJson(ours[0], desired) && groups.every((g) => isOurGroup(g) || !containsOurs(g))) continue;
    // Drop our previous entries (and our hooks inside groups the user shares), then add the current one.
    const kept = groups.map((g) => withoutOurs(g)).filter((g): g is Json => g !== undefined);
    hooks[spec.event] = [...kept, desired];
  }
  for (const event of Object.keys(hooks)) {
    if (wanted.has(event) || !Array.isArray(hooks[event])) continue;
    const groups = hooks[event] as unknown[];
    if (!groups.some((g) => containsOurs(g))) continue;
    const kept = groups.map((g) => withoutOurs(g)).filter((g): g is Json => g !== undefined);
    if (kept.length || (created && !created.events.includes(event))) hooks[event] = kept;
    else delete hooks[event];
  }
  out.hooks = hooks;
  return { settings: out, changed: !sameJson(out, settings) };
}

/**
 * Removes exactly our hook entries. With `created` (what install recorded), a container left empty goes only
 * when install had created it; without a record (an install by an older version), every container left empty
 * by the removal goes.
 */
export function removeHooks(settings: Json, created?: Created): { settings: Json; changed: boolean; removed: number } {
  const out: Json = structuredClone(settings);
  const hooks = out.hooks;
  if (!hooks || typeof hooks !== 'object' || Array.isArray(hooks)) return { settings: out, changed: false, removed: 0 };
  let removed = 0;
  for (const event of Object.keys(hooks as Json)) {
    const groups = (hooks as Json)[event];
    if (!Array.isArray(groups)) continue;
    if (!groups.some((g) => containsOurs(g))) continue;
    const kept: unknown[] = [];
    for (const g of groups) {
      const count = countOurs(g);
      removed += count;
      const w = withoutOurs(g);
      if (w !== undefined) kept.push(w);
    }
    if (kept.length || (created && !created.events.includes(event))) (hooks as Json)[event] = kept;
    else delete (hooks as Json)[event];
  }
  if (removed > 0 && Object.keys(hooks as Json).length === 0 && (!created || created.hooks)) delete out.hooks;
  return { settings: out, changed: removed > 0, removed };
}

function groupHooks(g: unknown): unknown[] | undefined {
  if (!g || typeof g !== 'object') return undefined;
  const h = (g as Json).hooks;
  return Array.isArray(h) ? h : undefined;
}

function containsOurs(g: unknown): boolean {
  return groupHooks(g)?.some(isOurHook) ?? false;
}

function countOurs(g: unknown): number {
  return groupHooks(g)?.filter(isOurHook).length ?? 0;
}

function isOurGroup(g: unknown): boolean {
  const h = groupHooks(g);
  return h !== undefined && h.length > 0 && h.every(isOurHook);
}

/** The group without our hooks; undefined when nothing of the user's is left in it. */
function withoutOurs(g: unknown): Json | undefined {
  const h = groupHooks(g);
  if (!h) return g as Json;
  if (!h.some(isOurHook)) return g as Json;
  const rest = h.filter((x) => !isOurHook(x));
  if (rest.length === 0) return undefined;
  return { ...(g as Json), hooks: rest };
}

/** Our hooks per event in a settings object (for status and tests). */
export function installedEvents(settings: Json): string[] {
  const hooks = settings.hooks;
  if (!hooks || typeof hooks !== 'object') return [];
  return Object.entries(hooks as Json)
    .filter(([, groups]) => Array.isArray(groups) && groups.some((g) => containsOurs(g)))
    .map(([event]) => event);
}
