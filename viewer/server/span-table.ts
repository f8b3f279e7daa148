import type { TraceSpan } from '../../src/model/trace.js';
import type { SessionUpdate } from '../../src/store/session-follower.js';
import type { TraceHeader } from './api-types.js';

/** One span as served: its JSON text and the table version it last changed in. */
interface SpanRecord {
  readonly id: string;
  readonly json: string;
  readonly version: number;
}

/** Epochs start at a random number, so a client's `EPOCH.VERSION` from before a restart is never taken for current. */
let epochCounter = Math.floor(Math.random() * 1e9);

/**
 * A session's spans as the viewer serves them, versioned: every span carries the version it last changed in, so
 * a client that has version N of this epoch receives only the spans changed after N (`delta`). A new epoch
 * (`reset`) means the numbering started over: clients reload the session whole.
 */
export class SpanTable {
  epoch = ++epochCounter;
  version = 0;
  headerJson = '{}';
  header: TraceHeader | undefined;
  private records: SpanRecord[] = [];
  private byId = new Map<string, SpanRecord>();

  get spanCount(): number {
    return this.records.length;
  }

  /** Starts a new epoch with nothing in it. */
  reset(): void {
    this.epoch = ++epochCounter;
    this.version = 0;
    this.headerJson = '{}';
    this.header = undefined;
    this.records = [];
    this.byId = new Map();
  }

  /**
   * Takes a session's update; true when anything changed, and then the version moves on. A span keeps its
   * version when the update says it is unchanged or brings the same JSON text; a span seen twice counts once.
   */
  apply(update: SessionUpdate): boolean {
    if (update.reset) this.reset();
    const next = this.version + 1;
    let changed = false;
    if (update.headerJson !== this.headerJson) {
      this.headerJson = update.headerJson;
      this.header = JSON.parse(update.headerJson) as TraceHeader;
      changed = true;
    }
    const records: SpanRecord[] = [];
    const byId = new Map<string, SpanRecord>();
    for (const span of update.spans) {
      if (byId.has(span.id)) continue;
      const prev = this.byId.get(span.id);
      let record: SpanRecord;
      if (prev && (span.json === undefined || span.json === prev.json)) record = prev;
      else if (span.json === undefined) throw new Error(`span ${span.id}: marked unchanged, but this table never had it`);
      else {
        record = { id: span.id, json: span.json, version: next };
        changed = true;
      }
      byId.set(span.id, record);
      records.push(record);
    }
    // A span gone (or the order changed in length) is a change too.
    if (records.length !== this.records.length || byId.size !== this.byId.size) changed = true;
    this.records = records;
    this.byId = byId;
    if (changed) this.version = next;
    return changed;
  }

  /** The JSON text of one span. */
  spanJson(id: string): string | undefined {
    return this.byId.get(id)?.json;
  }

  /** The root span (its input is the first prompt). */
  root(): TraceSpan | undefined {
    const first = this.records[0];
    return first ? (JSON.parse(first.json) as TraceSpan) : undefined;
  }

  /** The first prompt (the root span's input). */
  firstPrompt(): string | null {
    const input = this.root()?.input;
    return typeof input === 'string' ? input : null;
  }

  /** The whole document as JSON text, in pieces of about 64 KB (a consistent snapshot). */
  *documentParts(): Generator<string> {
    const records = this.records;
    let chunk = `${this.headerJson.slice(0, -1)},"spans":[`;
    for (let i = 0; i < records.length; i++) {
      chunk += i ? `,${records[i]!.json}` : records[i]!.json;
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}]}`;
  }

  /** A page of spans in document order: `{epoch, version, total, offset, spans}`. */
  page(offset: number, limit: number): string {
    const slice = this.records.slice(offset, offset + limit);
    return `{"epoch":${this.epoch},"version":${this.version},"total":${this.records.length},"offset":${offset},"spans":[${slice.map((r) => r.json).join(',')}]}`;
  }

  /** What a client at version `since` of this epoch lacks: the header and every span changed after `since`. */
  delta(since: number): string {
    const changed: string[] = [];
    for (const r of this.records) if (r.version > since) changed.push(r.json);
    return `{"epoch":${this.epoch},"version":${this.version},"total":${this.records.length},"header":${this.headerJson},"spans":[${changed.join(',')}]}`;
  }
}
