import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { converterFor, streamedSessionSpans, wholeSessionSpans } from '../exporters/otlp/session-spans.js';
import { buildResource } from '../exporters/otlp/spans.js';
import { SessionStore } from '../src/store/session-store.js';
import { claudeFixtures, freshDataDir, haveClaudeFixtures, isolatedEnv } from './helpers/claude-code.js';
import { cli } from './helpers/env.js';

/**
 * A trace too large to load whole is exported from trace.json span by span. Both ways of reading a session must
 * send the very same spans: real transcripts are imported, then every span is converted once from the whole
 * document and once from the streamed file (tool results looked up by their offsets), in both trace modes.
 */

function projection(span: ReadableSpan): unknown {
  return {
    name: span.name,
    ids: span.spanContext(),
    parent: span.parentSpanContext,
    kind: span.kind,
    start: span.startTime,
    end: span.endTime,
    status: span.status,
    attributes: span.attributes,
    events: span.events,
    links: span.links,
  };
}

describe.skipIf(!haveClaudeFixtures)('export of a session read span by span', () => {
  it('sends the same spans as the whole document: ids, parents, attributes, tool results in model-call messages', async () => {
    const { home, dir } = freshDataDir();
    const env = isolatedEnv(home);
    const transcripts = join(claudeFixtures, 'transcripts');
    for (const name of readdirSync(transcripts)) {
      const r = await cli(['import', join(transcripts, name), '--dir', dir], { env });
      expect(r.code, r.stderr).toBe(0);
    }
    const store = new SessionStore(dir);
    store.reconcile();
    const resource = buildResource({});
    let sessions = 0;
    let toolResults = 0;
    for (const { header } of store.summaries()) {
      const sessionId = header.sessionId;
      const doc = store.load(sessionId)!;
      const whole = wholeSessionSpans(doc);
      const streamed = streamedSessionSpans(store.tracePath(sessionId));
      expect(streamed.streamed).toBe(true);
      expect(streamed.traceId).toBe(whole.traceId);
      expect(streamed.title).toBe(whole.title);
      expect(streamed.rootSpanId).toBe(whole.rootSpanId);
      expect([...streamed.spans()]).toEqual([...whole.spans()]);
      for (const traceMode of ['session', 'turn'] as const) {
        const a = converterFor(whole, { sessionId, resource, traceMode });
        const b = converterFor(streamed, { sessionId, resource, traceMode });
        for (const span of doc.spans.filter((s) => s.endTime !== undefined)) {
          const fromWhole = projection(a.convert(span));
          expect(projection(b.convert(span))).toEqual(fromWhole);
          if (JSON.stringify(fromWhole).includes('tool_call_response')) toolResults++;
        }
      }
      sessions++;
    }
    expect(sessions).toBeGreaterThanOrEqual(5);
    // The lookups by offset were exercised: model calls whose messages carry tool results.
    expect(toolResults).toBeGreaterThan(10);
  });
});
