import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { PriceTable } from '../../src/model/pricing.js';
import type { SessionFacts } from '../../src/model/session-facts.js';
import { computeOverview, type Bucket, type StackBy } from '../../src/model/usage-overview.js';
import { computeStats, GROUPINGS, type Grouping } from '../../src/model/usage-stats.js';
import { InsightsIndex, matchesFilters, SearchSyntaxError, type SessionFilters } from '../../src/store/insights-index.js';
import type { SessionStore } from '../../src/store/session-store.js';

export interface InsightsRoutesOptions {
  store: SessionStore;
  prices?: PriceTable;
  /** The index is brought up to date with the store at most this often (ms). */
  refreshMs?: number;
}

const STATUSES = ['running', 'completed', 'crashed', 'interrupted', 'error'];

/** The structured filters as query-string fields (dates are epoch ms or YYYY-MM-DD local dates). */
const filterProperties = {
  project: { type: 'string', maxLength: 4096 },
  branch: { type: 'string', maxLength: 1024 },
  agent: { type: 'string', maxLength: 256 },
  model: { type: 'string', maxLength: 256 },
  status: { type: 'string', enum: ['', ...STATUSES] },
  errors: { type: 'string', enum: ['', '0', '1', 'true', 'false'] },
  tool: { type: 'string', maxLength: 256 },
  since: { type: 'string', pattern: '^(\\d{1,15}|\\d{4}-\\d{2}-\\d{2})?$' },
  until: { type: 'string', pattern: '^(\\d{1,15}|\\d{4}-\\d{2}-\\d{2})?$' },
} as const;

type FilterQuery = Partial<Record<keyof typeof filterProperties, string>>;

/** A date bound: epoch ms, or a local date (`until` then means the end of that day). */
function dateBound(text: string | undefined, endOfDay: boolean): number | undefined {
  if (!text) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (endOfDay ? 1 : 0)).getTime();
  return Number(text);
}

export function filtersOf(q: FilterQuery): SessionFilters {
  const f: SessionFilters = {};
  for (const k of ['project', 'branch', 'agent', 'model', 'status', 'tool'] as const) if (q[k]) f[k] = q[k];
  if (q.errors === '1' || q.errors === 'true') f.errors = true;
  const since = dateBound(q.since, false);
  const until = dateBound(q.until, true);
  if (since !== undefined) f.since = since;
  if (until !== undefined) f.until = until;
  return f;
}

/** The session fields a list row needs (facts without per-turn, per-model and per-tool detail). */
function row(f: SessionFacts) {
  const { topTurns: _turns, byModel: _models, byTool: _tools, ...rest } = f;
  return rest;
}

/** Sessions listed in one answer; the totals always cover all of them. */
const MAX_SESSIONS = 500;

/**
 * `/api/stats`, `/api/stats/overview` and `/api/search`: usage and full-text search across every session,
 * answered from the insights index (which follows the store; see InsightsIndex).
 */
export const insightsRoutes: FastifyPluginAsync<InsightsRoutesOptions> = async (app: FastifyInstance, options) => {
  const index = new InsightsIndex(options.store, { prices: options.prices });
  const refreshMs = options.refreshMs ?? 1_000;
  let refreshed = 0;
  const fresh = () => {
    const now = Date.now();
    if (now - refreshed >= refreshMs) {
      index.refresh();
      refreshed = Date.now();
    }
    return index;
  };
  app.addHook('onClose', async () => index.close());

  app.get<{ Querystring: FilterQuery & { by?: Grouping } }>(
    '/api/stats',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...filterProperties, by: { type: 'string', enum: [...GROUPINGS] } },
        },
      },
    },
    async (request) => {
      const filters = filtersOf(request.query);
      const facts = fresh().facts().filter((f) => matchesFilters(f, filters));
      return computeStats(facts, { by: request.query.by ?? 'day' });
    },
  );

  app.get<{ Querystring: FilterQuery & { stack?: StackBy; bucket?: Bucket } }>(
    '/api/stats/overview',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterProperties,
            stack: { type: 'string', enum: ['model', 'project', 'agent'] },
            bucket: { type: 'string', enum: ['day', 'week', 'month'] },
          },
        },
      },
    },
    async (request) => {
      const filters = filtersOf(request.query);
      const facts = fresh().facts().filter((f) => matchesFilters(f, filters));
      return computeOverview(facts, { stack: request.query.stack ?? 'model', bucket: request.query.bucket ?? 'day' });
    },
  );

  // the values the filters can take, most used first
  app.get('/api/stats/facets', { schema: { querystring: { type: 'object', additionalProperties: false, properties: {} } } }, async () => {
    const count = () => new Map<string, number>();
    const facets = { projects: count(), branches: count(), agents: count(), models: count(), tools: count() };
    const add = (m: Map<string, number>, k: string | undefined) => k && m.set(k, (m.get(k) ?? 0) + 1);
    for (const f of fresh().facts()) {
      add(facets.projects, f.cwd);
      add(facets.branches, f.gitBranch);
      add(facets.agents, f.agent);
      for (const m of Object.keys(f.byModel)) add(facets.models, m);
      for (const t of Object.keys(f.byTool)) add(facets.tools, t);
    }
    const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
    return Object.fromEntries(Object.entries(facets).map(([k, m]) => [k, sorted(m)]));
  });

  app.get<{ Querystring: FilterQuery & { q?: string; limit?: number } }>(
    '/api/search',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...filterProperties, q: { type: 'string', maxLength: 1000 }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
      },
    },
    async (request, reply) => {
      try {
        const result = fresh().search({ ...filtersOf(request.query), q: request.query.q ?? '', limit: request.query.limit ?? 100 });
        return {
          ...result,
          sessions: result.sessions.slice(0, MAX_SESSIONS).map((s) => ({ ...row(s.facts), hits: s.hits })),
          sessionCount: result.sessions.length,
        };
      } catch (error) {
        if (error instanceof SearchSyntaxError) return reply.code(400).send({ error: error.message });
        throw error;
      }
    },
  );
};
