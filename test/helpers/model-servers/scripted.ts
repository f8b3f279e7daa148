import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One tool call a scripted reply asks for. */
export interface ScriptedToolCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

/** One scripted model reply: what the model "says" and the usage it reports. */
export interface ScriptedReply {
  text?: string;
  reasoning?: string;
  tools?: ScriptedToolCall[];
  usage: { input: number; cached: number; output: number; reasoning?: number };
}

/** What the server answered to one request: the ground truth a trace is checked against. */
export interface AnsweredCall {
  index: number;
  responseId: string;
  model: string;
  reply: ScriptedReply;
  /** The request body, for checking prompts and tool results. */
  request: Record<string, unknown>;
  path: string;
}

/**
 * A model API on 127.0.0.1 that answers the requests of one protocol with the replies of a script, in order,
 * and logs what it answered. Requests that are not model calls (titles, counts, …) go to `side`.
 */
export abstract class ScriptedServer {
  readonly log: AnsweredCall[] = [];
  readonly unexpected: { path: string; body: string }[] = [];
  private server?: Server;
  private next = 0;
  url = '';

  constructor(protected readonly script: ScriptedReply[], protected readonly prefix: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        try {
          this.route(req, res, body);
        } catch (error) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: String(error) } }));
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Starts the script over (a new session against the same server); the log is emptied. */
  reset(): void {
    this.next = 0;
    this.log.length = 0;
    this.unexpected.length = 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next reply of the script, logged; an empty final text once the script is exhausted. */
  protected take(model: string, request: Record<string, unknown>, path: string): AnsweredCall {
    const reply = this.script[this.next] ?? { text: 'Done.', usage: { input: 10, cached: 0, output: 2 } };
    const call: AnsweredCall = { index: this.next, responseId: `${this.prefix}_${String(this.next + 1).padStart(3, '0')}`, model, reply, request, path };
    this.next++;
    this.log.push(call);
    return call;
  }

  protected abstract route(req: IncomingMessage, res: ServerResponse, body: string): void;
}

export function sse(res: ServerResponse, events: { event?: string; data: unknown }[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const e of events) res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`);
  res.end();
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
