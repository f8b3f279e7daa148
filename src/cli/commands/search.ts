import { InsightsIndex, SearchSyntaxError, type SearchQuery } from '../../store/insights-index.js';
import { cliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatTime, paint, plain, useColor } from '../format.js';
import type { GlobalOptions } from '../program.js';
import { parseDate } from './stats.js';

export interface SearchOptions extends GlobalOptions {
  json?: boolean;
  limit?: string;
  project?: string;
  branch?: string;
  agent?: string;
  model?: string;
  status?: string;
  errors?: boolean;
  tool?: string;
  since?: string;
  until?: string;
}

export async function runSearch(words: string[], options: SearchOptions): Promise<void> {
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError('--limit must be a positive whole number', 2);
  const query: SearchQuery = { q: words.join(' '), limit };
  for (const k of ['project', 'branch', 'agent', 'model', 'status', 'tool'] as const) if (options[k]) query[k] = options[k];
  if (options.errors) query.errors = true;
  if (options.since) query.since = parseDate(options.since, false);
  if (options.until) query.until = parseDate(options.until, true);
  const { store, config } = cliContext(options);
  // exact the instant an agent exits, as `list` is: what the hooks spooled and the transcripts added comes first
  const { exportWanted } = store.reconcile();
  if (exportWanted.length) (await import('./reconcile.js')).exportAfter(store, config, exportWanted);
  const index = new InsightsIndex(store, { prices: config.prices });
  let result;
  try {
    index.refresh();
    result = index.search(query);
  } catch (error) {
    if (error instanceof SearchSyntaxError) throw new CliError(error.message, 2);
    throw error;
  } finally {
    index.close();
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const color = useColor();
  if (result.sessions.length === 0) {
    process.stdout.write(`nothing matches in ${store.dir}\n`);
    return;
  }
  const titles = new Map(result.sessions.map((s) => [s.facts.sessionId, s.facts.title ?? '']));
  for (const hit of result.hits) {
    const snippet = plain(hit.snippet.replace(/\u0001/g, '\ue000').replace(/\u0002/g, '\ue001'), 200)
      .replace(/\ue000/g, color ? '\u001b[1;33m' : '')
      .replace(/\ue001/g, color ? '\u001b[0m' : '');
    process.stdout.write(
      `${paint(hit.sessionId.slice(0, 8), 'cyan', color)} ${paint(formatTime(hit.time), 'gray', color)} ${paint(hit.field.padEnd(11), 'magenta', color)} ${plain(titles.get(hit.sessionId), 50)}\n    ${snippet}\n`,
    );
  }
  const more = result.totalHits - result.hits.length;
  process.stdout.write(
    paint(`${result.totalHits} hit(s) in ${result.sessions.length} session(s)${more > 0 ? `, ${more} more not shown (--limit)` : ''}; open one with \`agent-trace view SESSION\``, 'gray', color) + '\n',
  );
}
