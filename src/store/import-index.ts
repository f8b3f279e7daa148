import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from './atomic-write.js';

/**
 * What earlier imports read, so an import skips inputs that did not change: `<dir>/import-index.json` maps each
 * input file (by real path) to its size, modification time and inode when it was imported, the sessions it
 * went into, and the other files read with it (a Claude Code transcript's subagent files). Derived data: a
 * missing or unreadable index only means every input is read again.
 */
export const IMPORT_INDEX_FILE = 'import-index.json';
const VERSION = 1;

export interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface ImportedFile extends FileStamp {
  agent: string;
  sessions: string[];
  /** Files read together with this one (real paths); the file is unchanged only if they are too. */
  with?: string[];
}

interface IndexFile {
  v: number;
  /** The settings the inputs were imported with (redaction rules, inactivity): other settings mean read again. */
  settings: string;
  files: Record<string, ImportedFile>;
}

export function stampOf(path: string): FileStamp | undefined {
  try {
    const st = statSync(path);
    return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  } catch {
    return undefined;
  }
}

function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return !!a && !!b && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

export class ImportIndex {
  private files: Record<string, ImportedFile> = {};
  private dirty = false;

  constructor(
    private readonly dir: string,
    private readonly settings: string,
  ) {
    try {
      const index = JSON.parse(readFileSync(join(dir, IMPORT_INDEX_FILE), 'utf8')) as IndexFile;
      if (index.v === VERSION && index.settings === settings && typeof index.files === 'object' && index.files) this.files = index.files;
    } catch {
      // none yet, or unreadable: everything is read again
    }
  }

  /**
   * The sessions a file went into when it (and every file read with it) is as it was imported, and those
   * sessions are still in the store; undefined when it must be read again.
   */
  unchanged(realPath: string, agent: string | undefined, stamp: FileStamp | undefined, sessionExists: (id: string) => boolean): string[] | undefined {
    const entry = this.files[realPath];
    if (!entry || !sameStamp(entry, stamp) || (agent !== undefined && entry.agent !== agent)) return undefined;
    for (const other of entry.with ?? []) if (!sameStamp(this.files[other], stampOf(other))) return undefined;
    if (!entry.sessions.every(sessionExists)) return undefined;
    return entry.sessions;
  }

  record(realPath: string, stamp: FileStamp | undefined, agent: string, sessions: string[], withFiles: string[] = []): void {
    if (!stamp) return;
    this.files[realPath] = { ...stamp, agent, sessions, ...(withFiles.length ? { with: withFiles } : {}) };
    this.dirty = true;
  }

  forget(realPath: string): void {
    if (this.files[realPath]) {
      delete this.files[realPath];
      this.dirty = true;
    }
  }

  save(): void {
    if (!this.dirty) return;
    try {
      writeFileAtomicSync(join(this.dir, IMPORT_INDEX_FILE), JSON.stringify({ v: VERSION, settings: this.settings, files: this.files } satisfies IndexFile));
      this.dirty = false;
    } catch {
      // the next import reads everything again; nothing is lost
    }
  }
}
