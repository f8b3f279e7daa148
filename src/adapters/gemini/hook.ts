import type { HookMapper } from '../hook-types.js';

/** Placeholder: replaced by the real gemini hook mapping. */
export const mapHook: HookMapper = () => [];
