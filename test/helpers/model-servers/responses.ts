import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, ScriptedServer, sse, type ScriptedReply } from './scripted.js';

/**
 * The OpenAI Responses API (`POST /v1/responses`, streamed) as Codex CLI speaks it with a custom
 * `model_provider` (`wire_api = "responses"`). Each request is answered with the next scripted reply:
 * reasoning, text and function calls as output items, then `response.completed` with the usage.
 */
export class ResponsesServer extends ScriptedServer {
  constructor(script: ScriptedReply[]) {
    super(script, 'resp');
  }

  protected route(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (req.method !== 'POST' || !req.url?.endsWith('/responses')) {
      if (req.url?.includes('/models')) return json(res, 200, { object: 'list', data: [], models: [] });
      this.unexpected.push({ path: req.url ?? '', body });
      return json(res, 404, { error: { message: 'not found' } });
    }
    const request = JSON.parse(body) as Record<string, unknown>;
    const call = this.take(String(request.model ?? ''), request, req.url);
    const r = call.reply;
    const items: Record<string, unknown>[] = [];
    if (r.reasoning) items.push({ type: 'reasoning', id: `rs_${call.index}`, summary: [{ type: 'summary_text', text: r.reasoning }] });
    if (r.text) items.push({ type: 'message', id: `msg_${call.index}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: r.text, annotations: [] }] });
    for (const t of r.tools ?? []) {
      if (t.name === 'apply_patch' && typeof t.args.input === 'string') items.push({ type: 'custom_tool_call', id: `ct_${t.id}`, status: 'completed', call_id: t.id, name: t.name, input: t.args.input });
      else items.push({ type: 'function_call', id: `fc_${t.id}`, status: 'completed', call_id: t.id, name: t.name, arguments: JSON.stringify(t.args) });
    }
    const events: { event: string; data: unknown }[] = [];
    const response = { id: call.responseId, object: 'response', created_at: Math.floor(Date.now() / 1000), model: call.model, status: 'in_progress', output: [] as unknown[] };
    events.push({ event: 'response.created', data: { type: 'response.created', response } });
    items.forEach((item, output_index) => {
      events.push({ event: 'response.output_item.added', data: { type: 'response.output_item.added', output_index, item } });
      if (item.type === 'message') events.push({ event: 'response.output_text.delta', data: { type: 'response.output_text.delta', output_index, item_id: item.id, content_index: 0, delta: r.text } });
      events.push({ event: 'response.output_item.done', data: { type: 'response.output_item.done', output_index, item } });
    });
    const u = r.usage;
    events.push({
      event: 'response.completed',
      data: {
        type: 'response.completed',
        response: {
          ...response,
          status: 'completed',
          output: items,
          usage: {
            input_tokens: u.input,
            input_tokens_details: { cached_tokens: u.cached },
            output_tokens: u.output,
            output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
            total_tokens: u.input + u.output,
          },
        },
      },
    });
    sse(res, events);
  }
}
