/**
 * Small, dependency-free helpers shared by the Codex, Gemini and opencode readers. Everything here accepts
 * any value: saved sessions change shape between versions, so a reader asks "is this a string?" instead of
 * trusting a schema.
 */
import { createHash } from 'node:crypto';

export type Rec = Record<string, unknown>;

export function rec(value: unknown): Rec | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Rec) : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A non-empty string, or undefined. */
export function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Epoch milliseconds from an ISO string, epoch milliseconds or epoch seconds; undefined for anything else
 * (so a reader falls back to the last time it knew instead of writing NaN or 1970 into a trace).
 */
export function toMillis(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value === 'string' && value.length > 0) {
    if (/^\d+(\.\d+)?$/.test(value)) return toMillis(Number(value));
    const t = Date.parse(value);
    return Number.isFinite(t) && t > 0 ? t : undefined;
  }
  return undefined;
}

/** Hands out event times that never go backwards when a line has no time of its own. */
export class Clock {
  private last = 0;
  constructor(start?: number) {
    if (start !== undefined) this.last = start;
  }
  /** The time of a line: its own when it has one, else the last time seen. */
  at(value: unknown): number {
    const t = toMillis(value);
    if (t !== undefined) {
      this.last = t;
      return t;
    }
    return this.last;
  }
  get now(): number {
    return this.last;
  }
}

export interface JsonLine {
  value: Rec;
  /** 0-based line number in the file. */
  line: number;
}

/** Parses JSON Lines, skipping blank lines, garbage and lines that are not objects (a truncated last line). */
export function parseJsonLines(text: string): JsonLine[] {
  const out: JsonLine[] = [];
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const raw = text.slice(start, end).trim();
    if (raw.length > 0 && raw[0] === '{') {
      try {
        const value = rec(JSON.parse(raw));
        if (value) out.push({ value, line });
      } catch {
        // a line of garbage or a line cut short: skip it, keep the rest
      }
    }
    start = end + 1;
    line++;
  }
  return out;
}

/** The first line of a text (without parsing it, which may be impossible when the head cut it short). */
export function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return (i === -1 ? text : text.slice(0, i)).trim();
}

/**
 * JSON.parse that survives a damaged document: when the text ends early (or turns into garbage), the
 * containers that were open are closed and the members read so far are kept (a half-written member is
 * dropped). Leading bytes before the first `{`/`[` and trailing bytes after the value are ignored. Returns
 * undefined when nothing usable is found.
 */
export function parseJsonTolerant(text: string): unknown {
  const begin = text.search(/[[{]/);
  if (begin === -1) return undefined;
  const body = begin === 0 ? text : text.slice(begin);
  try {
    return JSON.parse(body);
  } catch {
    // fall through to the tolerant parser
  }
  try {
    return new TolerantParser(body).parse();
  } catch {
    return undefined;
  }
}

/** Thrown when the text ends early or stops being JSON; carries what the innermost open container had read. */
class Truncated extends Error {
  constructor(readonly partial: unknown) {
    super('truncated');
  }
}

/** A small recursive-descent JSON parser whose only leniency is where the input stops being valid JSON. */
class TolerantParser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): unknown {
    try {
      return this.value();
    } catch (error) {
      if (error instanceof Truncated) return error.partial;
      throw error;
    }
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.i++;
      else break;
    }
    if (this.i >= s.length) throw new Truncated(undefined);
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    return this.literal();
  }

  private object(): Rec {
    const out: Rec = {};
    this.i++;
    try {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return out;
      }
      for (;;) {
        this.ws();
        if (this.s[this.i] !== '"') throw new Truncated(undefined);
        const key = this.string();
        this.ws();
        if (this.s[this.i] !== ':') throw new Truncated(undefined);
        this.i++;
        try {
          out[key] = this.value();
        } catch (error) {
          if (error instanceof Truncated && error.partial !== undefined) out[key] = error.partial;
          throw error;
        }
        this.ws();
        const c = this.s[this.i];
        this.i++;
        if (c === '}') return out;
        if (c !== ',') throw new Truncated(undefined);
      }
    } catch (error) {
      if (error instanceof Truncated) throw new Truncated(out);
      throw error;
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    try {
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return out;
      }
      for (;;) {
        try {
          out.push(this.value());
        } catch (error) {
          if (error instanceof Truncated && error.partial !== undefined) out.push(error.partial);
          throw error;
        }
        this.ws();
        const c = this.s[this.i];
        this.i++;
        if (c === ']') return out;
        if (c !== ',') throw new Truncated(undefined);
      }
    } catch (error) {
      if (error instanceof Truncated) throw new Truncated(out);
      throw error;
    }
  }

  private string(): string {
    const s = this.s;
    const start = this.i;
    let j = start + 1;
    let escaped = false;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 92) {
        escaped = true;
        j += 2;
        continue;
      }
      if (c === 34) break;
      j++;
    }
    if (j >= s.length) throw new Truncated(undefined);
    this.i = j + 1;
    const raw = s.slice(start, j + 1);
    if (!escaped) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      throw new Truncated(undefined);
    }
  }

  private literal(): unknown {
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) throw new Truncated(undefined);
    this.i += m[0].length;
    // A number cut short could be a different number: drop it.
    if (this.i >= this.s.length) throw new Truncated(undefined);
    return JSON.parse(m[0]);
  }
}

/** JSON with object keys sorted, so equal values always give equal text (for hashing). */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Rec;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function hashOf(text: string, length = 16): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Parses a JSON string when it holds an object or array; otherwise returns the text unchanged. */
export function maybeJson(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return text;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

/** Text of a content value: a string, or an array of parts with `text` (Responses API, Gemini parts). */
export function textOf(content: unknown, separator = '\n'): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const pieces: string[] = [];
    for (const part of content) {
      if (typeof part === 'string') pieces.push(part);
      else {
        const t = rec(part)?.text;
        if (typeof t === 'string') pieces.push(t);
      }
    }
    return pieces.join(separator);
  }
  const t = rec(content)?.text;
  return typeof t === 'string' ? t : '';
}

/** The file name without directories. */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i === -1 ? path : path.slice(i + 1);
}
