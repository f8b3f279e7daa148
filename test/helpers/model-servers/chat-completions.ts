import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, ScriptedServer, sse, type ScriptedReply } from './scripted.js';

/**
 * An OpenAI-compatible chat completions API (`POST /v1/chat/completions`, streamed, usage in the last chunk) as
 * opencode calls it through `@ai-sdk/openai-compatible`. Agent requests get the next scripted reply (reasoning,
 * text, tool calls); opencode's own side requests (the session title, summaries) are answered apart, in `side`.
 */
export class ChatCompletionsServer extends ScriptedServer {
  readonly side: { body: string }[] = [];

  constructor(script: ScriptedReply[]) {
    super(script, 'chatcmpl');
  }

  protected route(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = req.url ?? '';
    if (req.method === 'GET' && url.includes('/models')) return json(res, 200, { object: 'list', data: [] });
    if (req.method !== 'POST' || !url.endsWith('/chat/completions')) {
      this.unexpected.push({ path: url, body });
      return json(res, 404, { error: { message: 'not found' } });
    }
    const request = JSON.parse(body) as Record<string, unknown>;
    const model = String(request.model ?? '');
    const stream = request.stream === true;
    if (isSideRequest(request)) {
      this.side.push({ body });
      return answer(res, stream, model, `side_${this.side.length}`, { text: 'Tidy notes', usage: { input: 50, cached: 0, output: 3 } });
    }
    const call = this.take(model, request, url);
    answer(res, stream, model, call.responseId, call.reply);
  }
}

/** opencode's title and summary requests: no tools offered, and a system prompt naming the job. */
function isSideRequest(request: Record<string, unknown>): boolean {
  const tools = request.tools;
  if (Array.isArray(tools) && tools.length > 0) return false;
  const system = JSON.stringify((request.messages as unknown[] | undefined)?.filter((m) => (m as { role?: string }).role === 'system') ?? []);
  return /title|summar/i.test(system);
}

function answer(res: ServerResponse, stream: boolean, model: string, id: string, r: ScriptedReply): void {
  const u = r.usage;
  const usage = {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
  };
  const toolCalls = (r.tools ?? []).map((t, index) => ({ index, id: t.id, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.args) } }));
  const finish = toolCalls.length ? 'tool_calls' : 'stop';
  const created = Math.floor(Date.now() / 1000);
  if (!stream) {
    return json(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: r.text ?? null, ...(toolCalls.length ? { tool_calls: toolCalls.map(({ index: _i, ...t }) => t) } : {}) }, finish_reason: finish }],
      usage,
    });
  }
  const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null, extra: Record<string, unknown> = {}) => ({
    data: { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason }], ...extra },
  });
  const events: { data: unknown }[] = [chunk({ role: 'assistant', content: '' })];
  if (r.reasoning) events.push(chunk({ reasoning_content: r.reasoning }));
  if (r.text) events.push(chunk({ content: r.text }));
  for (const t of toolCalls) events.push(chunk({ tool_calls: [t] }));
  events.push(chunk({}, finish));
  events.push({ data: { id, object: 'chat.completion.chunk', created, model, choices: [], usage } });
  events.push({ data: '[DONE]' });
  sse(res, events);
}
