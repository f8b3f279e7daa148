import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { mainTranscriptFor, readClaudeSession, readOrphanAgentFile, type ParsedFile } from '../../adapters/claude-code/import.js';
import { loadIngestState, saveIngestState, TRANSCRIPT_LOCK } from '../../adapters/claude-code/ingest-state.js';
import { readHead } from '../../adapters/import-util.js';
import { IMPORTERS, importerFor } from '../../adapters/registry.js';
import type { ImportAdapter } from '../../adapters/types.js';
import type { AgentEvent } from '../../events/types.js';
import { ImportIndex, stampOf } from '../../store/import-index.js';
import { replaceSessionEvents } from '../../store/import-writer.js';
import { checkLiveness, DEFAULT_INACTIVITY_MINUTES } from '../../store/liveness.js';
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

/** Files whose stamp matches what an earlier import read (and whose sessions are still stored): not read again. */
interface Skipped {
  path: string;
  sessions: string[];
}

export async function runImport(paths: string[], options: ImportOptions): Promise<void> {
  const { store, config } = cliContext(options);
  const agent = options.agent ?? 'auto';
  const forced = agent === 'auto' ? undefined : importerFor(agent);
  if (agent !== 'auto' && !forced) throw new CliError(`unknown --agent "${agent}"`, 2);
  for (const p of paths) if (!existsSync(p)) throw new CliError(`${p} does not exist`);

  const inactivityMs = (config.inactivityMinutes && config.inactivityMinutes > 0 ? config.inactivityMinutes : DEFAULT_INACTIVITY_MINUTES) * 60_000;
  // Inputs imported under other redaction rules are read again.
  const index = new ImportIndex(store.dir, JSON.stringify({ redaction: config.redaction ?? null, prices: config.prices ?? null }));
  const files = collectFiles(paths);
  const fileSet = new Set(files.map(safeRealpath));
  const plan: Array<{ path: string; importer: ImportAdapter }> = [];
  const skipped: Skipped[] = [];
  const dirtyMains = new Set<string>();
  const unchangedMains = new Map<string, { path: string; sessions: string[] }>();
  for (const f of files) {
    const real = safeRealpath(f);
    const sessions = index.unchanged(real, forced?.agent, stampOf(real), (id) => store.hasSession(id));
    if (sessions) {
      unchangedMains.set(real, { path: f, sessions });
      continue;
    }
    const importer = pickImporter(f, forced);
    if (!importer) continue;
    // A Claude Code subagent file is read with its session's transcript when that is imported too.
    if (importer.agent === 'claude-code') {
      const main = mainTranscriptFor(f);
      if (main && fileSet.has(safeRealpath(main))) {
        dirtyMains.add(safeRealpath(main));
        continue;
      }
    }
    plan.push({ path: f, importer });
  }
  for (const [real, { path, sessions }] of unchangedMains) {
    // A transcript whose subagent file changed (or appeared) is read again with it.
    if (dirtyMains.has(real)) {
      const importer = pickImporter(path, forced);
      if (importer) plan.push({ path, importer });
    } else skipped.push({ path, sessions });
  }
  if (plan.length === 0 && skipped.length === 0) throw nothingToImport(paths, files, forced);

  const scrub = (text: string) => store.redactor.redactString(text);
  const tty = process.stderr.isTTY && !options.json;
  const progress = (done: number): void => {
    if (tty && plan.length > 5) process.stderr.write(`\rimporting ${done}/${plan.length} files…`);
  };
  const results = new Map<string, ImportResult>();
  const failures: string[] = [];
  const written = new Set<string>();
  const readMains = new Set<string>();
  const now = Date.now();
  // Each file is parsed, then its sessions written at once: memory holds one file's events, whatever the input.
  for (let i = 0; i < plan.length; i++) {
    const { path, importer } = plan[i]!;
    progress(i);
    let parsed: Array<{ sessionId: string; events: AgentEvent[]; files?: ParsedFile[] }>;
    const real = safeRealpath(path);
    try {
      if (importer.agent === 'claude-code') {
        const c = readClaude(path, scrub);
        // Two subagent files given without their transcript lead to the same session: read it once.
        if (readMains.has(safeRealpath(c.main))) continue;
        readMains.add(safeRealpath(c.main));
        parsed = [{ sessionId: c.sessionId, events: c.events, ...(c.files ? { files: c.files } : {}) }];
      } else parsed = importer.read(path).map((s) => ({ sessionId: s.sessionId, events: [...s.events] }));
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
      index.forget(real);
      continue;
    }
    const sessions: string[] = [];
    let ok = true;
    for (const { sessionId, events, files: parsedFiles } of parsed) {
      if (events.length === 0) continue;
      try {
        const merge = written.has(sessionId);
        // A saved transcript records no session end: an idle one ends as its last turn shows.
        const { recorded } = replaceSessionEvents(store, sessionId, events, { ending: { now, inactivityMs }, merge });
        written.add(sessionId);
        if (parsedFiles) rememberTranscriptCursors(store, sessionId, parsedFiles);
        let spans: number;
        if (recorded) {
          // One the hooks recorded: the status truth of its agent process, as every reader would see it.
          spans = checkLiveness(store, sessionId, store.materialize(sessionId), { inactivityMs }).spans.length;
        } else spans = store.materializeSummary(sessionId)?.spans ?? 0;
        results.set(sessionId, { sessionId, traceFile: store.tracePath(sessionId), spans });
        sessions.push(sessionId);
      } catch (error) {
        ok = false;
        failures.push(`${sessionId}: ${(error as Error).message}`);
      }
    }
    if (!ok) {
      index.forget(real);
      continue;
    }
    // Remember what was read, with the files read along with it, so an unchanged input is skipped next time.
    const withFiles = parsed.flatMap((p) => p.files ?? []).map((f) => safeRealpath(f.path)).filter((p) => p !== real);
    index.record(real, stampOf(real), importer.agent, sessions, withFiles);
    for (const other of withFiles) index.record(other, stampOf(other), importer.agent, sessions, [real]);
  }
  progress(plan.length);
  if (tty) process.stderr.write('\r\x1b[K');
  index.save();
  // Unchanged inputs: their sessions as they are stored, without reading a span — after the reconcile step
  // (cheap for a finished session) has settled the status truth of any still marked running.
  const skippedIds = [...new Set(skipped.flatMap((s) => s.sessions))].filter((id) => !results.has(id));
  if (skippedIds.length) store.reconcile({ sessions: skippedIds });
  let unchanged = 0;
  for (const { sessions } of skipped) {
    for (const sessionId of sessions) {
      if (results.has(sessionId)) continue;
      unchanged++;
      const summary = safeSummary(store, sessionId);
      results.set(sessionId, { sessionId, traceFile: store.tracePath(sessionId), spans: summary?.spans ?? 0 });
    }
  }

  const list = [...results.values()];
  if (list.length === 0) {
    // One message, on stderr: nothing on stdout claims an import that did not happen.
    if (failures.length === 0) throw nothingToImport(paths, files, forced);
    for (const f of failures) process.stderr.write(`agent-trace: could not import ${f}\n`);
    throw new CliError(`no session could be imported from ${paths.join(', ')}`);
  }
  if (options.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  else {
    for (const r of list.slice(0, 50)) process.stdout.write(`${r.sessionId}  ${r.spans} spans  ${r.traceFile}\n`);
    if (list.length > 50) process.stdout.write(`… and ${list.length - 50} more\n`);
    const note = unchanged ? ` (${unchanged} unchanged since the last import, not read again)` : '';
    process.stdout.write(`imported ${list.length} session(s) into ${store.dir}${note}\n`);
  }
  for (const f of failures) process.stderr.write(`agent-trace: could not import ${f}\n`);
}

function safeSummary(store: SessionStore, sessionId: string) {
  try {
    return store.summary(sessionId);
  } catch {
    return undefined;
  }
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
