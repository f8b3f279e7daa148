import type { SpanEventRecord } from '../../src/model/trace.js';
import { generationOutput, searchText, stringify, type SessionModel, type SpanNode } from './model.js';

/**
 * The conversation as a flat list of top-level blocks (turn headers, prompts, model calls, tool cards, marks,
 * the end marker), each with a key and a revision so the chat can reuse the element of a block that did not
 * change; the filters and the search text of a block.
 */

/** One block of the conversation at the top level; `rev` tells whether its element can be reused. */
export interface Entry {
  key: string;
  rev: number;
  node: SpanNode | undefined;
  render: () => HTMLElement;
}

/** A child span or an event of a span, placed in time among the others. */
export type Item = { node: SpanNode; time: number } | { event: SpanEventRecord; owner: SpanNode; index: number; time: number };

/** Events the chat does not show as marks. */
export const QUIET_EVENTS = new Set(['interrupted', 'session.resume', 'gen_ai.user.message']);

/** What builds each kind of block (chat-blocks.ts). */
export interface BlockRenderers {
  turnHeader(turn: SpanNode): HTMLElement;
  prompt(turn: SpanNode): HTMLElement;
  finalMessage(turn: SpanNode): HTMLElement;
  block(node: SpanNode): HTMLElement;
  eventMarker(event: SpanEventRecord, owner: SpanNode): HTMLElement;
  endMarker(): HTMLElement;
}

export interface ChatBuild {
  entries: Entry[];
  /** Each span's block: the index of the entry that shows it (itself, or the block it is nested in). */
  owner: Map<string, number>;
  /** The keys of the entries, by index (an owner index finds its entry again after filtering). */
  ownerKeys: string[];
}

export interface ChatFilters {
  errors: boolean;
  tools: boolean;
  thinking: boolean;
}

export const isTurnEntry = (e: Entry): boolean => e.key.startsWith('turn:');

/** A span's children and its own events, in time order. */
export function items(node: SpanNode): Item[] {
  const out: Item[] = node.children.map((c) => ({ node: c, time: c.span.startTime }));
  (node.span.events ?? []).forEach((event, index) => {
    if (!QUIET_EVENTS.has(event.name)) out.push({ event, owner: node, index, time: event.time });
  });
  out.sort((a, b) => a.time - b.time);
  return out;
}

function entryFor(item: Item, blocks: BlockRenderers): Entry {
  if ('event' in item) {
    return { key: `ev:${item.owner.id}:${item.index}`, rev: item.owner.rev, node: item.owner, render: () => blocks.eventMarker(item.event, item.owner) };
  }
  const n = item.node;
  return { key: `span:${n.id}`, rev: n.subRev, node: n, render: () => blocks.block(n) };
}

/** The blocks of a session: per turn its header, its prompt, what happened in it, and its last word if no call said it. */
export function buildEntries(model: Pick<SessionModel, 'root' | 'running'>, blocks: BlockRenderers): ChatBuild {
  const root = model.root;
  const out: Entry[] = [];
  const owner = new Map<string, number>();
  if (!root) return { entries: out, owner, ownerKeys: [] };
  const own = (node: SpanNode, index: number) => {
    owner.set(node.id, index);
    const stack = [...node.children];
    while (stack.length) {
      const n = stack.pop()!;
      if (owner.has(n.id)) continue;
      owner.set(n.id, index);
      stack.push(...n.children);
    }
  };
  for (const item of items(root)) {
    if ('node' in item && item.node.span.kind === 'turn') {
      const turn = item.node;
      owner.set(turn.id, out.length);
      out.push({ key: `turn:${turn.id}`, rev: turn.subRev, node: turn, render: () => blocks.turnHeader(turn) });
      if (typeof turn.span.input === 'string') out.push({ key: `prompt:${turn.id}`, rev: turn.rev, node: turn, render: () => blocks.prompt(turn) });
      let spoke = false;
      for (const sub of items(turn)) {
        if ('node' in sub) {
          const out0 = sub.node.span.kind === 'generation' ? generationOutput(sub.node.span) : undefined;
          if (out0?.text) spoke = true;
          own(sub.node, out.length);
          out.push(entryFor(sub, blocks));
        } else {
          if (sub.event.name === 'gen_ai.assistant.message') spoke = true;
          out.push(entryFor(sub, blocks));
        }
      }
      if (!spoke && typeof turn.span.output === 'string' && turn.span.output) {
        out.push({ key: `final:${turn.id}`, rev: turn.rev, node: turn, render: () => blocks.finalMessage(turn) });
      }
    } else {
      if ('node' in item) own(item.node, out.length);
      out.push(entryFor(item, blocks));
    }
  }
  out.push({ key: 'end', rev: root.rev * 1e6 + (model.running ? 1 : 0), node: root, render: () => blocks.endMarker() });
  return { entries: out, owner, ownerKeys: out.map((e) => e.key) };
}

/** The filters: errors only (turns that hold an error, and the failing blocks), no tool cards. */
export function filterEntries(entries: Entry[], f: ChatFilters): Entry[] {
  if (!f.errors && f.tools) return entries;
  const failed = (n: SpanNode | undefined): boolean => {
    if (!n) return false;
    if (n.span.status === 'error' || (n.span.events ?? []).some((e) => e.name === 'api_error' || e.name === 'crash')) return true;
    return n.children.some((c) => failed(c));
  };
  return entries.filter((e) => {
    if (e.key === 'end') return true;
    if (!f.tools && e.node?.span.kind === 'tool' && e.key.startsWith('span:')) return false;
    if (f.errors) {
      if (isTurnEntry(e)) return failed(e.node);
      if (e.key.startsWith('ev:')) return e.key.includes('error') || failed(e.node);
      return e.key.startsWith('span:') && failed(e.node);
    }
    return true;
  });
}

/**
 * What the chat's search looks through for one block. A model call's block shows only what it answered: the
 * input it received (the prompt, tool results) is shown by the blocks before it, so matching it there would
 * count one prompt twice.
 */
export function chatSearchText(node: SpanNode): string {
  if (node.span.kind !== 'generation') return searchText(node);
  return `${node.span.name}\n${node.span.statusMessage ?? ''}\n${stringify(node.span.output, 20_000)}`.toLowerCase();
}
