import { once } from 'node:events';
import type { TraceDocument, TraceSpan } from '../../model/trace.js';
import { SessionNotFoundError } from '../../store/session-store.js';
import { summaryProblems } from '../../store/summary.js';
import { SessionTooLargeError, spanTexts, TraceFileError, type TraceHeader } from '../../store/trace-file.js';
import { cliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatDuration, formatTime, formatTokens, paint, plain, useColor } from '../format.js';
import type { GlobalOptions } from '../options.js';
import { STATUS_COLOR } from './list.js';

/** What the summary shows from the spans, gathered one span at a time (a session of any size). */
export interface SpanDigest {
  compactions: number;
  interrupted: number;
  byTool: Map<string, { calls: number; errors: number }>;
  errors: Array<{ name: string; statusMessage?: string }>;
  errorCount: number;
}

export function digestSpans(spans: Iterable<TraceSpan>): SpanDigest {
  const digest: SpanDigest = { compactions: 0, interrupted: 0, byTool: new Map(), errors: [], errorCount: 0 };
  for (const span of spans) {
    if (span.kind === 'compaction') digest.compactions++;
    if ((span.kind === 'generation' || span.kind === 'tool') && span.attributes?.['agent_trace.interrupted'] === true) digest.interrupted++;
    if (span.kind === 'tool') {
      const name = String(span.attributes?.['gen_ai.tool.name'] ?? span.name);
      const entry = digest.byTool.get(name) ?? { calls: 0, errors: 0 };
      entry.calls++;
      if (span.status === 'error') entry.errors++;
      digest.byTool.set(name, entry);
    }
    if (span.status === 'error' && span.kind !== 'session') {
      digest.errorCount++;
      if (digest.errors.length < 10) digest.errors.push({ name: span.name, ...(span.statusMessage !== undefined ? { statusMessage: span.statusMessage } : {}) });
    }
  }
  return digest;
}

export interface SummaryNotes {
  /** What is wrong with the session's files (`summaryProblems`): reported, never silently dropped. */
  problems?: string[];
}

export function renderSummary(doc: TraceDocument | TraceHeader, color = useColor(), digest: SpanDigest = digestSpans('spans' in doc ? doc.spans : []), notes: SummaryNotes = {}): string {
  const s = doc.summary;
  const lines: string[] = [];
  const label = (l: string) => paint(l.padEnd(12), 'gray', color);
  lines.push(paint(plain(doc.title ?? '(untitled)', 100), 'bold', color));
  lines.push(`${label('session')}${doc.sessionId}`);
  lines.push(`${label('status')}${paint(doc.status, STATUS_COLOR[doc.status], color)}`);
  for (const problem of notes.problems ?? []) lines.push(`${label('problem')}${paint(problem, 'yellow', color)}`);
  lines.push(`${label('agent')}${plain(doc.agent.name)}${doc.agent.version ? ` ${plain(doc.agent.version)}` : ''}`);
  if (doc.models.length) lines.push(`${label('models')}${doc.models.map((m) => plain(m)).join(', ')}`);
  lines.push(`${label('started')}${formatTime(doc.startTime)}   ${label('duration')}${formatDuration(s.durationMs)}`);
  if (doc.cwd) lines.push(`${label('cwd')}${plain(doc.cwd, 200)}${doc.gitBranch ? ` (${plain(doc.gitBranch)})` : ''}`);
  lines.push(`${label('turns')}${s.turns}   model calls ${s.generations}   tool calls ${s.toolCalls}   tool errors ${s.toolErrors}   subagents ${s.subagents}`);
  const { compactions, interrupted, byTool } = digest;
  if (compactions || interrupted) lines.push(`${label('')}compactions ${compactions}   interrupted calls ${interrupted}`);
  const t = s.tokens;
  lines.push(
    `${label('tokens')}input ${formatTokens(t.input)}   output ${formatTokens(t.output)}   cache read ${formatTokens(t.cacheRead)}   cache write ${formatTokens(t.cacheWrite)}${t.cacheWrite1h ? ` (1 h ${formatTokens(t.cacheWrite1h)}, 5 min ${formatTokens(t.cacheWrite5m ?? t.cacheWrite - t.cacheWrite1h)})` : ''}${t.reasoning ? `   reasoning ${formatTokens(t.reasoning)}` : ''}`,
  );
  if (s.cost) lines.push(`${label('cost')}~$${s.cost.usd.toFixed(4)} (estimated from ${plain(s.cost.source ?? 'list prices', 120)})`);
  for (const e of s.cost?.estimates ?? []) {
    lines.push(`${label('')}${paint('estimate', 'yellow', color)} ${plain(e.model, 80)} (${e.calls} calls): not in the price source, priced as ${plain(e.pricedAs, 80)} (family fallback)`);
  }
  for (const u of s.unpriced ?? []) {
    lines.push(`${label('')}${paint('no price', 'yellow', color)} ${plain(u.model, 80)} (${u.calls} calls): unknown model, not counted in the cost`);
  }
  if (s.cost?.overridden?.length) lines.push(`${label('')}priced from the config file: ${s.cost.overridden.map((m) => plain(m, 80)).join(', ')}`);
  if (byTool.size) {
    const parts = [...byTool.entries()].sort((a, b) => b[1].calls - a[1].calls).map(([n, e]) => `${plain(n, 40)} ${e.calls}${e.errors ? paint(` (${e.errors} failed)`, 'red', color) : ''}`);
    lines.push(`${label('tools')}${parts.join(', ')}`);
  }
  for (const e of digest.errors) lines.push(`${label('error')}${plain(e.name, 40)}: ${plain(e.statusMessage, 100)}`);
  if (digest.errorCount > 10) lines.push(`${label('')}… ${digest.errorCount - 10} more errors`);
  if (s.filesTouched.length) lines.push(`${label('files')}${s.filesTouched.slice(0, 10).map((f) => plain(f, 120)).join('\n' + ' '.repeat(12))}${s.filesTouched.length > 10 ? `\n${' '.repeat(12)}… ${s.filesTouched.length - 10} more` : ''}`);
  return lines.join('\n');
}

/** Writes pieces to stdout, waiting for it to drain (a pipe to `jq` or a file of any size). */
async function writeOut(chunks: Iterable<Buffer>): Promise<void> {
  for (const chunk of chunks) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  }
}

export async function runShow(query: string, options: GlobalOptions & { json?: boolean }): Promise<void> {
  const { store, config } = cliContext(options);
  let sessionId: string;
  // The spool may hold a session not on disk yet: drain it before resolving the id.
  const { exportWanted } = store.reconcile({ sessions: [] });
  if (exportWanted.length) (await import('./reconcile.js')).exportAfter(store, config, exportWanted);
  try {
    sessionId = store.resolve(query);
  } catch (error) {
    if (error instanceof SessionNotFoundError) throw new CliError(error.message);
    throw error;
  }
  store.reconcile({ sessions: [sessionId] });
  try {
    if (options.json) {
      // Streamed: the trace is never one string, whatever its size.
      await writeOut(store.traceChunks(sessionId));
      process.stdout.write('\n');
      return;
    }
    const summary = store.summary(sessionId);
    if (!summary) throw new CliError(`session ${sessionId}: ${store.tracePath(sessionId)} is missing or not a trace document`);
    const notes = { problems: summaryProblems(summary) };
    let doc: TraceDocument | undefined;
    try {
      doc = store.load(sessionId);
    } catch (error) {
      if (!(error instanceof SessionTooLargeError)) throw error;
    }
    if (doc) {
      process.stdout.write(`${renderSummary(doc, useColor(), digestSpans(doc.spans), notes)}\n`);
      return;
    }
    // Too large to load whole: the same summary, from the spans streamed one at a time.
    const spans = (function* () {
      for (const text of spanTexts(store.tracePath(sessionId))) yield JSON.parse(text) as TraceSpan;
    })();
    process.stdout.write(`${renderSummary(summary.header, useColor(), digestSpans(spans), notes)}\n`);
  } catch (error) {
    if (error instanceof TraceFileError) throw new CliError(`session ${sessionId}: ${error.message}`);
    throw error;
  }
}
