import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, ScriptedServer, sse, type ScriptedReply } from './scripted.js';

/**
 * The Gemini API as Gemini CLI calls it through `GOOGLE_GEMINI_BASE_URL`: `models/{model}:streamGenerateContent?alt=sse`
 * answers the next scripted reply (thought, text and function calls as parts, `usageMetadata` on the last chunk).
 * `generateContent` (the CLI's own side questions: next speaker, loop checks, summaries) gets a neutral JSON answer
 * and is kept apart in `side`; `countTokens` a plain count.
 */
export class GeminiServer extends ScriptedServer {
  readonly side: { path: string; body: string }[] = [];

  constructor(script: ScriptedReply[]) {
    super(script, 'gemresp');
  }

  protected route(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = req.url ?? '';
    const model = /models\/([^:/?]+)/.exec(url)?.[1] ?? '';
    if (url.includes(':countTokens')) return json(res, 200, { totalTokens: 10 });
    if (url.includes(':generateContent')) {
      this.side.push({ path: url, body });
      const text = JSON.stringify({ reasoning: 'The model finished its turn.', next_speaker: 'user' });
      return json(res, 200, {
        candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 5, totalTokenCount: 10 },
        modelVersion: model,
      });
    }
    if (!url.includes(':streamGenerateContent')) {
      this.unexpected.push({ path: url, body });
      return json(res, 404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
    }
    const request = JSON.parse(body) as Record<string, unknown>;
    const call = this.take(model, request, url);
    const r = call.reply;
    const chunks: Record<string, unknown>[] = [];
    if (r.reasoning) chunks.push({ parts: [{ text: r.reasoning, thought: true }] });
    if (r.text) chunks.push({ parts: [{ text: r.text }] });
    const calls = (r.tools ?? []).map((t) => ({ functionCall: { name: t.name, args: t.args } }));
    if (calls.length) chunks.push({ parts: calls });
    if (!chunks.length) chunks.push({ parts: [{ text: '' }] });
    const u = r.usage;
    sse(
      res,
      chunks.map((c, i) => {
        const last = i === chunks.length - 1;
        return {
          data: {
            candidates: [{ content: { role: 'model', parts: c.parts }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
            ...(last
              ? {
                  usageMetadata: {
                    promptTokenCount: u.input,
                    candidatesTokenCount: u.output,
                    ...(u.cached ? { cachedContentTokenCount: u.cached } : {}),
                    ...(u.reasoning ? { thoughtsTokenCount: u.reasoning } : {}),
                    totalTokenCount: u.input + u.output + (u.reasoning ?? 0),
                  },
                }
              : {}),
            modelVersion: call.model,
            responseId: call.responseId,
          },
        };
      }),
    );
  }
}
