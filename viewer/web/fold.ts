import { h } from './dom.js';
import { renderMarkdown } from './markdown.js';

/** Prompts longer than this are folded to their first lines, with a button to read them whole. */
export const FOLD_CHARS = 1_200;

/**
 * A prompt rendered as Markdown (raw HTML off, as every Markdown here), folded when long so a pasted
 * 7,000-character document does not push everything else off the screen.
 */
export function foldedMarkdown(text: string, cls = 'prompt-text'): HTMLElement {
  const body = h('div', { class: `msg-text ${cls}` });
  renderMarkdown(body, text);
  if (text.length <= FOLD_CHARS) return body;
  body.classList.add('folded');
  const button = h('button', { class: 'link-button fold-toggle', type: 'button', attrs: { 'aria-expanded': 'false' } }, `Show the whole prompt (${text.length.toLocaleString('en-US')} characters)`);
  button.addEventListener('click', () => {
    const folded = body.classList.toggle('folded');
    button.setAttribute('aria-expanded', String(!folded));
    button.textContent = folded ? `Show the whole prompt (${text.length.toLocaleString('en-US')} characters)` : 'Fold the prompt';
  });
  return h('div', { class: 'fold' }, body, button);
}
