import type { ServerResponse } from 'node:http';
import type { LivenessChecks } from './liveness-checks.js';
import type { LiveSessions } from './live-sessions.js';
import type { SessionIndex } from './session-list.js';

/** An open Server-Sent-Events stream. */
export class SseStream {
  private blocked = false;
  closed = false;

  constructor(private readonly res: ServerResponse) {
    res.on('close', () => {
      this.closed = true;
    });
    res.on('drain', () => {
      this.blocked = false;
    });
  }

  /** False when the client is not keeping up (the caller sends a cumulative update later). */
  get ready(): boolean {
    return !this.closed && !this.blocked;
  }

  send(event: string, data: string, id?: string): void {
    if (this.closed) return;
    const ok = this.res.write(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`);
    if (!ok) this.blocked = true;
  }

  comment(text: string): void {
    if (!this.closed) this.res.write(`: ${text}\n\n`);
  }

  end(): void {
    if (!this.closed) this.res.end();
    this.closed = true;
  }
}

interface SessionSub {
  id: string;
  stream: SseStream;
  epoch: number;
  version: number;
}

/**
 * Pushes changes to open pages. While anyone listens it polls the store (journal sizes, which is cheap): a
 * watched session every `pollMs`, the session list every fourth tick. Updates are cumulative — "everything
 * after version N" — so a slow client simply gets a bigger delta later, and a reconnecting one (EventSource
 * sends the last event id) resumes where it stopped.
 */
export class LiveHub {
  private readonly lists = new Set<SseStream>();
  private readonly subs = new Set<SessionSub>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private lastPing = Date.now();

  constructor(
    private readonly index: SessionIndex,
    private readonly sessions: LiveSessions,
    private readonly liveness: LivenessChecks,
    private readonly pollMs = 250,
  ) {}

  addList(stream: SseStream, knownVersion: number | undefined): void {
    this.index.scan();
    this.lists.add(stream);
    if (knownVersion !== this.index.version) stream.send('sessions', JSON.stringify({ version: this.index.version }));
    this.ensureTimer();
  }

  addSession(id: string, stream: SseStream, since: { epoch: number; version: number } | undefined): void {
    const live = this.sessions.get(id);
    const sub: SessionSub = { id, stream, epoch: live.epoch, version: live.version };
    if (!since || since.epoch !== live.epoch || since.version > live.version) {
      stream.send('reset', JSON.stringify({ epoch: live.epoch, version: live.version }), `${live.epoch}.${live.version}`);
    } else if (since.version < live.version) {
      stream.send('delta', live.delta(since.version), `${live.epoch}.${live.version}`);
    }
    this.subs.add(sub);
    this.watch();
    this.ensureTimer();
  }

  remove(stream: SseStream): void {
    this.lists.delete(stream);
    for (const s of this.subs) if (s.stream === stream) this.subs.delete(s);
    this.watch();
    if (!this.lists.size && !this.subs.size) this.stopTimer();
  }

  close(): void {
    this.stopTimer();
    for (const s of this.lists) s.end();
    for (const s of this.subs) s.stream.end();
    this.lists.clear();
    this.subs.clear();
    this.watch();
  }

  /** Tells the live sessions which ones are watched (kept in memory whatever their use). */
  private watch(): void {
    this.sessions.setWatched(new Set([...this.subs].map((s) => s.id)));
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.pollMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  tick(): void {
    this.ticks++;
    for (const s of this.lists) if (s.closed) this.lists.delete(s);
    const watched = this.subs.size;
    for (const s of this.subs) if (s.stream.closed) this.subs.delete(s);
    if (this.subs.size !== watched) this.watch();
    if (!this.lists.size && !this.subs.size) {
      this.stopTimer();
      return;
    }
    try {
      // Every second: the spool and the running sessions' transcripts (see SessionIndex.scan), whether the
      // list or only one session is watched.
      if (this.ticks % 4 === 1) {
        if (this.index.scan() && this.lists.size) {
          const data = JSON.stringify({ version: this.index.version });
          for (const s of this.lists) s.send('sessions', data);
        }
      }
      const byId = new Map<string, SessionSub[]>();
      for (const s of this.subs) {
        const list = byId.get(s.id);
        if (list) list.push(s);
        else byId.set(s.id, [s]);
      }
      for (const [id, subs] of byId) {
        const live = this.sessions.get(id);
        this.liveness.check(id, live.header?.status);
        const deltas = new Map<number, string>();
        for (const sub of subs) {
          if (!sub.stream.ready) continue;
          const eventId = `${live.epoch}.${live.version}`;
          if (sub.epoch !== live.epoch) {
            sub.stream.send('reset', JSON.stringify({ epoch: live.epoch, version: live.version }), eventId);
          } else if (live.version > sub.version) {
            let delta = deltas.get(sub.version);
            if (delta === undefined) {
              delta = live.delta(sub.version);
              deltas.set(sub.version, delta);
            }
            sub.stream.send('delta', delta, eventId);
          } else continue;
          sub.epoch = live.epoch;
          sub.version = live.version;
        }
      }
    } catch {
      // a session folder removed under us; the next tick sees the new state
    }
    if (Date.now() - this.lastPing > 15_000) {
      this.lastPing = Date.now();
      for (const s of this.lists) s.comment('ping');
      for (const s of this.subs) s.stream.comment('ping');
    }
  }
}
