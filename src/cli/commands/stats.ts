import { computeStats, GROUPINGS, totalTokens, type Grouping, type StatsResult, type UsageRow } from '../../model/usage-stats.js';
import { InsightsIndex } from '../../store/insights-index.js';
import { cliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatDuration, formatTokens, paint, plain, table, useColor } from '../format.js';
import type { GlobalOptions } from '../options.js';

export interface StatsOptions extends GlobalOptions {
  by?: string;
  since?: string;
  until?: string;
  json?: boolean;
  csv?: boolean;
}

/**
 * A date as the user writes it: `YYYY-MM-DD` or `YYYYMMDD` (a local date, as ccusage takes them), `Nd` (N
 * days before today), or an ISO date-time. With `endOfDay`, a date means the end of that day (an inclusive
 * `--until`).
 */
export function parseDate(text: string, endOfDay: boolean, now = Date.now()): number {
  const t = text.trim();
  let m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(t);
  if (m) {
    const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (endOfDay ? 1 : 0));
    if (d.getMonth() === (Number(m[2]) - 1 + (endOfDay && d.getDate() === 1 ? 1 : 0)) % 12) return d.getTime();
  }
  m = /^(\d{1,5})d$/.exec(t);
  if (m) {
    const today = new Date(now);
    return new Date(today.getFullYear(), today.getMonth(), today.getDate() - Number(m[1]) + (endOfDay ? 1 : 0)).getTime();
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new CliError(`cannot read the date "${text}": use YYYY-MM-DD, YYYYMMDD, Nd (days ago) or an ISO date-time`, 2);
}

const usd = (n: number) => (n >= 100 ? `$${n.toFixed(0)}` : `$${n.toFixed(2)}`);
const pct = (n: number) => `${(n * 100).toFixed(n > 0 && n < 0.1 ? 1 : 0)}%`;

function tableOf(result: StatsResult, color: boolean): string {
  const by = result.by;
  const rows = [...result.rows, result.totals];
  const keyName = by.toUpperCase();
  const name = (r: UsageRow) => (r === result.totals ? paint('Total', 'bold', color) : plain(r.label && by !== 'project' ? `${r.key.slice(0, 8)} ${r.label}` : r.label ? `${r.label} (${r.key})` : r.key, 60));
  const failed = (r: UsageRow) => (r.toolErrors ? paint(`${r.toolErrors} (${pct(r.failureRate)})`, 'red', color) : '0');
  if (by === 'tool') {
    const body = rows.map((r) => [name(r), String(r.sessions), String(r.toolCalls), failed(r), r === result.totals ? '' : formatDuration(r.durationMs)]);
    return table(body, [keyName, 'SESSIONS', 'CALLS', 'FAILED', 'TIME']);
  }
  const body = rows.map((r) => [
    name(r),
    String(r.sessions),
    ...(by === 'model' ? [] : [String(r.turns ?? '')]),
    String(r.generations),
    ...(by === 'model' ? [] : [String(r.toolCalls), failed(r)]),
    formatTokens(r.tokens.input),
    formatTokens(r.tokens.output),
    formatTokens(r.tokens.cacheRead),
    formatTokens(r.tokens.cacheWrite),
    formatTokens(totalTokens(r.tokens)),
    pct(r.cacheHitRatio),
    r.unpricedSessions && !r.costUsd ? '–*' : `${usd(r.costUsd)}${r.unpricedSessions ? '*' : ''}`,
  ]);
  const header = [keyName, 'SESSIONS', ...(by === 'model' ? [] : ['TURNS']), 'MODEL CALLS', ...(by === 'model' ? [] : ['TOOL CALLS', 'FAILED']), 'INPUT', 'OUTPUT', 'CACHE READ', 'CACHE WRITE', 'TOTAL', 'CACHE HIT', 'COST'];
  return table(body, header);
}

const CSV_COLUMNS = ['key', 'label', 'sessions', 'turns', 'model_calls', 'tool_calls', 'tool_errors', 'failure_rate', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens', 'total_tokens', 'cache_hit_ratio', 'cost_usd', 'unpriced_sessions', 'duration_ms'];

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  // a leading = + - @ would be a formula in a spreadsheet
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function statsCsv(result: StatsResult): string {
  const line = (r: UsageRow) =>
    [r.key, r.label, r.sessions, r.turns, r.generations, r.toolCalls, r.toolErrors, r.failureRate, r.tokens.input, r.tokens.output, r.tokens.cacheRead, r.tokens.cacheWrite, r.tokens.reasoning, totalTokens(r.tokens), r.cacheHitRatio, r.costUsd, r.unpricedSessions, r.durationMs]
      .map(csvCell)
      .join(',');
  return [CSV_COLUMNS.join(','), ...result.rows.map(line), line(result.totals)].join('\n');
}

export async function runStats(options: StatsOptions): Promise<void> {
  if (options.json && options.csv) throw new CliError('choose one of --json and --csv', 2);
  const by = (options.by ?? 'day') as Grouping;
  if (!GROUPINGS.includes(by)) throw new CliError(`--by must be one of ${GROUPINGS.join(', ')}`, 2);
  const since = options.since ? parseDate(options.since, false) : undefined;
  const until = options.until ? parseDate(options.until, true) : undefined;
  if (since !== undefined && until !== undefined && until <= since) throw new CliError('--until is before --since', 2);
  const { store, config } = cliContext(options);
  // exact the instant an agent exits, as `list` is: what the hooks spooled and the transcripts added comes first
  const { exportWanted } = store.reconcile();
  if (exportWanted.length) (await import('./reconcile.js')).exportAfter(store, config, exportWanted);
  const index = new InsightsIndex(store, { prices: config.prices });
  let result: StatsResult;
  let failed: string[];
  try {
    failed = index.refresh().failed;
    result = computeStats(index.facts(), { by, since, until });
  } finally {
    index.close();
  }
  for (const id of failed) process.stderr.write(`agent-trace: skipped session ${id}: its trace cannot be read\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  if (options.csv) {
    process.stdout.write(`${statsCsv(result)}\n`);
    return;
  }
  if (result.totals.sessions === 0) {
    process.stdout.write(`no sessions${since !== undefined || until !== undefined ? ' in that range' : ''} in ${store.dir}\n`);
    return;
  }
  const color = useColor();
  process.stdout.write(`${tableOf(result, color)}\n`);
  const notes: string[] = [`costs are estimates from list prices; days are local dates (${result.timeZone}) of each session's start`];
  if (result.totals.unpricedSessions) notes.push(`* ${result.totals.unpricedSessions} session(s) used a model with no known price (add it under "prices" in the config file)`);
  process.stdout.write(`${notes.map((n) => paint(n, 'gray', color)).join('\n')}\n`);
}
