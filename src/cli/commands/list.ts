import type { TraceDocument } from '../../model/trace.js';
import type { TraceHeader } from '../../store/trace-file.js';
import { cliContext } from '../context.js';
import { formatDuration, formatTime, formatTokens, paint, plain, table, useColor, type Color } from '../format.js';
import type { GlobalOptions } from '../options.js';

export const STATUS_COLOR: Record<TraceDocument['status'], Color> = {
  running: 'blue',
  completed: 'green',
  crashed: 'red',
  interrupted: 'yellow',
  error: 'red',
};

export function totalTokens(doc: Pick<TraceDocument, 'summary'>): number {
  const t = doc.summary.tokens;
  return t.input + t.output + t.cacheRead + t.cacheWrite;
}

export function listEntry(doc: TraceHeader) {
  return {
    sessionId: doc.sessionId,
    title: doc.title ?? null,
    agent: doc.agent,
    status: doc.status,
    startTime: doc.startTime,
    endTime: doc.endTime ?? null,
    summary: doc.summary,
  };
}

export async function runList(options: GlobalOptions & { json?: boolean }): Promise<void> {
  const { store, config } = cliContext(options);
  // Exact the instant an agent exits: what the hooks spooled and the transcripts added is ingested first.
  // Summaries only: listing never reads a span. A session that cannot be read is named and skipped.
  const { exportWanted, docs } = store.batch(() => {
    const { exportWanted } = store.reconcile();
    const docs = store.summaries((problem) => process.stderr.write(`agent-trace: ${problem}\n`)).map((s) => s.header);
    return { exportWanted, docs };
  });
  if (exportWanted.length) (await import('./reconcile.js')).exportAfter(store, config, exportWanted);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(docs.map(listEntry), null, 2)}\n`);
    return;
  }
  if (docs.length === 0) {
    process.stdout.write(`no sessions in ${store.dir}\n(run \`agent-trace install\` to trace Claude Code, or \`agent-trace import PATH\`)\n`);
    return;
  }
  const color = useColor();
  const ids = shortestUniquePrefixes(docs.map((d) => d.sessionId), 8);
  const rows = docs.map((d, i) => [
    ids[i]!,
    plain(d.title, 48),
    plain(d.agent.name, 12),
    paint(d.status, STATUS_COLOR[d.status], color),
    formatTime(d.startTime),
    formatDuration(d.summary.durationMs),
    formatTokens(totalTokens(d)),
    String(d.summary.toolCalls),
    d.summary.toolErrors ? paint(String(d.summary.toolErrors), 'red', color) : '0',
  ]);
  process.stdout.write(`${table(rows, ['ID', 'TITLE', 'AGENT', 'STATUS', 'START', 'DURATION', 'TOKENS', 'TOOLS', 'ERRORS'])}\n`);
}

/** Each id cut to the shortest prefix (at least `min` characters) that no other id shares, so `show` accepts it. */
export function shortestUniquePrefixes(ids: string[], min: number): string[] {
  const sorted = [...ids].sort();
  const lengthOf = new Map<string, number>();
  for (let i = 0; i < sorted.length; i++) {
    const id = sorted[i]!;
    let need = Math.min(min, id.length);
    for (const other of [sorted[i - 1], sorted[i + 1]]) {
      if (other === undefined) continue;
      let common = 0;
      while (common < id.length && id[common] === other[common]) common++;
      need = Math.max(need, Math.min(common + 1, id.length));
    }
    lengthOf.set(id, need);
  }
  return ids.map((id) => id.slice(0, lengthOf.get(id)));
}
