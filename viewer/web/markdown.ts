import MarkdownIt from 'markdown-it';

/**
 * Assistant text as markdown, raw HTML disabled: markdown-it escapes every `<` of the input, refuses
 * javascript:/vbscript:/file: links, and images become plain links (no request leaves the machine).
 * The result is the only HTML string the viewer ever assigns, through a Trusted Types policy that the CSP
 * names ('markdown'), so any other innerHTML assignment would be refused by the browser.
 */
const md = new MarkdownIt({ html: false, linkify: true, breaks: false, typographer: false });

md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  token.attrSet('target', '_blank');
  token.attrSet('rel', 'noopener noreferrer nofollow');
  return self.renderToken(tokens, idx, options);
};

md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet('src') ?? '');
  const alt = String(token.content || 'image');
  const escape = md.utils.escapeHtml;
  return `<a href="${escape(src)}" target="_blank" rel="noopener noreferrer nofollow">[image: ${escape(alt)}]</a>`;
};

interface TrustedTypePolicyLike {
  createHTML(input: string): unknown;
}

declare global {
  interface Window {
    trustedTypes?: { createPolicy(name: string, rules: { createHTML(input: string): string }): TrustedTypePolicyLike };
  }
}

const policy: TrustedTypePolicyLike | undefined = window.trustedTypes?.createPolicy('markdown', {
  createHTML: (input: string) => input,
});

const MAX_MARKDOWN = 200_000;

export function renderMarkdown(target: HTMLElement, text: string): void {
  const source = text.length > MAX_MARKDOWN ? `${text.slice(0, MAX_MARKDOWN)}\n\n…(truncated)` : text;
  const html = md.render(source);
  target.classList.add('markdown');
  (target as unknown as { innerHTML: unknown }).innerHTML = policy ? policy.createHTML(html) : html;
}
