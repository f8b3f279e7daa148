import { h } from './dom.js';

/** Light, dark, or what the system says; the choice is remembered in localStorage. */
export type Theme = 'light' | 'dark' | 'system';

const KEY = 'agent-trace.theme';
const ORDER: Theme[] = ['system', 'light', 'dark'];
const LABEL: Record<Theme, string> = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };
const GLYPH: Record<Theme, string> = { system: '◐', light: '☀', dark: '☾' };

export function savedTheme(): Theme {
  let v: string | null = null;
  try {
    v = localStorage.getItem(KEY);
  } catch {
    // storage can be off (a file:// page in some browsers): the system's scheme then
  }
  return v === 'light' || v === 'dark' ? v : 'system';
}

/** Applies a theme: `data-theme` on <html> overrides the media query (see styles.css). */
export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
  root.style.colorScheme = theme === 'system' ? '' : theme;
}

/** A button that cycles system → light → dark. */
export function themeToggle(): HTMLButtonElement {
  let theme = savedTheme();
  applyTheme(theme);
  const button = h('button', { class: 'button ghost small theme-toggle', type: 'button' });
  const render = () => {
    button.textContent = GLYPH[theme];
    button.title = `${LABEL[theme]} (click to change)`;
    button.setAttribute('aria-label', LABEL[theme]);
    button.dataset.theme = theme;
  };
  button.addEventListener('click', () => {
    theme = ORDER[(ORDER.indexOf(theme) + 1) % ORDER.length]!;
    try {
      if (theme === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, theme);
    } catch {
      // not remembered, still applied
    }
    applyTheme(theme);
    render();
  });
  render();
  return button;
}
