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

/** Lower case without accents, one output character per input character (positions stay the same). */
function fold(text: string): string {
  let out = '';
  for (const c of text) {
    const base = c.normalize('NFD')[0] ?? c;
    const lower = base.toLowerCase();
    // keep the length: a character whose folding changes length stays as it was
    out += lower.length === c.length ? lower : c.length === base.length ? base : c;
  }
  return out;
}

const WORD = /[\p{L}\p{N}]/u;

/** The words of a query as the index matches them: quoted phrases and single words, folded. */
export function queryTerms(q: string): string[] {
  const terms: string[] = [];
  for (const part of q.replace(/"/g, ' ').split(/[^\p{L}\p{N}_]+/u)) {
    const t = fold(part.replace(/_/g, ' ').trim());
    for (const w of t.split(' ')) if (w) terms.push(w);
  }
  return [...new Set(terms)];
}

/**
 * The part of a text around its first match, with every match of a term (as a word start) between \u0001 and
 * \u0002, and … where the text was cut. Done here rather than by FTS5's snippet(), which re-reads the postings
 * of every query word once per hit.
 */
export function makeSnippet(text: string, terms: string[], width = 200): string {
  const folded = fold(text);
  const matches: Array<[number, number]> = [];
  for (const term of terms) {
    for (let at = folded.indexOf(term); at >= 0; at = folded.indexOf(term, at + 1)) {
      if (at > 0 && WORD.test(folded[at - 1]!)) continue;
      matches.push([at, at + term.length]);
    }
  }
  matches.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const first = matches[0]?.[0] ?? 0;
  let start = Math.max(0, first - Math.floor(width / 4));
  if (start > 0) {
    const space = text.lastIndexOf(' ', first);
    if (space > start - 20 && space < first) start = space + 1;
  }
  const end = Math.min(text.length, start + width);
  let out = start > 0 ? '…' : '';
  let at = start;
  for (const [from, to] of matches) {
    if (from < at || from >= end) continue;
    out += `${text.slice(at, from)}\u0001${text.slice(from, Math.min(to, end))}\u0002`;
    at = Math.min(to, end);
  }
  out += text.slice(at, end) + (end < text.length ? '…' : '');
  return out.replace(/\s+/g, ' ');
}
