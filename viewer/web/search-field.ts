import { debounce, h } from './dom.js';

/**
 * The search box of the Chat and the Waterfall: the query follows typing (debounced), Enter jumps to the next
 * match and Shift+Enter to the previous one, Escape clears it.
 */
export function searchField(options: {
  placeholder: string;
  label: string;
  onQuery: (query: string) => void;
  onStep: (direction: 1 | -1) => void;
  onClear?: () => void;
}): HTMLInputElement {
  const input: HTMLInputElement = h('input', {
    class: 'search',
    type: 'search',
    placeholder: options.placeholder,
    attrs: { 'aria-label': options.label, spellcheck: 'false' },
    on: {
      input: debounce(() => options.onQuery(input.value), 150),
      keydown: (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          options.onQuery(input.value);
          options.onStep(e.shiftKey ? -1 : 1);
        } else if (e.key === 'Escape') {
          e.preventDefault();
          input.value = '';
          options.onQuery('');
          options.onClear?.();
        }
      },
    },
  });
  return input;
}
