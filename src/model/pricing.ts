import type { Usage } from '../events/types.js';

/** USD per million tokens. `cacheRead`/`cacheWrite` default to the input price when a provider has none. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/**
 * List prices as the providers published them; checked on PRICES_AS_OF. Costs computed from them are
 * estimates (batch discounts, long-context tiers and negotiated rates are not modelled). Override or extend
 * through `prices` in the config file: `{ "prices": { "my-model": { "input": 1, "output": 2 } } }`.
 * Keys match a model name exactly or as a prefix (the longest matching key wins), case-insensitively.
 */
export const PRICES_AS_OF = '2025-11-01';

export const DEFAULT_PRICES: Record<string, ModelPrice> = {
  'claude-opus-4-5': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-opus-4-6': { input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25 },
  'claude-opus-4': { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 },
  'claude-sonnet-4': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-7-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-3-5-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'claude-haiku-4': { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 },
  'gpt-5-mini': { input: 0.25, output: 2, cacheRead: 0.025 },
  'gpt-5-nano': { input: 0.05, output: 0.4, cacheRead: 0.005 },
  'gpt-5': { input: 1.25, output: 10, cacheRead: 0.125 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cacheRead: 0.1 },
  'gpt-4.1': { input: 2, output: 8, cacheRead: 0.5 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cacheRead: 0.075 },
  'gpt-4o': { input: 2.5, output: 10, cacheRead: 1.25 },
  'o4-mini': { input: 1.1, output: 4.4, cacheRead: 0.275 },
  o3: { input: 2, output: 8, cacheRead: 0.5 },
  'gemini-2.5-pro': { input: 1.25, output: 10, cacheRead: 0.31 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cacheRead: 0.025 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cacheRead: 0.075 },
};

export type PriceTable = Record<string, ModelPrice>;

const lookups = new WeakMap<PriceTable, Map<string, ModelPrice | undefined>>();

/** Summaries price every model call: remember each model's row per table. */
export function findPrice(model: string | undefined, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  if (!model) return undefined;
  let cache = lookups.get(table);
  if (!cache) lookups.set(table, (cache = new Map()));
  if (cache.has(model)) return cache.get(model);
  const price = lookupPrice(model, table);
  cache.set(model, price);
  return price;
}

function lookupPrice(model: string, table: PriceTable): ModelPrice | undefined {
  const name = model.toLowerCase().replace(/^[a-z0-9-]+\//, '');
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    const k = key.toLowerCase();
    if ((name === k || name.startsWith(k)) && (!best || k.length > best.length)) best = key;
  }
  return best === undefined ? undefined : table[best];
}

/** Cost of one call in USD; undefined when the model has no known price. `output` already includes reasoning. */
export function costOf(model: string | undefined, usage: Usage, table?: PriceTable): number | undefined {
  const price = findPrice(model, table);
  if (!price) return undefined;
  const perToken = (perMillion: number) => perMillion / 1_000_000;
  return (
    (usage.input ?? 0) * perToken(price.input) +
    (usage.output ?? 0) * perToken(price.output) +
    (usage.cacheRead ?? 0) * perToken(price.cacheRead ?? price.input) +
    (usage.cacheWrite ?? 0) * perToken(price.cacheWrite ?? price.input)
  );
}
