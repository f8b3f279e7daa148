import { createRequire } from 'node:module';
import type { Usage as CatalogUsage, calcPrice as CalcPrice } from '@pydantic/genai-prices';
import type { Usage } from '../events/types.js';

/**
 * What a model call cost, in USD.
 *
 * Prices come from `@pydantic/genai-prices` (its bundled catalogue: no network), which knows per-model cache
 * read, 5-minute and 1-hour cache write rates, long-context tiers (Claude Sonnet above 200k input tokens,
 * GPT-5.4/5.5 above 272k, Gemini Pro above 200k) and price changes by date. A model the catalogue does not
 * know is priced as its family's current model, and says so (`basis: 'family'`). The `prices` table of the
 * config file overrides both (`basis: 'override'`). Costs are estimates of list prices: batch discounts and
 * negotiated rates are not modelled.
 *
 * The catalogue (~800 kB) is loaded on the first call that needs a price, never by the hook's fast path.
 */

/** A config override, USD per million tokens. Unset cache rates fall back to the input price. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  /** 5-minute cache writes (and writes of unknown duration). */
  cacheWrite?: number;
  /** 1-hour cache writes; defaults to `cacheWrite`. */
  cacheWrite1h?: number;
}

export type PriceTable = Record<string, ModelPrice>;

/** The price source: kept in step with the installed package by test/pricing.test.ts. */
export const PRICE_SOURCE = { name: '@pydantic/genai-prices', version: '0.1.8', released: '2026-09-23' } as const;
export const PRICES_AS_OF = PRICE_SOURCE.released;
export const PRICE_SOURCE_LABEL = `${PRICE_SOURCE.name} ${PRICE_SOURCE.version} (prices as of ${PRICE_SOURCE.released})`;

/** How a call was priced: the catalogue's own entry, a family stand-in, or the config file. */
export type PriceBasis = 'catalogue' | 'family' | 'override';

export interface CallCost {
  usd: number;
  /** The input side (uncached input, cache reads and writes). */
  inputUsd: number;
  outputUsd: number;
  basis: PriceBasis;
  /** The catalogue model or override key the price was taken from. */
  pricedAs: string;
}

/**
 * Family stand-ins for models the catalogue does not know yet: the newest model of the family the catalogue
 * prices. First match wins. A cost priced this way is marked as such everywhere it is shown.
 */
const FAMILIES: Array<[RegExp, string, string]> = [
  [/^claude-.*opus/, 'anthropic', 'claude-opus-5-5'],
  [/^claude-.*sonnet/, 'anthropic', 'claude-sonnet-5'],
  [/^claude-.*haiku/, 'anthropic', 'claude-haiku-4-5'],
  [/^(gpt-5|codex)/, 'openai', 'gpt-5.5'],
  [/^gemini-.*flash-lite/, 'google', 'gemini-3.1-flash-lite'],
  [/^gemini-.*flash/, 'google', 'gemini-3.5-flash'],
  [/^gemini-.*pro/, 'google', 'gemini-3.1-pro-preview'],
];

const PROVIDER_IDS: Record<string, string> = {
  anthropic: 'anthropic',
  openai: 'openai',
  google: 'google',
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  gemini: 'google',
};

let calc: typeof CalcPrice | undefined;
function catalogue(): typeof CalcPrice {
  calc ??= (createRequire(import.meta.url)('@pydantic/genai-prices') as { calcPrice: typeof CalcPrice }).calcPrice;
  return calc;
}

/** `anthropic/claude-…`, `openrouter/openai/gpt-…` → the bare model name, lower case. */
export function bareModel(model: string): string {
  const name = model.trim().toLowerCase();
  const slash = name.lastIndexOf('/');
  return slash >= 0 ? name.slice(slash + 1) : name;
}

function overrideFor(model: string, table: PriceTable | undefined): [string, ModelPrice] | undefined {
  if (!table) return undefined;
  const name = bareModel(model);
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    const k = key.toLowerCase();
    if ((name === k || name.startsWith(k) || model.toLowerCase() === k) && (!best || k.length > best.length)) best = key;
  }
  return best === undefined ? undefined : [best, table[best]!];
}

function catalogueUsage(u: Usage): CatalogUsage {
  const cacheRead = u.cacheRead ?? 0;
  const cacheWrite = u.cacheWrite ?? 0;
  // The catalogue counts input as the whole prompt, cache reads and writes included (its tiers apply to it).
  return {
    input_tokens: (u.input ?? 0) + cacheRead + cacheWrite,
    output_tokens: u.output ?? 0,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    cache_write_1h_tokens: Math.min(u.cacheWrite1h ?? 0, cacheWrite),
  };
}

interface Lookup {
  basis: 'catalogue' | 'family';
  name: string;
  provider?: string;
}

const lookups = new Map<string, Lookup | null>();

/** Which catalogue entry prices a model: its own, a shorter name of it, or its family's. Remembered. */
function resolve(model: string, provider: string | undefined): Lookup | undefined {
  const name = bareModel(model);
  const providerId = provider ? PROVIDER_IDS[provider.toLowerCase()] ?? provider.toLowerCase() : undefined;
  const key = `${providerId ?? ''}\u0000${name}`;
  const known = lookups.get(key);
  if (known !== undefined) return known ?? undefined;
  const probe: CatalogUsage = { input_tokens: 1, output_tokens: 1 };
  const tryName = (n: string, p: string | undefined): boolean => {
    try {
      return catalogue()(probe, n, p ? { providerId: p, timestamp: new Date(0) } : { timestamp: new Date(0) }) !== null;
    } catch {
      return false;
    }
  };
  let found: Lookup | undefined;
  if (tryName(name, providerId)) found = { basis: 'catalogue', name, provider: providerId };
  else if (providerId && tryName(name, undefined)) found = { basis: 'catalogue', name };
  if (!found) {
    for (const [pattern, familyProvider, stand] of FAMILIES) {
      if (pattern.test(name)) {
        found = { basis: 'family', name: stand, provider: familyProvider };
        break;
      }
    }
  }
  if (lookups.size < 10_000) lookups.set(key, found ?? null);
  return found;
}

export interface PriceOptions {
  provider?: string;
  /** When the call was made (epoch ms): prices that changed over time apply as they were then. */
  time?: number;
  /** Config overrides (`prices`). */
  table?: PriceTable;
}

/** The cost of one model call; undefined when the model has no price. `usage.output` already includes reasoning. */
export function priceCall(model: string | undefined, usage: Usage, options: PriceOptions = {}): CallCost | undefined {
  if (!model) return undefined;
  const override = overrideFor(model, options.table);
  if (override) {
    const [key, p] = override;
    const perToken = (perMillion: number) => perMillion / 1_000_000;
    const write1h = Math.min(usage.cacheWrite1h ?? 0, usage.cacheWrite ?? 0);
    const write5m = (usage.cacheWrite ?? 0) - write1h;
    const inputUsd =
      (usage.input ?? 0) * perToken(p.input) +
      (usage.cacheRead ?? 0) * perToken(p.cacheRead ?? p.input) +
      write5m * perToken(p.cacheWrite ?? p.input) +
      write1h * perToken(p.cacheWrite1h ?? p.cacheWrite ?? p.input);
    const outputUsd = (usage.output ?? 0) * perToken(p.output);
    return { usd: inputUsd + outputUsd, inputUsd, outputUsd, basis: 'override', pricedAs: key };
  }
  const found = resolve(model, options.provider);
  if (!found) return undefined;
  const timestamp = new Date(options.time !== undefined && Number.isFinite(options.time) && options.time > 0 ? options.time : 0);
  let result: ReturnType<typeof CalcPrice>;
  try {
    result = catalogue()(catalogueUsage(usage), found.name, found.provider ? { providerId: found.provider, timestamp } : { timestamp });
  } catch {
    return undefined;
  }
  if (!result) return undefined;
  return {
    usd: result.total_price,
    inputUsd: result.input_price,
    outputUsd: result.output_price,
    basis: found.basis,
    pricedAs: result.model.id,
  };
}

/** Cost of one call in USD; undefined when the model has no known price. */
export function costOf(model: string | undefined, usage: Usage, table?: PriceTable, provider?: string, time?: number): number | undefined {
  return priceCall(model, usage, { table, provider, time })?.usd;
}
