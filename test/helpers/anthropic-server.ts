// A scripted, streaming Anthropic Messages API on 127.0.0.1 for driving the real Claude Code CLI offline.
//
// A script is a list of steps. Each request to `POST /v1/messages` is answered by the first unused step whose
// `on` matches what the request's latest user message holds (a prompt text, or the tool_result of given tool
// ids), so a scenario is deterministic however the CLI orders its calls. Requests no step matches are side
// calls (title and summary helpers, count_tokens): they get a short sensible answer and are logged as such.
// The server's log of what it answered — message ids, models, usage, tool_use ids and names — is the ground
// truth the conformance suites compare traces with.
//
// Self-contained (node: modules only, erasable TypeScript) so that `npm run bench` can load it with Node's
// type stripping as well.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  /** cache writes billed at the 5-minute rate */
  cacheWrite5m: number;
  /** cache writes billed at the 1-hour rate */
  cacheWrite1h: number;
}

export type Block =
  | { text: string }
  | { thinking: string; signature?: string }
  | { tool: { id: string; name: string; input: Record<string, unknown> } };

export interface Reply {
  blocks: Block[];
  usage?: Partial<Usage>;
  /** default: `tool_use` when a tool block is present, else `end_turn` */
  stopReason?: string;
  /** default: the model the request named */
  model?: string;
}

export interface Match {
  /** the latest user message has a text block containing this */
  prompt?: string;
  /** the latest user message carries tool_result blocks for every one of these ids */
  toolResults?: string[];
  /** any text of the request's latest user message or system prompt contains this (e.g. a compaction request) */
  anyText?: string;
}

export interface Step {
  /** a name for the log and for error messages */
  name?: string;
  on: Match;
  reply: Reply;
  /**
   * `main` (default): a response Claude Code records in the session (or a subagent's) transcript; `side`: a
   * call it makes for itself (e.g. the /compact summary), which is not a model call of the conversation.
   */
  path?: 'main' | 'side';
}

export interface RequestSummary {
  model: string;
  stream: boolean;
  tools: number;
  messages: number;
  /** what the latest user message held: its text blocks and tool_result ids */
  lastUserText: string;
  lastToolResults: Array<{ id: string; isError: boolean }>;
  maxTokens?: number;
}

export interface Answer {
  seq: number;
  url: string;
  /** `main`: a scripted step on the conversation path; `side`: a call the CLI made for itself; `unmatched`: a tool-carrying request no step matched */
  path: 'main' | 'side' | 'unmatched';
  step?: string;
  id?: string;
  model?: string;
  usage?: Usage;
  stopReason?: string;
  toolUses: Array<{ id: string; name: string }>;
  request?: RequestSummary;
  sessionHeader?: string;
}

export interface Totals {
  generations: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  cacheWrite5m: number;
  cacheWrite1h: number;
  toolIds: string[];
  responseIds: string[];
  models: string[];
}

export interface ScriptedServer {
  url: string;
  port: number;
  /** every request answered, in order */
  log: Answer[];
  /** appends steps (scenarios add theirs before each run) */
  add(...steps: Step[]): void;
  /** steps not used yet */
  pending(): Step[];
  /** resolves once a request matching the given step name has been answered; rejects, naming what came instead, after `timeoutMs` */
  answered(step: string, timeoutMs?: number): Promise<Answer>;
  /** the ground truth of main-path answers, optionally only those whose session header is `sessionId` */
  totals(filter?: (a: Answer) => boolean): Totals;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Json[])
    .map((b) => (b.type === 'text' && typeof b.text === 'string' ? b.text : ''))
    .filter(Boolean)
    .join('\n');
}

export function summarize(body: Json): RequestSummary {
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const blocks = Array.isArray(lastUser?.content) ? (lastUser!.content as Json[]) : [];
  return {
    model: String(body.model ?? ''),
    stream: body.stream === true,
    tools: Array.isArray(body.tools) ? body.tools.length : 0,
    messages: messages.length,
    lastUserText: textOf(lastUser?.content),
    lastToolResults: blocks.filter((b) => b.type === 'tool_result').map((b) => ({ id: String(b.tool_use_id), isError: b.is_error === true })),
    ...(typeof body.max_tokens === 'number' ? { maxTokens: body.max_tokens } : {}),
  };
}

function systemText(body: Json): string {
  return typeof body.system === 'string' ? body.system : textOf(body.system);
}

function matches(on: Match, req: RequestSummary, body: Json): boolean {
  if (on.toolResults) {
    const ids = new Set(req.lastToolResults.map((r) => r.id));
    if (!on.toolResults.every((id) => ids.has(id))) return false;
  } else if (on.prompt !== undefined && req.lastToolResults.length) return false;
  if (on.prompt !== undefined && !req.lastUserText.includes(on.prompt)) return false;
  if (on.anyText !== undefined && !req.lastUserText.includes(on.anyText) && !systemText(body).includes(on.anyText)) return false;
  return true;
}

function fullUsage(u: Partial<Usage> | undefined, seq: number): Usage {
  // Distinct, deterministic defaults per answer, so a response counted twice or lost shows in the sums.
  return {
    input: u?.input ?? 3 + (seq % 7),
    output: u?.output ?? 20 + seq,
    cacheRead: u?.cacheRead ?? 1000 + 10 * seq,
    cacheWrite5m: u?.cacheWrite5m ?? 100 + seq,
    cacheWrite1h: u?.cacheWrite1h ?? 0,
  };
}

function apiUsage(u: Usage, output: number): Json {
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite5m + u.cacheWrite1h,
    cache_read_input_tokens: u.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: u.cacheWrite5m, ephemeral_1h_input_tokens: u.cacheWrite1h },
    output_tokens: output,
    service_tier: 'standard',
  };
}

/** Splits a string into a few pieces, so every delta kind really streams. */
function pieces(s: string, n = 3): string[] {
  if (s.length < n) return [s];
  const size = Math.ceil(s.length / n);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function writeStream(res: ServerResponse, id: string, model: string, reply: Reply, usage: Usage, stopReason: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
  const send = (type: string, data: Json) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: apiUsage(usage, 1) } });
  reply.blocks.forEach((b, index) => {
    if ('text' in b) {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const p of pieces(b.text)) send('content_block_delta', { index, delta: { type: 'text_delta', text: p } });
    } else if ('thinking' in b) {
      send('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const p of pieces(b.thinking)) send('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: p } });
      send('content_block_delta', { index, delta: { type: 'signature_delta', signature: b.signature ?? `sig_${id}_${index}` } });
    } else {
      send('content_block_start', { index, content_block: { type: 'tool_use', id: b.tool.id, name: b.tool.name, input: {} } });
      for (const p of pieces(JSON.stringify(b.tool.input))) send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: p } });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: apiUsage(usage, usage.output) });
  send('message_stop', {});
  res.end();
}

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the server on 127.0.0.1 (a free port) with an initial script. */
export async function startScriptedServer(initial: Step[] = [], options: { idPrefix?: string } = {}): Promise<ScriptedServer> {
  const steps: Array<{ step: Step; used: boolean }> = initial.map((step) => ({ step, used: false }));
  const log: Answer[] = [];
  const waiters: Array<{ step: string; resolve: (a: Answer) => void }> = [];
  const prefix = options.idPrefix ?? 'msg_script';
  let seq = 0;

  const record = (a: Answer): void => {
    log.push(a);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.step === a.step) {
        waiters[i]!.resolve(a);
        waiters.splice(i, 1);
      }
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const url = req.url ?? '';
    const n = ++seq;
    const sessionHeader = typeof req.headers['x-claude-code-session-id'] === 'string' ? req.headers['x-claude-code-session-id'] : undefined;
    let body: Json = {};
    try {
      body = raw ? (JSON.parse(raw) as Json) : {};
    } catch {
      writeJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'body is not JSON' } });
      return;
    }
    const path = url.split('?')[0];
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      // A rough, deterministic count: Claude Code only uses it to size the context.
      record({ seq: n, url, path: 'side', step: 'count_tokens', toolUses: [], ...(sessionHeader ? { sessionHeader } : {}) });
      writeJson(res, 200, { input_tokens: Math.ceil(raw.length / 4) });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/messages') {
      record({ seq: n, url, path: 'side', step: `${req.method} ${path}`, toolUses: [], ...(sessionHeader ? { sessionHeader } : {}) });
      writeJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no ${req.method} ${path} here` } });
      return;
    }
    const summary = summarize(body);
    const entry = steps.find((s) => !s.used && matches(s.step.on, summary, body));
    const id = `${prefix}_${String(n).padStart(3, '0')}`;
    const model = entry?.step.reply.model ?? summary.model;
    if (!entry) {
      // A call the script did not plan: a title or summary helper, a quota probe. Answer briefly, as text.
      const usage = fullUsage({ input: 9, output: 4, cacheRead: 0, cacheWrite5m: 0 }, n);
      const reply: Reply = { blocks: [{ text: 'Scripted session' }] };
      record({ seq: n, url, path: summary.tools ? 'unmatched' : 'side', id, model, usage, stopReason: 'end_turn', toolUses: [], request: summary, ...(sessionHeader ? { sessionHeader } : {}) });
      if (summary.stream) writeStream(res, id, model, reply, usage, 'end_turn');
      else writeJson(res, 200, { id, type: 'message', role: 'assistant', model, content: [{ type: 'text', text: 'Scripted session' }], stop_reason: 'end_turn', stop_sequence: null, usage: apiUsage(usage, usage.output) });
      return;
    }
    entry.used = true;
    const { reply } = entry.step;
    const usage = fullUsage(reply.usage, n);
    const toolUses = reply.blocks.flatMap((b) => ('tool' in b ? [{ id: b.tool.id, name: b.tool.name }] : []));
    const stopReason = reply.stopReason ?? (toolUses.length ? 'tool_use' : 'end_turn');
    const answer: Answer = { seq: n, url, path: entry.step.path ?? 'main', ...(entry.step.name ? { step: entry.step.name } : {}), id, model, usage, stopReason, toolUses, request: summary, ...(sessionHeader ? { sessionHeader } : {}) };
    if (summary.stream) writeStream(res, id, model, reply, usage, stopReason);
    else {
      const content = reply.blocks.map((b) => ('text' in b ? { type: 'text', text: b.text } : 'thinking' in b ? { type: 'thinking', thinking: b.thinking, signature: b.signature ?? `sig_${id}` } : { type: 'tool_use', id: b.tool.id, name: b.tool.name, input: b.tool.input }));
      writeJson(res, 200, { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage: apiUsage(usage, usage.output) });
    }
    record(answer);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) writeJson(res, 500, { type: 'error', error: { type: 'api_error', message: String(error) } });
      else res.end();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    add: (...more) => steps.push(...more.map((step) => ({ step, used: false }))),
    pending: () => steps.filter((s) => !s.used).map((s) => s.step),
    answered: (step, timeoutMs = 30_000) => {
      const done = log.find((a) => a.step === step);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const waiter = {
          step,
          resolve: (a: Answer) => {
            clearTimeout(timer);
            resolve(a);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          const recent = log.slice(-3).map((a) => `${a.path} ${a.step ?? '(no step)'}: …${(a.request?.lastUserText ?? '').slice(-120)}`);
          reject(new Error(`no request matched step ${step} within ${timeoutMs} ms; the last ones: ${recent.join(' | ')}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    totals: (filter) => {
      const main = log.filter((a) => a.path === 'main' && (!filter || filter(a)));
      const tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
      let cacheWrite5m = 0;
      let cacheWrite1h = 0;
      for (const a of main) {
        tokens.input += a.usage!.input;
        tokens.output += a.usage!.output;
        tokens.cacheRead += a.usage!.cacheRead;
        tokens.cacheWrite += a.usage!.cacheWrite5m + a.usage!.cacheWrite1h;
        cacheWrite5m += a.usage!.cacheWrite5m;
        cacheWrite1h += a.usage!.cacheWrite1h;
      }
      return {
        generations: main.length,
        tokens,
        cacheWrite5m,
        cacheWrite1h,
        toolIds: main.flatMap((a) => a.toolUses.map((t) => t.id)).sort(),
        responseIds: main.map((a) => a.id!).sort(),
        models: [...new Set(main.map((a) => a.model!))].sort(),
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
