/**
 * What counts as the person's words in Claude Code, shared by the hook (UserPromptSubmit) and the transcript
 * reader so both name a turn the same way. Kept apart from the transcript parser: the hook's hot path loads it.
 */
import { shortHash } from '../../model/ids.js';

/** The turn key the reducer derives for the nth occurrence of a prompt text (one rule, in the model): hooks and transcript agree. */
export { turnKeyFor } from '../../model/ids.js';

export const AGENT_NAME = 'claude-code';

type Block = Record<string, unknown>;

const SYNTHETIC_BLOCK =
  /^<(system-reminder|local-command-[a-z-]+|bash-[a-z-]+|task-notification|user-memory-input|ide_[a-z_]+|new-diagnostics|post-tool-use-hook|user-prompt-submit-hook|command-stdout|command-stderr)\b/;
const REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>/g;
const INTERRUPT = /^\[Request interrupted by user[^\]]*\]$/;

export type UserText =
  | { kind: 'prompt'; text: string }
  | { kind: 'command'; text: string }
  | { kind: 'interrupt'; text: string }
  | { kind: 'none' };

export function tag(text: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text);
  return m ? m[1]!.trim() : undefined;
}

/**
 * What a user line's text blocks are: the person's prompt, a slash command (as `/name args`), an
 * interruption marker, or nothing of the person's (wrappers, command output, reminders).
 */
export function classifyUserText(content: unknown): UserText {
  const texts: string[] = [];
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    for (const b of content as Block[]) if (b && b.type === 'text' && typeof b.text === 'string') texts.push(b.text);
  }
  const kept: string[] = [];
  for (const raw of texts) {
    const text = raw.replace(REMINDER, '').trim();
    if (!text) continue;
    if (text.includes('<command-name>')) {
      const name = tag(text, 'command-name') ?? '';
      const args = tag(text, 'command-args') ?? '';
      const command = `${name.startsWith('/') ? name : `/${name}`} ${args}`.trim();
      return { kind: 'command', text: command };
    }
    if (SYNTHETIC_BLOCK.test(text)) continue;
    if (INTERRUPT.test(text)) return { kind: 'interrupt', text };
    kept.push(text);
  }
  const text = kept.join('\n').trim();
  return text ? { kind: 'prompt', text } : { kind: 'none' };
}

/**
 * A prompt that is not the person's words but a notice Claude Code sends the model itself — a background
 * agent's completion (`<task-notification>…`, transcript `origin.kind: "task-notification"`), or any line
 * whose origin is not a person. It is a turn of its own, labelled as a notice and not counted as a turn; its
 * key comes from its text (a notice names its task, so it is unique), the same from the hook and the transcript.
 */
export interface Notice {
  kind: string;
  key: string;
  /** What to show: the notice's summary when it has one. */
  text: string;
}

export function noticeOf(raw: string, originKind?: string): Notice | undefined {
  const text = raw.trim();
  const tagged = /^<task-notification>/.test(text);
  const kind = originKind && originKind !== 'human' ? originKind : tagged ? 'task-notification' : undefined;
  if (!kind || !text) return undefined;
  const summary = tag(text, 'summary');
  const status = tag(text, 'status');
  return { kind, key: `notice:${shortHash(text, 12)}`, text: summary ?? (status ? `${kind}: ${status}` : text) };
}

/** The prompt text as both sides record it (hooks pass the raw prompt through the same function). */
export function normalizePrompt(prompt: string): string {
  const c = classifyUserText(prompt);
  return c.kind === 'prompt' || c.kind === 'command' ? c.text : prompt.trim();
}

