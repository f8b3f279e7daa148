import type { HookMapper } from '../hook-types.js';

/** Placeholder: replaced by the real codex hook mapping. */
export const mapHook: HookMapper = () => [];
