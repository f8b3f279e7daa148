import type { Attributes, GenerationOutput, Usage } from '../events/types.js';
import type { MessagePart } from './messages.js';

/** What the reducer reads out of events' content: images, outputs, usage, the files a tool writes, a title. */

const FILE_WRITING_TOOL = /edit|write|patch|replace|create|notebook/i;
const FILE_PATH_FIELDS = ['file_path', 'filePath', 'notebook_path', 'path', 'absolute_path'];

export function compact(attrs: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || Array.isArray(v)) out[k] = v as never;
    else out[k] = JSON.stringify(v);
  }
  return out;
}

/**
 * Images a prompt carried (`agent_trace.prompt.images`: type, size, data when small) as message parts: a
 * GenAI blob when the data was kept, else a placeholder part naming what the image was.
 */
export function imageParts(value: unknown): MessagePart[] {
  if (typeof value !== 'string') return [];
  let images: unknown;
  try {
    images = JSON.parse(value);
  } catch {
    return [];
  }
  if (!Array.isArray(images)) return [];
  return images.map((raw): MessagePart => {
    const i = (raw ?? {}) as { media_type?: string; bytes?: number; data?: string };
    const mime = typeof i.media_type === 'string' ? i.media_type : 'image';
    if (typeof i.data === 'string') return { type: 'blob', modality: 'image', mime_type: mime, content: i.data };
    return { type: 'image', modality: 'image', mime_type: mime, ...(typeof i.bytes === 'number' ? { size_bytes: i.bytes } : {}), content: '[image not kept]' };
  });
}

export function hasTokens(u: Usage): boolean {
  return Boolean(u.input || u.output || u.cacheRead || u.cacheWrite);
}

export function cleanUsage(u: Usage): Usage {
  const out: Usage = {};
  for (const k of ['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'] as const) {
    const v = u[k];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[k] = v;
  }
  return out;
}

export function mergeOutput(prev: GenerationOutput | undefined, next: GenerationOutput): GenerationOutput {
  if (!prev) return next;
  return {
    ...(next.text ?? prev.text ? { text: next.text ?? prev.text } : {}),
    ...(next.thinking ?? prev.thinking ? { thinking: next.thinking ?? prev.thinking } : {}),
    ...(next.toolCalls ?? prev.toolCalls ? { toolCalls: next.toolCalls ?? prev.toolCalls } : {}),
  };
}

export const writingTools = new Map<string, boolean>();
/** Whether a tool changes files (Edit, Write, apply_patch …); remembered per name, as summaries ask often. */
export function writesFiles(name: string): boolean {
  let writes = writingTools.get(name);
  if (writes === undefined) {
    writes = FILE_WRITING_TOOL.test(name);
    if (writingTools.size < 10_000) writingTools.set(name, writes);
  }
  return writes;
}

const PATCH_FILE_LINE = /^\*\*\* (?:Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm;

/** The files a tool call names: a path field, or the files of an apply_patch patch (text, or `{command|input|patch}`). */
export function filePathsOf(input: unknown): string[] {
  if (typeof input === 'string') {
    if (!input.includes('*** Begin Patch')) return [];
    return [...input.matchAll(PATCH_FILE_LINE)].map((m) => (m[1] ?? m[2] ?? '').trim()).filter(Boolean);
  }
  if (!input || typeof input !== 'object') return [];
  const record = input as Record<string, unknown>;
  for (const field of FILE_PATH_FIELDS) if (typeof record[field] === 'string') return [record[field] as string];
  for (const field of ['input', 'patch', 'command']) if (typeof record[field] === 'string') return filePathsOf(record[field]);
  return [];
}

export function titleFrom(prompt: string | undefined): string | undefined {
  if (!prompt) return undefined;
  const line = prompt.trim().split('\n')[0]?.trim() ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line || undefined;
}
