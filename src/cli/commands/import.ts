import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { mainTranscriptFor, readClaudeSession, readOrphanAgentFile, type ParsedFile } from '../../adapters/claude-code/import.js';
import { loadIngestState, saveIngestState, TRANSCRIPT_LOCK } from '../../adapters/claude-code/ingest-state.js';
import { IMPORTERS, importerFor } from '../../adapters/registry.js';
import type { ImportAdapter } from '../../adapters/types.js';
import type { AgentEvent } from '../../events/types.js';
import { validateEvent } from '../../events/validate.js';
import { writeFileAtomicSync } from '../../store/atomic-write.js';
import { appendSync } from '../../store/fs-util.js';
import { encodeEvents, readJournal } from '../../store/journal.js';
import { DEFAULT_INACTIVITY_MINUTES } from '../../store/liveness.js';
import { acquireSync } from '../../store/lock.js';
import type { SessionStore } from '../../store/session-store.js';
import { cliContext } from '../context.js';
import { CliError } from '../errors.js';
import type { GlobalOptions } from '../program.js';

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
const HEAD_BYTES = 16_384;

function readHead(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

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

/**
 * Puts one imported session in the store. The journal is rewritten (atomically, under the session lock):
 * events of the sources this import produced are replaced by the new ones, events of every other source
 * (hooks, liveness) are kept, and all are merged in time order — so importing the same input twice gives
 * the same journal and the same trace, and an import never duplicates what hooks recorded.
 */
export function replaceSessionEvents(store: SessionStore, sessionId: string, events: AgentEvent[]): void {
  const folder = store.ensureSession(sessionId);
  const journal = store.journalPath(sessionId);
  const incoming = events.map((e) => store.redactor.redactEvent(validateEvent(e)));
  const sources = new Set(incoming.map((e) => e.source ?? ''));
  const release = acquireSync(folder, { waitMs: 10_000 });
  if (!release) throw new CliError(`session ${sessionId} is locked by another agent-trace process; try again`);
  try {
    const { events: existing, end } = readJournal(journal);
    const kept = existing.filter((e) => !sources.has(e.source ?? ''));
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
      writeFileAtomicSync(journal, encodeEvents(merged));
      if (oldFd !== undefined) carryOver(oldFd, end, journal);
    } finally {
      if (oldFd !== undefined) closeSync(oldFd);
    }
  } finally {
    release();
  }
}

function carryOver(fd: number, from: number, journal: string): void {
  const size = fstatSync(fd).size;
  if (size <= from) return;
  const buf = Buffer.alloc(size - from);
  let read = 0;
  while (read < buf.length) {
    const n = readSync(fd, buf, read, buf.length - read, from + read);
    if (n === 0) break;
    read += n;
  }
  const lastNl = buf.subarray(0, read).lastIndexOf(10);
  if (lastNl >= 0) appendSync(journal, buf.subarray(0, lastNl + 1));
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
  if (plan.length === 0) {
    throw new CliError(
      `nothing to import in ${paths.join(', ')}: no ${agent === 'auto' ? 'recognised' : agent} transcript found (try --agent)`,
    );
  }

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
  let n = 0;
  for (const [sessionId, { events, files: parsed }] of sessions) {
    if (tty && sessions.size > 5) process.stderr.write(`\rwriting ${++n}/${sessions.size} sessions…   `);
    if (events.length === 0) continue;
    try {
      // A transcript says nothing of how its session ended: one idle past the inactivity limit is over.
      let last = 0;
      let ended = false;
      for (const e of events) {
        if (e.time > last) last = e.time;
        if (e.type === 'session.end') ended = true;
      }
      const incoming = !ended && Date.now() - last > inactivityMs
        ? [...events, { type: 'session.interrupted' as const, sessionId, time: last, source: 'import' as const, reason: `no activity for ${Math.round(inactivityMs / 60_000)} minutes` }]
        : events;
      replaceSessionEvents(store, sessionId, incoming);
      if (parsed) rememberTranscriptCursors(store, sessionId, parsed);
      const doc = store.materialize(sessionId);
      results.push({ sessionId, traceFile: store.tracePath(sessionId), spans: doc.spans.length });
    } catch (error) {
      failures.push(`${sessionId}: ${(error as Error).message}`);
    }
  }
  if (tty) process.stderr.write('\r\x1b[K');

  if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else {
    for (const r of results.slice(0, 50)) process.stdout.write(`${r.sessionId}  ${r.spans} spans  ${r.traceFile}\n`);
    if (results.length > 50) process.stdout.write(`… and ${results.length - 50} more\n`);
    process.stdout.write(`imported ${results.length} session(s) into ${store.dir}\n`);
  }
  for (const f of failures) process.stderr.write(`agent-trace: could not import ${f}\n`);
  if (results.length === 0) throw new CliError('no session could be imported');
}
