import type { PriceTable } from '../../src/model/pricing.js';

/** `GET /api/info`: what the viewer knows about itself and its prices (a shared file carries a copy). */
export interface ViewerInfo {
  version: string;
  dir: string;
  pricesAsOf: string;
  prices: PriceTable;
  priceOverrides: string[];
}
