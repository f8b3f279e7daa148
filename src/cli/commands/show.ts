import { join } from 'node:path';
import type { TraceDocument } from '../../model/trace.js';
import { SessionNotFoundError } from '../../store/session-store.js';
import { cliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatDuration, formatTime, formatTokens, paint, plain, useColor } from '../format.js';
import type { GlobalOptions } from '../options.js';
import { STATUS_COLOR } from './list.js';

export function renderSummary(doc: TraceDocument, color = useColor()): string {
  const s = doc.summary;
  const lines: string[] = [];
  const label = (l: string) => paint(l.padEnd(12), 'gray', color);
  lines.push(paint(plain(doc.title ?? '(untitled)', 100), 'bold', color));
  lines.push(`${label('session')}${doc.sessionId}`);
  lines.push(`${label('status')}${paint(doc.status, STATUS_COLOR[doc.status], color)}`);
  lines.push(`${label('agent')}${plain(doc.agent.name)}${doc.agent.version ? ` ${plain(doc.agent.version)}` : ''}`);
  if (doc.models.length) lines.push(`${label('models')}${doc.models.map((m) => plain(m)).join(', ')}`);
  lines.push(`${label('started')}${formatTime(doc.startTime)}   ${label('duration')}${formatDuration(s.durationMs)}`);
  if (doc.cwd) lines.push(`${label('cwd')}${plain(doc.cwd, 200)}${doc.gitBranch ? ` (${plain(doc.gitBranch)})` : ''}`);
  lines.push(`${label('turns')}${s.turns}   model calls ${s.generations}   tool calls ${s.toolCalls}   tool errors ${s.toolErrors}   subagents ${s.subagents}`);
  const compactions = doc.spans.filter((sp) => sp.kind === 'compaction').length;
  const interrupted = doc.spans.filter((sp) => (sp.kind === 'generation' || sp.kind === 'tool') && sp.attributes['agent_trace.interrupted'] === true).length;
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
  const byTool = new Map<string, { calls: number; errors: number }>();
  for (const span of doc.spans) {
    if (span.kind !== 'tool') continue;
    const name = String(span.attributes['gen_ai.tool.name'] ?? span.name);
    const entry = byTool.get(name) ?? { calls: 0, errors: 0 };
    entry.calls++;
    if (span.status === 'error') entry.errors++;
    byTool.set(name, entry);
  }
  if (byTool.size) {
    const parts = [...byTool.entries()].sort((a, b) => b[1].calls - a[1].calls).map(([n, e]) => `${plain(n, 40)} ${e.calls}${e.errors ? paint(` (${e.errors} failed)`, 'red', color) : ''}`);
    lines.push(`${label('tools')}${parts.join(', ')}`);
  }
  const errors = doc.spans.filter((sp) => sp.status === 'error' && sp.kind !== 'session');
  for (const e of errors.slice(0, 10)) lines.push(`${label('error')}${plain(e.name, 40)}: ${plain(e.statusMessage, 100)}`);
  if (errors.length > 10) lines.push(`${label('')}… ${errors.length - 10} more errors`);
  if (s.filesTouched.length) lines.push(`${label('files')}${s.filesTouched.slice(0, 10).map((f) => plain(f, 120)).join('\n' + ' '.repeat(12))}${s.filesTouched.length > 10 ? `\n${' '.repeat(12)}… ${s.filesTouched.length - 10} more` : ''}`);
  return lines.join('\n');
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
  const doc = store.load(sessionId);
  if (!doc) throw new CliError(`session ${sessionId} has no readable trace in ${join(store.dir, 'sessions')}`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${renderSummary(doc)}\n`);
}
