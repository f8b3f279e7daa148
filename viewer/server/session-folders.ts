import type { SessionStore } from '../../src/store/session-store.js';

/**
 * The store's session folders resolved to session ids, each folder once: known folders cost nothing on a
 * scan. A folder whose id cannot be read yet (created before its first event) is not remembered, so the next
 * scan tries it again.
 */
export class SessionFolders {
  private readonly byFolder = new Map<string, string>(); // folder name -> session id
  private readonly byId = new Map<string, string>(); // session id -> folder name

  constructor(private readonly store: Pick<SessionStore, 'folderNames' | 'sessionIdOfFolderName'>) {}

  /** The session ids found by the last scan. */
  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Resolves new folders to session ids and forgets removed ones. */
  scan(): void {
    const names = this.store.folderNames();
    const present = new Set(names);
    for (const [name, id] of this.byFolder) {
      if (present.has(name)) continue;
      this.byFolder.delete(name);
      if (this.byId.get(id) === name) this.byId.delete(id);
    }
    for (const name of names) {
      if (this.byFolder.has(name)) continue;
      const id = this.store.sessionIdOfFolderName(name);
      if (id === undefined) continue;
      this.byFolder.set(name, id);
      this.byId.set(id, name);
    }
  }
}
