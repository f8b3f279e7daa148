import type { TraceDocument, TraceSpan } from './trace.js';

/** What a piece of searchable text is. */
export type SearchField = 'prompt' | 'assistant' | 'tool_input' | 'tool_output' | 'path' | 'error';
export const SEARCH_FIELDS: SearchField[] = ['prompt', 'assistant', 'tool_input', 'tool_output', 'path', 'error'];

export interface SearchText {
  spanId: string;
  field: SearchField;
  text: string;
  time: number;
}

/** Longer texts are indexed by their start: a 5 MB tool output is found by what it begins with. */
export const MAX_INDEXED_CHARS = 32_768;
const PATH_FIELDS = ['file_path', 'filePath', 'notebook_path', 'path', 'absolute_path', 'cwd', 'directory'];

function clip(text: string): string {
  // \u0001-\u0003 mark matches in snippets: they never come from a trace
  const clean = text.replace(/[\u0001-\u0003]/g, ' ');
  return clean.length > MAX_INDEXED_CHARS ? clean.slice(0, MAX_INDEXED_CHARS) : clean;
}

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value || undefined;
  if (Array.isArray(value)) {
    // tool results made of content blocks: their text
    const texts = value.map((b) => (b && typeof b === 'object' && typeof (b as { text?: unknown }).text === 'string' ? (b as { text: string }).text : undefined));
    if (texts.every((t) => t !== undefined)) return texts.join('\n') || undefined;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function pathsOf(input: unknown): string[] {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return [];
  const out: string[] = [];
  for (const f of PATH_FIELDS) {
    const v = (input as Record<string, unknown>)[f];
    if (typeof v === 'string' && v) out.push(v);
  }
  return out;
}

/** The searchable texts of one span (its content, the paths it names, its errors). */
export function spanTexts(span: TraceSpan): SearchText[] {
  const out: SearchText[] = [];
  const add = (field: SearchField, value: unknown) => {
    const text = asText(value);
    if (text && text.trim()) out.push({ spanId: span.spanId, field, text: clip(text), time: span.startTime });
  };
  switch (span.kind) {
    case 'turn':
    case 'subagent':
      // the session span repeats the first prompt and turns repeat the final answer: indexed once, here
      add('prompt', span.input);
      break;
    case 'generation': {
      const output = span.output as { text?: unknown } | undefined;
      if (output && typeof output === 'object') add('assistant', output.text);
      break;
    }
    case 'tool':
      add('tool_input', span.input);
      for (const p of pathsOf(span.input)) add('path', p);
      add('tool_output', span.output);
      break;
    default:
      break;
  }
  if (span.status === 'error' && span.statusMessage) add('error', span.statusMessage);
  for (const e of span.events ?? []) {
    if (e.name === 'api_error' || e.name === 'api.error' || e.name === 'exception' || e.name === 'crash') {
      const msg = e.attributes?.['exception.message'] ?? e.attributes?.['error.message'] ?? e.attributes?.message ?? e.attributes?.reason;
      add('error', msg);
    }
  }
  return out;
}

/** Every searchable text of a session. */
export function documentTexts(doc: TraceDocument): SearchText[] {
  const out: SearchText[] = [];
  for (const span of doc.spans) out.push(...spanTexts(span));
  return out;
}
