import type { TraceDocument } from '../../model/trace.js';
import { cliContext } from '../context.js';
import { formatDuration, formatTime, formatTokens, paint, plain, table, useColor, type Color } from '../format.js';
import type { GlobalOptions } from '../program.js';

export const STATUS_COLOR: Record<TraceDocument['status'], Color> = {
  running: 'blue',
  completed: 'green',
  crashed: 'red',
  interrupted: 'yellow',
  error: 'red',
};

export function totalTokens(doc: TraceDocument): number {
  const t = doc.summary.tokens;
  return t.input + t.output + t.cacheRead + t.cacheWrite;
}

export function listEntry(doc: TraceDocument) {
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
  const { store } = cliContext(options);
  const docs = store.list();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(docs.map(listEntry), null, 2)}\n`);
    return;
  }
  if (docs.length === 0) {
    process.stdout.write(`no sessions in ${store.dir}\n(run \`agent-trace install\` to trace Claude Code, or \`agent-trace import PATH\`)\n`);
    return;
  }
  const color = useColor();
  const rows = docs.map((d) => [
    d.sessionId.slice(0, 8),
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
