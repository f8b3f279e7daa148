import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync, utimesSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { mainTranscriptFor, readClaudeSession, readOrphanAgentFile, type ParsedFile } from '../../adapters/claude-code/import.js';
import { loadIngestState, saveIngestState, TRANSCRIPT_LOCK } from '../../adapters/claude-code/ingest-state.js';
import { readHead } from '../../adapters/import-util.js';
import { IMPORTERS, importerFor } from '../../adapters/registry.js';
import type { ImportAdapter } from '../../adapters/types.js';
import type { AgentEvent } from '../../events/types.js';
import { validateEvent } from '../../events/validate.js';
import { writeFileAtomicSync } from '../../store/atomic-write.js';
import { appendSync } from '../../store/fs-util.js';
import { encodeEvents, readJournal } from '../../store/journal.js';
import { checkLiveness, DEFAULT_INACTIVITY_MINUTES, importedEnding } from '../../store/liveness.js';
import { acquireSync } from '../../store/lock.js';
import type { SessionStore } from '../../store/session-store.js';
import { cliContext } from '../context.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from '../options.js';

export interface ImportOptions extends GlobalOptions {
  agent?: string;
  json?: boolean;
}

export interface ImportResult {
  sessionId: string;
  traceFile: string;
  spans: number;
}

const SKIP_DIRS = new Set(['node_modules', '.git']);

/** Files under the given paths, folders walked recursively (sorted, so the order is deterministic). */
function collectFiles(paths: string[]): string[] {
  const files: string[] = [];
  const seen = new Set<string>();
  const walk = (p: string, depth: number): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isFile()) {
      const real = safeRealpath(p);
      if (!seen.has(real)) {
        seen.add(real);
        files.push(p);
      }
    } else if (st.isDirectory() && depth < 12) {
      let names: string[];
      try {
        names = readdirSync(p).sort();
      } catch {
        return;
      }
      for (const name of names) if (!SKIP_DIRS.has(name)) walk(join(p, name), depth + 1);
    }
  };
  for (const p of paths) walk(resolve(p), 0);
  return files;
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function pickImporter(path: string, forced: ImportAdapter | undefined): ImportAdapter | undefined {
  let head: string;
  try {
    head = readHead(path);
  } catch {
    return undefined;
  }
  if (forced) return forced.detect(path, head) || /\.(jsonl?|json)$/i.test(path) ? forced : undefined;
  return IMPORTERS.find((i) => {
    try {
      return i.detect(path, head);
    } catch {
      return false;
    }
  });
}

export interface ImportEnding {
  now: number;
  /** A session idle for longer than this is over (else it may still be running). */
  inactivityMs: number;
}

export interface ReplaceOutcome {
  /** Events of other sources (hooks, the in-process tracer) are in the journal: their status truth rules. */
  recorded: boolean;
}

/**
 * Puts one imported session in the store. The journal is rewritten (atomically, under the session lock):
 * events of the sources this import produced are replaced by the new ones, events of every other source
 * (hooks, liveness) are kept, and all are merged in time order — so importing the same input twice gives
 * the same journal and the same trace, and an import never duplicates what hooks recorded.
 *
 * With `ending`, a session only imports know of that has been idle past the limit gets the end its events show
 * (`importedEnding`: completed, or interrupted when its last turn visibly was); a session the hooks recorded
 * keeps their status truth (SessionEnd, or the liveness check of its agent process).
 */
export function replaceSessionEvents(store: SessionStore, sessionId: string, events: AgentEvent[], ending?: ImportEnding): ReplaceOutcome {
  const folder = store.ensureSession(sessionId);
  const journal = store.journalPath(sessionId);
  const prepare = (e: AgentEvent) => store.redactor.redactEvent(validateEvent(e));
  const incoming = events.map(prepare);
  // An import's own events (its ending included) are always its to replace, whatever this run produces.
  const sources = new Set(['import', ...incoming.map((e) => e.source ?? '')]);
  const release = acquireSync(folder, { waitMs: 10_000 });
  if (!release) throw new CliError(`session ${sessionId} is locked by another agent-trace process; try again`);
  try {
    const { events: existing, end } = readJournal(journal);
    let kept = existing.filter((e) => !sources.has(e.source ?? ''));
    const recorded = kept.some((e) => e.source !== 'system');
    if (!recorded) {
      // Only imports wrote this session: an interruption liveness guessed before is the import's to settle.
      kept = kept.filter((e) => e.type !== 'session.interrupted');
      let last = 0;
      for (const e of events) if (e.time > last) last = e.time;
      const over = ending && ending.now - last > ending.inactivityMs ? importedEnding(sessionId, events) : undefined;
      if (over) incoming.push(prepare(over));
    }
    const merged = mergeByTime(kept, incoming);
    // Hooks append without the lock: keep the old file open across the replacement and carry over any
    // line that landed in it after it was read.
    let oldFd: number | undefined;
    try {
      oldFd = openSync(journal, 'r');
    } catch {
      oldFd = undefined;
    }
    try {
      const text = encodeEvents(merged);
      writeFileAtomicSync(journal, text);
      const carried = oldFd !== undefined ? carryOver(oldFd, end, journal) : false;
      // The journal's time is the session's last activity (liveness and retention read it), not the import's.
      if (!carried) keepActivityTime(journal, Buffer.byteLength(text), merged);
    } finally {
      if (oldFd !== undefined) closeSync(oldFd);
    }
    return { recorded };
  } finally {
    release();
  }
}

function keepActivityTime(journal: string, size: number, events: readonly AgentEvent[]): void {
  let last = 0;
  for (const e of events) if (e.time > last) last = e.time;
  if (last <= 0 || last >= Date.now()) return;
  try {
    if (statSync(journal).size !== size) return; // a hook appended meanwhile: that is newer activity
    const at = new Date(last);
    utimesSync(journal, at, at);
  } catch {
    // the time stays as it is
  }
}

/** Appends to the new journal what hooks appended to the old one after it was read; true when anything was. */
function carryOver(fd: number, from: number, journal: string): boolean {
  const size = fstatSync(fd).size;
  if (size <= from) return false;
  const buf = Buffer.alloc(size - from);
  let read = 0;
  while (read < buf.length) {
    const n = readSync(fd, buf, read, buf.length - read, from + read);
    if (n === 0) break;
    read += n;
  }
  const lastNl = buf.subarray(0, read).lastIndexOf(10);
  if (lastNl < 0) return false;
  appendSync(journal, buf.subarray(0, lastNl + 1));
  return true;
}

/** Stable merge by time; at equal times a kept session.start goes first and other kept events last. */
function mergeByTime(kept: AgentEvent[], incoming: AgentEvent[]): AgentEvent[] {
  const tagged = [
    ...kept.map((e, i) => ({ e, rank: e.type === 'session.start' ? 0 : 2, i })),
    ...incoming.map((e, i) => ({ e, rank: 1, i })),
  ];
  tagged.sort((a, b) => a.e.time - b.e.time || a.rank - b.rank || a.i - b.i);
  return tagged.map((t) => t.e);
}

/** Lets the hook continue from where this import stopped reading each Claude Code transcript. */
function rememberTranscriptCursors(store: SessionStore, sessionId: string, files: ParsedFile[]): void {
  const folder = store.folder(sessionId);
  const release = acquireSync(folder, { name: TRANSCRIPT_LOCK, waitMs: 5_000 });
  if (!release) return;
  try {
    const state = loadIngestState(folder);
    for (const f of files) {
      let ino: number | undefined;
      try {
        ino = statSync(f.path).ino;
      } catch {
        ino = undefined;
      }
      state.files[safeRealpath(f.path)] = { offset: f.bytes, ino, ...(f.agentKey ? { agentKey: f.agentKey } : {}), parser: f.state };
    }
    saveIngestState(folder, state);
  } finally {
    release();
  }
}

/** Claude Code sessions are read here (not through `read`) to keep each file's parser state for the hook. */
function readClaude(path: string, scrub: (text: string) => string): { sessionId: string; events: AgentEvent[]; main: string; files?: ParsedFile[] } {
  const main = mainTranscriptFor(path);
  if (main === undefined && /^agent-/.test(basename(path))) {
    const orphan = readOrphanAgentFile(path, scrub);
    return { sessionId: orphan.sessionId, events: orphan.events, main: path };
  }
  const { sessionId, files } = readClaudeSession(main ?? path, scrub);
  return { sessionId, events: files.flatMap((f) => f.events), main: main ?? path, files };
}

export async function runImport(paths: string[], options: ImportOptions): Promise<void> {
  const { store, config } = cliContext(options);
  const agent = options.agent ?? 'auto';
  const forced = agent === 'auto' ? undefined : importerFor(agent);
  if (agent !== 'auto' && !forced) throw new CliError(`unknown --agent "${agent}"`, 2);
  for (const p of paths) if (!existsSync(p)) throw new CliError(`${p} does not exist`);

  const files = collectFiles(paths);
  const fileSet = new Set(files.map(safeRealpath));
  const plan: Array<{ path: string; importer: ImportAdapter }> = [];
  for (const f of files) {
    const importer = pickImporter(f, forced);
    if (!importer) continue;
    // A Claude Code subagent file is read with its session's transcript when that is imported too.
    if (importer.agent === 'claude-code') {
      const main = mainTranscriptFor(f);
      if (main && fileSet.has(safeRealpath(main))) continue;
    }
    plan.push({ path: f, importer });
  }
  if (plan.length === 0) throw nothingToImport(paths, files, forced);

  const scrub = (text: string) => store.redactor.redactString(text);
  const tty = process.stderr.isTTY && !options.json;
  const progress = (done: number): void => {
    if (tty && plan.length > 5) process.stderr.write(`\rimporting ${done}/${plan.length} files…`);
  };
  const sessions = new Map<string, { events: AgentEvent[]; claudeMain?: string; files?: ParsedFile[] }>();
  const failures: string[] = [];
  for (let i = 0; i < plan.length; i++) {
    const { path, importer } = plan[i]!;
    progress(i);
    try {
      if (importer.agent === 'claude-code') {
        const c = readClaude(path, scrub);
        const entry = sessions.get(c.sessionId);
        if (entry?.claudeMain === c.main) continue;
        if (entry) entry.events.push(...c.events);
        else sessions.set(c.sessionId, { events: c.events, claudeMain: c.main, ...(c.files ? { files: c.files } : {}) });
        continue;
      }
      for (const s of importer.read(path)) {
        const entry = sessions.get(s.sessionId);
        if (entry) entry.events.push(...s.events);
        else sessions.set(s.sessionId, { events: [...s.events] });
      }
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
    }
  }
  progress(plan.length);

  const results: ImportResult[] = [];
  const inactivityMs = (config.inactivityMinutes && config.inactivityMinutes > 0 ? config.inactivityMinutes : DEFAULT_INACTIVITY_MINUTES) * 60_000;
  const now = Date.now();
  let n = 0;
  for (const [sessionId, { events, files: parsed }] of sessions) {
    if (tty && sessions.size > 5) process.stderr.write(`\rwriting ${++n}/${sessions.size} sessions…   `);
    if (events.length === 0) continue;
    try {
      // A saved transcript records no session end: an idle one ends as its last turn shows.
      const { recorded } = replaceSessionEvents(store, sessionId, events, { now, inactivityMs });
      if (parsed) rememberTranscriptCursors(store, sessionId, parsed);
      let doc = store.materialize(sessionId);
      // One the hooks recorded: the status truth of its agent process, as every reader would see it.
      if (recorded) doc = checkLiveness(store, sessionId, doc, { inactivityMs });
      results.push({ sessionId, traceFile: store.tracePath(sessionId), spans: doc.spans.length });
    } catch (error) {
      failures.push(`${sessionId}: ${(error as Error).message}`);
    }
  }
  if (tty) process.stderr.write('\r\x1b[K');

  if (results.length === 0) {
    // One message, on stderr: nothing on stdout claims an import that did not happen.
    if (failures.length === 0) throw nothingToImport(paths, files, forced);
    for (const f of failures) process.stderr.write(`agent-trace: could not import ${f}\n`);
    throw new CliError(`no session could be imported from ${paths.join(', ')}`);
  }
  if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    for (const r of results.slice(0, 50)) process.stdout.write(`${r.sessionId}  ${r.spans} spans  ${r.traceFile}\n`);
    if (results.length > 50) process.stdout.write(`… and ${results.length - 50} more\n`);
    process.stdout.write(`imported ${results.length} session(s) into ${store.dir}\n`);
  }
  for (const f of failures) process.stderr.write(`agent-trace: could not import ${f}\n`);
}

/** What each importer reads, for the message that says a path holds none of it. */
const FORMATS: Record<ImportAdapter['agent'], { what: string; where: string }> = {
  'claude-code': { what: 'Claude Code transcript', where: '~/.claude/projects/<project>/<session>.jsonl' },
  codex: { what: 'Codex rollout', where: '~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl' },
  gemini: { what: 'Gemini CLI chat file', where: '~/.gemini/tmp/<project>/chats/session-*.json' },
  opencode: { what: 'opencode session', where: '~/.local/share/opencode/storage, `opencode export` JSON or a plugin event stream .jsonl' },
};

/** The error for paths that hold nothing the chosen importer (or any, with `--agent auto`) could read. */
function nothingToImport(paths: string[], files: string[], forced: ImportAdapter | undefined): CliError {
  const where = paths.join(', ');
  if (!forced) {
    const formats = IMPORTERS.map((i) => `${FORMATS[i.agent].what}s (${FORMATS[i.agent].where})`);
    return new CliError(`nothing to import in ${where}: no saved agent session found; agent-trace reads ${formats.slice(0, -1).join(', ')} and ${formats[formats.length - 1]}`);
  }
  const { what, where: expected } = FORMATS[forced.agent];
  // What the files are instead, when another importer recognises them.
  const others = new Map<ImportAdapter['agent'], number>();
  for (const f of files.slice(0, 500)) {
    const other = pickImporter(f, undefined);
    if (other && other.agent !== forced.agent) others.set(other.agent, (others.get(other.agent) ?? 0) + 1);
  }
  const found = [...others].map(([a, n]) => `${n} ${FORMATS[a].what}${n === 1 ? '' : 's'}`);
  const hint = found.length ? `; found ${found.join(' and ')} instead: run again without --agent (or with --agent ${[...others.keys()][0]})` : '';
  return new CliError(`nothing to import in ${where}: no ${what} found (--agent ${forced.agent} reads ${expected})${hint}`);
}
