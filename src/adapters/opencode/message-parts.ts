import { nonEmpty, str, type Rec } from '../codex/util.js';
import { byId, type OcMessage } from './session-model.js';

/**
 * Reading one message's parts: the prompt a user message carries, the steps of an assistant message (each
 * step-start … step-finish is one model call with its own usage), the text it ended with.
 */

export function userPrompt(msg: OcMessage): string {
  const texts: string[] = [];
  for (const [, p] of [...msg.parts].sort(byId)) {
    if (p.type !== 'text' || p.synthetic === true || p.ignored === true) continue;
    const t = str(p.text);
    if (t && t.trim()) texts.push(t);
  }
  if (!texts.length) {
    for (const [, p] of msg.parts) {
      if (p.type === 'subtask') {
        const t = nonEmpty(p.prompt) ?? nonEmpty(p.description);
        if (t) texts.push(t);
      }
    }
  }
  return texts.join('\n').trim();
}

export interface Step {
  parts: Rec[];
  finish?: Rec;
  started: boolean;
}

/** Parts that record what a step did after it finished (file snapshots), not model output. */
const AFTER_STEP = new Set(['patch', 'snapshot']);

export function stepsOf(msg: OcMessage): Step[] {
  const steps: Step[] = [];
  let current: Step | undefined;
  for (const [, p] of [...msg.parts].sort(byId)) {
    if (!current && AFTER_STEP.has(str(p.type) ?? '') && steps.length) {
      steps[steps.length - 1]!.parts.push(p);
    } else if (p.type === 'step-start') {
      if (current && (current.parts.length || current.finish)) steps.push(current);
      current = { parts: [], started: true };
    } else if (p.type === 'step-finish') {
      current ??= { parts: [], started: false };
      current.finish = p;
      steps.push(current);
      current = undefined;
    } else {
      current ??= { parts: [], started: false };
      current.parts.push(p);
    }
  }
  if (current && (current.parts.length || current.started)) steps.push(current);
  return steps;
}

export function lastText(msg: OcMessage): string {
  return [...msg.parts]
    .sort(byId)
    .map(([, p]) => p)
    .filter((p) => p.type === 'text' && p.synthetic !== true)
    .map((p) => str(p.text) ?? '')
    .join('')
    .trim();
}
