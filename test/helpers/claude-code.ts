import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TraceDocument, TraceSpan } from '../../src/model/trace.js';
import { tempDir } from './env.js';
import { fixturePath, haveFixtures } from './fixtures.js';

export const claudeFixtures = fixturePath('claude-code');
export const haveClaudeFixtures = haveFixtures('claude-code/transcripts', 'claude-code/hooks');

/** An environment for spawned CLIs: no OTEL_*, no AGENT_TRACE_*, and a HOME/XDG of the test's own. */
export function isolatedEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('OTEL_') || k.startsWith('AGENT_TRACE_') || k.startsWith('CLAUDE_') || k.startsWith('XDG_')) continue;
    env[k] = v;
  }
  env.HOME = home;
  env.XDG_CONFIG_HOME = join(home, '.config');
  env.XDG_DATA_HOME = join(home, '.local', 'share');
  return { ...env, ...extra };
}

export function readLines(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8');
  if (text.trimStart().startsWith('[')) return JSON.parse(text) as Record<string, unknown>[];
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface IndependentCount {
  generations: number;
  toolCalls: number;
  toolErrors: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number; cacheWrite5m: number; cacheWrite1h: number };
  models: string[];
}

/**
 * Counts a transcript the plain way, without the product's parser: every assistant message — main thread,
 * inline sidechain or `agent_progress` — once per `message.id`, with the usage of its last line; `<synthetic>`
 * excluded; tool calls by `tool_use` id; tool errors by `tool_result` with `is_error`.
 */
export function countTranscript(lines: Record<string, unknown>[]): IndependentCount {
  const lastUsage = new Map<string, Record<string, number>>();
  const models = new Set<string>();
  const toolIds = new Set<string>();
  const errorIds = new Set<string>();
  const visit = (line: Record<string, unknown>): void => {
    const msg = line.message as Record<string, unknown> | undefined;
    if (!msg || typeof msg !== 'object') return;
    const content = Array.isArray(msg.content) ? (msg.content as Record<string, unknown>[]) : [];
    if (line.type === 'assistant' && msg.model !== '<synthetic>' && typeof msg.id === 'string') {
      lastUsage.set(msg.id, (msg.usage ?? {}) as Record<string, number>);
      if (typeof msg.model === 'string') models.add(msg.model);
      for (const b of content) if (b.type === 'tool_use') toolIds.add(b.id as string);
    }
    // A tool call the person rejected or interrupted (Esc) is not the tool's error (SPEC 7.5).
    const stopped = (b: Record<string, unknown>) => /^(The user doesn't want to proceed|\[Request interrupted by user)/.test(typeof b.content === 'string' ? b.content : JSON.stringify(b.content ?? ''));
    if (line.type === 'user') for (const b of content) if (b.type === 'tool_result' && b.is_error === true && !stopped(b)) errorIds.add(b.tool_use_id as string);
  };
  for (const line of lines) {
    visit(line);
    const data = line.data as Record<string, unknown> | undefined;
    if (line.type === 'progress' && data?.type === 'agent_progress' && data.message && typeof data.message === 'object') visit(data.message as Record<string, unknown>);
  }
  const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cacheWrite5m: 0, cacheWrite1h: 0 };
  for (const u of lastUsage.values()) {
    tokens.input += u.input_tokens ?? 0;
    tokens.output += u.output_tokens ?? 0;
    tokens.cacheRead += u.cache_read_input_tokens ?? 0;
    tokens.cacheWrite += u.cache_creation_input_tokens ?? 0;
    const split = (u as Record<string, unknown>).cache_creation as Record<string, number> | undefined;
    const oneHour = split?.ephemeral_1h_input_tokens ?? 0;
    tokens.cacheWrite1h += oneHour;
    tokens.cacheWrite5m += (u.cache_creation_input_tokens ?? 0) - oneHour;
  }
  return { generations: lastUsage.size, toolCalls: toolIds.size, toolErrors: [...errorIds].filter((id) => toolIds.has(id)).length, tokens, models: [...models] };
}

export function spansOf(doc: TraceDocument, kind: TraceSpan['kind']): TraceSpan[] {
  return doc.spans.filter((s) => s.kind === kind);
}

export function parentOf(doc: TraceDocument, span: TraceSpan): TraceSpan | undefined {
  return doc.spans.find((s) => s.spanId === span.parentSpanId);
}

/** The chain of parents up to the root (nearest first). */
export function ancestors(doc: TraceDocument, span: TraceSpan): TraceSpan[] {
  const out: TraceSpan[] = [];
  let p = parentOf(doc, span);
  while (p) {
    out.push(p);
    p = parentOf(doc, p);
  }
  return out;
}

/**
 * Writes a Claude Code transcript the way Claude Code does (one line per content block, usage repeated
 * with a partial output count until the last line), growing while a test runs.
 */
export class TranscriptWriter {
  readonly path: string;
  private clock: number;
  private parent: string | null = null;
  private n = 0;
  readonly sessionId: string;
  readonly cwd: string;

  constructor(path: string, sessionId: string, start = Date.now(), cwd = '/work/project') {
    this.path = path;
    this.sessionId = sessionId;
    this.clock = start;
    this.cwd = cwd;
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Advances the transcript's clock. */
  tick(ms = 100): number {
    this.clock += ms;
    return this.clock;
  }

  get now(): number {
    return this.clock;
  }

  private uuid(): string {
    this.n++;
    return `00000000-0000-4000-8000-${this.n.toString(16).padStart(12, '0')}`;
  }

  write(line: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const uuid = this.uuid();
    const full = {
      parentUuid: this.parent,
      isSidechain: false,
      userType: 'external',
      cwd: this.cwd,
      sessionId: this.sessionId,
      version: '2.1.62',
      gitBranch: 'main',
      ...line,
      uuid,
      timestamp: new Date(this.clock).toISOString(),
      ...extra,
    };
    this.parent = uuid;
    appendFileSync(this.path, `${JSON.stringify(full)}\n`);
    return full;
  }

  prompt(text: string): void {
    this.tick();
    this.write({ type: 'user', message: { role: 'user', content: text } });
  }

  /**
   * One API response: text/thinking/tool_use blocks each on its own line, the usage repeated with a small
   * output count on every line but the last.
   */
  response(
    id: string,
    blocks: Array<{ text?: string; thinking?: string; tool?: { id: string; name: string; input: unknown } }>,
    usage: { input: number; output: number; cacheRead: number; cacheWrite: number },
    model = 'claude-opus-4-6',
    extra: Record<string, unknown> = {},
  ): void {
    blocks.forEach((b, i) => {
      this.tick(50);
      const last = i === blocks.length - 1;
      const content = b.text !== undefined ? [{ type: 'text', text: b.text }] : b.thinking !== undefined ? [{ type: 'thinking', thinking: b.thinking, signature: 'sig' }] : [{ type: 'tool_use', id: b.tool!.id, name: b.tool!.name, input: b.tool!.input }];
      this.write(
        {
          type: 'assistant',
          requestId: `req_${id}`,
          message: {
            model,
            id,
            type: 'message',
            role: 'assistant',
            content,
            stop_reason: last ? (b.tool ? 'tool_use' : 'end_turn') : null,
            usage: {
              input_tokens: usage.input,
              cache_creation_input_tokens: usage.cacheWrite,
              cache_read_input_tokens: usage.cacheRead,
              output_tokens: last ? usage.output : 1,
            },
          },
        },
        extra,
      );
    });
  }

  toolResult(id: string, output: string, isError = false, toolUseResult?: unknown, extra: Record<string, unknown> = {}): void {
    this.tick(30);
    this.write(
      {
        type: 'user',
        message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content: output, ...(isError ? { is_error: true } : {}) }] },
        ...(toolUseResult !== undefined ? { toolUseResult } : {}),
      },
      extra,
    );
  }

  compact(trigger: 'auto' | 'manual', preTokens: number, summary: string): void {
    this.tick();
    this.write({ type: 'system', subtype: 'compact_boundary', content: 'Conversation compacted', level: 'info', compactMetadata: { trigger, preTokens } });
    this.tick(5);
    this.write({ type: 'user', isCompactSummary: true, message: { role: 'user', content: summary } });
  }

  meta(text: string): void {
    this.tick(5);
    this.write({ type: 'user', isMeta: true, message: { role: 'user', content: text } });
  }

  raw(line: Record<string, unknown>): void {
    this.tick(5);
    this.write(line);
  }
}

export function freshDataDir(): { home: string; dir: string } {
  const home = tempDir('agent-trace-claude-');
  return { home, dir: join(home, 'data') };
}
