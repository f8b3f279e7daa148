import type { Usage } from '../../events/types.js';

/** Reading a transcript line's parts: times, strings, usage, tool results, images. */

export type Line = Record<string, unknown>;
export type Block = Record<string, unknown>;

/** Inline images up to this size keep their data (a thumbnail); larger ones only their type and size. */
const THUMBNAIL_BYTES = 6_144;

export interface ImageNote {
  type: 'image';
  media_type: string;
  /** Decoded size, when the data was inline. */
  bytes?: number;
  /** Base64 data, only for a small inline image. */
  data?: string;
}

/** What an image block was, without its data unless it is small: media type and size. */
export function imageNote(block: Block): ImageNote {
  const source = block.source && typeof block.source === 'object' ? (block.source as Record<string, unknown>) : {};
  const media = str(source.media_type) ?? str(block.media_type) ?? 'image';
  const data = typeof source.data === 'string' ? source.data : undefined;
  const bytes = data !== undefined ? Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0) : undefined;
  return { type: 'image', media_type: media, ...(bytes !== undefined ? { bytes } : {}), ...(data !== undefined && bytes !== undefined && bytes <= THUMBNAIL_BYTES ? { data } : {}) };
}

function imageText(note: ImageNote): string {
  const size = note.bytes === undefined ? '' : note.bytes >= 1024 ? `, ${Math.round(note.bytes / 1024)} KB` : `, ${note.bytes} bytes`;
  return `[image: ${note.media_type}${size}]`;
}

export function toolResultText(content: unknown): unknown {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content;
  const parts: string[] = [];
  for (const b of content as Block[]) {
    if (b?.type === 'text' && typeof b.text === 'string') parts.push(b.text);
    else if (b?.type === 'image') parts.push(imageText(imageNote(b)));
    else if (b && typeof b === 'object') parts.push(JSON.stringify(b));
  }
  return parts.join('\n');
}

export function usageOf(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as Record<string, unknown>;
  const n = (k: string, from: Record<string, unknown> = u) => (typeof from[k] === 'number' && Number.isFinite(from[k]) ? (from[k] as number) : 0);
  // `cache_creation` splits the writes by lifetime (1-hour writes cost 2× input, 5-minute ones 1.25×);
  // without it (older versions) every write was a 5-minute one.
  const split = u.cache_creation && typeof u.cache_creation === 'object' ? (u.cache_creation as Record<string, unknown>) : undefined;
  const cacheWrite = n('cache_creation_input_tokens');
  const cacheWrite1h = split ? Math.min(cacheWrite, n('ephemeral_1h_input_tokens', split)) : 0;
  return {
    input: n('input_tokens'),
    output: n('output_tokens'),
    cacheRead: n('cache_read_input_tokens'),
    cacheWrite,
    ...(cacheWrite1h > 0 ? { cacheWrite1h } : {}),
  };
}

export function timeOf(line: Line, fallback: number | undefined): number | undefined {
  const t = line.timestamp;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  } else if (typeof t === 'number' && Number.isFinite(t)) return t;
  return fallback;
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** A tool call the person stopped (Esc, Ctrl-C) or rejected: interrupted, not the tool's failure. */
export function isStopped(text: string, toolUseResult: unknown): boolean {
  if (typeof toolUseResult === 'string' && /^User rejected tool use|interrupted by user/i.test(toolUseResult)) return true;
  return /^(The user doesn't want to (proceed|take this action)|\[Request interrupted by user)/.test(text.trim()) || /Interrupted by user/.test(text.slice(0, 200));
}

export function time0(line: Line, fallback: number | undefined): number {
  return timeOf(line, fallback) ?? fallback ?? 0;
}
