import { diffLines } from 'diff';
import { h, type Child } from './dom.js';
import { oneLine } from './format.js';
import { stringify } from './model.js';
import { renderMarkdown } from './markdown.js';

/** How tool inputs, outputs and other trace values are shown: always as text, never as markup. */

type Rec = Record<string, unknown>;

function rec(value: unknown): Rec | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Rec) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A path shown relative to the session's folder when it is inside it. */
export function shortPath(path: string, cwd?: string | null): string {
  if (cwd && path.startsWith(`${cwd}/`)) return path.slice(cwd.length + 1);
  return path;
}

/** One line saying what a tool call did: the command, the file, the pattern … */
export function toolSummary(name: string, input: unknown, cwd?: string | null): string {
  const r = rec(input);
  if (!r) return typeof input === 'string' ? oneLine(input, 140) : '';
  const file = str(r.file_path) ?? str(r.filePath) ?? str(r.notebook_path) ?? str(r.absolute_path) ?? str(r.path);
  const n = name.toLowerCase();
  if (n === 'bash' || n === 'shell' || n === 'exec_command' || n === 'run_shell_command' || n === 'local_shell') {
    const cmd = r.command ?? r.cmd;
    return oneLine(Array.isArray(cmd) ? cmd.join(' ') : (str(cmd) ?? ''), 140);
  }
  if (n === 'grep' || n === 'search_file_content') return oneLine(`${str(r.pattern) ?? ''}${file ? `  in ${shortPath(file, cwd)}` : ''}${str(r.glob) ? `  ${r.glob as string}` : ''}`, 140);
  if (n === 'glob') return oneLine(str(r.pattern) ?? '', 140);
  if (n === 'task' || n === 'agent') return oneLine(str(r.description) ?? str(r.subagent_type) ?? str(r.prompt) ?? '', 140);
  if (n === 'webfetch' || n === 'web_fetch') return oneLine(str(r.url) ?? '', 140);
  if (n === 'websearch' || n === 'web_search' || n === 'google_web_search') return oneLine(str(r.query) ?? '', 140);
  if (n === 'todowrite' && Array.isArray(r.todos)) return `${r.todos.length} todos`;
  if (file) return shortPath(file, cwd);
  for (const v of Object.values(r)) if (typeof v === 'string' && v.trim()) return oneLine(v, 140);
  return '';
}

const EDIT_TOOLS = new Set(['edit', 'write', 'multiedit', 'str_replace_editor', 'str_replace_based_edit_tool', 'replace', 'write_file', 'create', 'notebookedit', 'apply_patch']);

export function isEditTool(name: string): boolean {
  return EDIT_TOOLS.has(name.toLowerCase());
}

const MAX_DIFF_LINES = 1_500;

/** A line diff of two texts, as +/- rows. */
export function diffView(before: string, after: string, label?: string): HTMLElement {
  const rows: HTMLElement[] = [];
  let count = 0;
  let added = 0;
  let removed = 0;
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    const cls = part.added ? 'add' : part.removed ? 'del' : 'ctx';
    if (part.added) added += lines.length;
    if (part.removed) removed += lines.length;
    for (const line of lines) {
      if (count++ >= MAX_DIFF_LINES) continue;
      rows.push(h('div', { class: `dl ${cls}` }, h('span', { class: 'dg' }, part.added ? '+' : part.removed ? '−' : ' '), h('span', { class: 'dt' }, line || ' ')));
    }
  }
  return h(
    'div',
    { class: 'diff' },
    h('div', { class: 'diff-head' }, label ? h('span', { class: 'diff-file' }, label) : null, h('span', { class: 'diff-stat' }, h('span', { class: 'add' }, `+${added}`), ' ', h('span', { class: 'del' }, `−${removed}`))),
    h('div', { class: 'diff-body' }, rows, count > MAX_DIFF_LINES ? h('div', { class: 'dl more' }, `… ${count - MAX_DIFF_LINES} more lines`) : null),
  );
}

/** A unified patch text (apply_patch, git diff) coloured by line prefix. */
function patchView(patch: string): HTMLElement {
  const lines = patch.split('\n').slice(0, MAX_DIFF_LINES);
  return h(
    'div',
    { class: 'diff' },
    h(
      'div',
      { class: 'diff-body' },
      lines.map((line) => {
        const c = line[0];
        const cls = line.startsWith('***') || line.startsWith('@@') ? 'hunk' : c === '+' ? 'add' : c === '-' ? 'del' : 'ctx';
        return h('div', { class: `dl ${cls}` }, h('span', { class: 'dt' }, line || ' '));
      }),
    ),
  );
}

/** Tool input: diffs for edits, the command for shells, otherwise the arguments as JSON. */
export function toolInputView(name: string, input: unknown, cwd?: string | null): HTMLElement {
  const r = rec(input);
  const n = name.toLowerCase();
  if (r) {
    const file = str(r.file_path) ?? str(r.filePath) ?? str(r.path) ?? str(r.notebook_path);
    const label = file ? shortPath(file, cwd) : undefined;
    if ((n === 'edit' || n === 'str_replace_editor' || n === 'replace' || n === 'str_replace_based_edit_tool') && (str(r.old_string) !== undefined || str(r.old_str) !== undefined)) {
      const before = str(r.old_string) ?? str(r.old_str) ?? '';
      const after = str(r.new_string) ?? str(r.new_str) ?? '';
      return h('div', { class: 'tool-input' }, diffView(before, after, label), r.replace_all ? h('div', { class: 'hint' }, 'replace all occurrences') : null);
    }
    if (n === 'multiedit' && Array.isArray(r.edits)) {
      return h(
        'div',
        { class: 'tool-input' },
        r.edits.map((e, i) => {
          const er = rec(e) ?? {};
          return diffView(str(er.old_string) ?? '', str(er.new_string) ?? '', `${label ?? 'edit'} · edit ${i + 1} of ${(r.edits as unknown[]).length}`);
        }),
      );
    }
    if ((n === 'write' || n === 'write_file' || n === 'create') && str(r.content) !== undefined) {
      return h('div', { class: 'tool-input' }, diffView('', str(r.content)!, label ? `${label} (new content)` : undefined));
    }
    if (n === 'notebookedit' && str(r.new_source) !== undefined) {
      return h('div', { class: 'tool-input' }, diffView('', str(r.new_source)!, label));
    }
    if (n === 'apply_patch' && (str(r.input) ?? str(r.patch))) {
      return h('div', { class: 'tool-input' }, patchView(str(r.input) ?? str(r.patch)!));
    }
    const cmd = r.command ?? r.cmd;
    if ((n === 'bash' || n === 'shell' || n === 'exec_command' || n === 'run_shell_command' || n === 'local_shell') && cmd !== undefined) {
      const text = Array.isArray(cmd) ? cmd.join(' ') : String(cmd);
      const rest = { ...r };
      delete rest.command;
      delete rest.cmd;
      const description = typeof rest.description === 'string' ? rest.description : undefined;
      delete rest.description;
      return h(
        'div',
        { class: 'tool-input' },
        description ? h('div', { class: 'cmd-desc' }, description) : null,
        h('pre', { class: 'cmd' }, h('span', { class: 'prompt-sign' }, '$ '), text),
        Object.keys(rest).length
          ? h('div', { class: 'kv-line' }, Object.entries(rest).map(([k, v]) => h('span', { class: 'chip' }, `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)))
          : null,
      );
    }
  }
  if (n === 'apply_patch' && typeof input === 'string') return h('div', { class: 'tool-input' }, patchView(input));
  return h('div', { class: 'tool-input' }, valueView(input));
}

const PREVIEW_CHARS = 4_000;
const PREVIEW_LINES = 40;

/**
 * Any value as text: strings as they are, objects as indented JSON. Long values show their start and a
 * "show all" button (building a multi-megabyte <pre> only when asked).
 */
export function valueView(value: unknown, options: { compact?: boolean; cls?: string; markdown?: boolean } = {}): HTMLElement {
  if (value === undefined) return h('div', { class: 'empty' }, '(none)');
  const text = stringify(value);
  if (options.markdown && typeof value === 'string') {
    const div = h('div', { class: options.cls ?? '' });
    renderMarkdown(div, text);
    return div;
  }
  const pre = h('pre', { class: `value${options.compact ? ' compact' : ''}${options.cls ? ` ${options.cls}` : ''}` });
  let shown = text;
  let cut = false;
  if (text.length > PREVIEW_CHARS) {
    shown = text.slice(0, PREVIEW_CHARS);
    cut = true;
  }
  const lines = shown.split('\n');
  if (lines.length > PREVIEW_LINES) {
    shown = lines.slice(0, PREVIEW_LINES).join('\n');
    cut = true;
  }
  pre.textContent = shown || ' ';
  if (!cut) return pre;
  const more = h(
    'button',
    {
      class: 'link-button show-all',
      type: 'button',
      on: {
        click: () => {
          pre.textContent = text;
          more.remove();
        },
      },
    },
    `show all (${text.length.toLocaleString('en-US')} characters, ${text.split('\n').length.toLocaleString('en-US')} lines)`,
  );
  return h('div', { class: 'value-wrap' }, pre, more);
}

/**
 * A tool result as text when it is made of text blocks (MCP and Claude `tool_result` content:
 * `[{type: 'text', text}]`, or `{content: [...]}`); otherwise the value itself.
 */
export function toolOutputText(output: unknown): unknown {
  const blocks = Array.isArray(output) ? output : rec(output) && Array.isArray(rec(output)!.content) ? (rec(output)!.content as unknown[]) : undefined;
  if (!blocks || blocks.length === 0) return output;
  const texts: string[] = [];
  for (const b of blocks) {
    const r = rec(b);
    if (!r || r.type !== 'text' || typeof r.text !== 'string') return output;
    texts.push(r.text);
  }
  return texts.join('\n');
}

/** A labelled section. */
export function section(title: Child, ...body: Child[]): HTMLElement {
  return h('section', { class: 'section' }, h('h4', null, title), ...body);
}

/** An image content part (`{type: 'image', …}`, with its media type and size when the trace has them). */
export function imagePart(value: unknown): { mediaType: string; bytes: number | undefined } | undefined {
  const r = rec(value);
  if (!r || (r.type !== 'image' && r.type !== 'input_image' && r.type !== 'image_url')) return undefined;
  const source = rec(r.source);
  const mediaType = [r.mediaType, r.media_type, r.mimeType, r.mime_type, source?.media_type, source?.mediaType].find((v): v is string => typeof v === 'string') ?? 'image';
  const size = [r.bytes, r.size, r.sizeBytes, source?.bytes].find((v): v is number => typeof v === 'number');
  const data = typeof source?.data === 'string' ? source.data : typeof r.data === 'string' ? r.data : undefined;
  return { mediaType, bytes: size ?? (data ? Math.floor((data.length * 3) / 4) : undefined) };
}

function fmtBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const THUMBNAIL_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/**
 * The images a prompt carried (`agent_trace.prompt.images`: a JSON list of `{type, media_type, bytes, data?}`):
 * a small thumbnail when the trace kept the data (a data: URL, nothing fetched), else a placeholder.
 */
export function promptImages(attributes: Record<string, unknown>): HTMLElement | null {
  const raw = attributes['agent_trace.prompt.images'];
  if (typeof raw !== 'string') return null;
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(list) || !list.length) return null;
  return h(
    'div',
    { class: 'prompt-images' },
    list.map((item) => {
      const part = imagePart({ type: 'image', ...(rec(item) ?? {}) });
      if (!part) return null;
      const data = rec(item)?.data;
      if (typeof data === 'string' && THUMBNAIL_TYPES.has(part.mediaType) && /^[A-Za-z0-9+/=]+$/.test(data)) {
        const img = h('img', { class: 'thumbnail', attrs: { alt: `image, ${part.mediaType}`, src: `data:${part.mediaType};base64,${data}` } });
        return h('figure', { class: 'image-thumb' }, img, h('figcaption', { class: 'dim small' }, part.mediaType));
      }
      return imagePlaceholder(part);
    }),
  );
}

/** A placeholder for an image the trace mentions (the image itself is not kept in the trace). */
export function imagePlaceholder(part: { mediaType: string; bytes: number | undefined }): HTMLElement {
  return h('div', { class: 'image-placeholder', role: 'img', attrs: { 'aria-label': `image, ${part.mediaType}${part.bytes !== undefined ? `, ${fmtBytes(part.bytes)}` : ''}` } }, h('span', { class: 'image-glyph' }, '▣'), h('span', null, `Image · ${part.mediaType}${part.bytes !== undefined ? ` · ${fmtBytes(part.bytes)}` : ''}`));
}

/** Content parts (text blocks, images, anything else) as they would read; other values as valueView does. */
export function contentView(value: unknown, options: { cls?: string } = {}): HTMLElement {
  const blocks = Array.isArray(value) ? value : rec(value) && Array.isArray(rec(value)!.content) ? (rec(value)!.content as unknown[]) : undefined;
  if (!blocks || !blocks.some((b) => imagePart(b))) return valueView(toolOutputText(value), options);
  return h(
    'div',
    { class: 'content-parts' },
    blocks.map((b) => {
      const img = imagePart(b);
      if (img) return imagePlaceholder(img);
      const r = rec(b);
      return valueView(r && r.type === 'text' && typeof r.text === 'string' ? r.text : b, options);
    }),
  );
}
