import type { PriceTable } from '../../src/model/pricing.js';

/** `GET /api/info`: what the viewer knows about itself and its prices (a shared file carries a copy). */
export interface ViewerInfo {
  version: string;
  dir: string;
  pricesAsOf: string;
  /** The price source, named and dated. */
  priceSource: string;
  /** The config file's `prices` overrides (costs themselves are computed into the trace). */
  prices: PriceTable;
  priceOverrides: string[];
}
