/**
 * Keep-alive connections waiting for their next request, for the transports that open sockets
 * themselves (`bun/socket_fetch.ts`, `node_api/socket_request.ts`).
 *
 * @module
 */

/** What {@linkcode IdlePool} needs of a connection. */
export interface IdleConnection {
  /** Which connections may stand in for each other: scheme, host and port. */
  readonly origin: string;
  /** Whether it has closed (then it is never handed out again). */
  readonly closed: boolean;
  /** Keeps the process alive while it is in use (`true`), or not while it idles. */
  hold(held: boolean): void;
  /** Closes it. */
  close(): void;
}

/** A connection opened ahead of the request that will take it ({@linkcode IdlePool.warm}). */
interface Opening<C> {
  /** The connection once open; undefined if opening failed (the request then opens its own). */
  connection: Promise<C | undefined>;
  /** Whether a request has taken it: then it is that request's, not the idle pool's, once open. */
  taken: boolean;
}

/**
 * Idle connections by origin, the most recent handed out first, each closed once it has idled
 * for the keep-alive timeout. One timer serves the whole pool, set for the oldest idle
 * connection's end: a timer per release and a clear per take cost two timer operations a
 * request (3 µs of a small request's CPU on Deno). Connections may also be opened ahead of the
 * requests that will use them ({@linkcode IdlePool.warm}): a request takes an idle one first,
 * then one still opening, and opens its own only when there is neither.
 */
export class IdlePool<C extends IdleConnection> {
  #idle = new Map<string, C[]>();
  #opening = new Map<string, Opening<C>[]>();
  /** When each idle connection went idle, oldest first (a Map keeps insertion order). */
  #since = new Map<C, number>();
  #sweeper: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param keepAliveTimeout How long a connection idles before it is closed, in milliseconds.
   */
  constructor(readonly keepAliveTimeout: number) {}

  /** An idle connection to `origin` that is still open, no longer idle; or undefined. */
  take(origin: string): C | undefined {
    const idle = this.#idle.get(origin);
    while (idle && idle.length > 0) {
      const connection = idle.pop()!;
      this.#since.delete(connection);
      if (!connection.closed) {
        connection.hold(true);
        return connection;
      }
    }
    return undefined;
  }

  /**
   * An idle connection to `origin`, else one being opened ahead of it, else a new one from
   * `open`; in use (held) when it resolves. `signal` firing while one opened ahead is still
   * connecting rejects with its reason (as `open` does), and that connection goes idle once
   * open.
   */
  async obtain(origin: string, open: () => Promise<C>, signal?: AbortSignal): Promise<C> {
    const idle = this.take(origin);
    if (idle !== undefined) return idle;
    const ahead = this.#opening.get(origin)?.shift();
    if (ahead !== undefined) {
      ahead.taken = true;
      const connection = await this.#awaitAhead(ahead, signal);
      if (connection !== undefined && !connection.closed) {
        connection.hold(true);
        return connection;
      }
    }
    return await open();
  }

  /** The connection `ahead` brings, unless `signal` fires first: then it is left to go idle. */
  #awaitAhead(ahead: Opening<C>, signal: AbortSignal | undefined): Promise<C | undefined> {
    if (signal === undefined) return ahead.connection;
    const giveBack = () =>
      void ahead.connection.then((c) => {
        if (c !== undefined && !c.closed) this.release(c);
      });
    if (signal.aborted) {
      giveBack();
      return Promise.reject(signal.reason);
    }
    return new Promise((resolve, reject) => {
      const aborted = () => {
        giveBack();
        reject(signal.reason);
      };
      signal.addEventListener("abort", aborted, { once: true });
      void ahead.connection.then((c) => {
        if (signal.aborted) return; // given back by `aborted`
        signal.removeEventListener("abort", aborted);
        resolve(c);
      });
    });
  }

  /**
   * Opens connections to `origin` with `open`, in the background, until `connections` are
   * idle or opening: a transfer's requests then find them open instead of each paying a
   * handshake (a round trip, two or more with TLS) before its first byte. One that fails to
   * open is dropped without a word: the request that would have taken it opens its own and
   * meets the error there.
   */
  warm(origin: string, connections: number, open: () => Promise<C>): void {
    const opening = this.#opening.get(origin) ?? [];
    this.#opening.set(origin, opening);
    const idle = this.#idle.get(origin)?.filter((c) => !c.closed).length ?? 0;
    for (let n = idle + opening.length; n < connections; n++) {
      const ahead: Opening<C> = { connection: Promise.resolve(undefined), taken: false };
      ahead.connection = open().then(
        (connection) => {
          const at = opening.indexOf(ahead);
          if (at >= 0) opening.splice(at, 1);
          if (!ahead.taken) this.release(connection);
          return connection;
        },
        () => {
          const at = opening.indexOf(ahead);
          if (at >= 0) opening.splice(at, 1);
          return undefined;
        },
      );
      opening.push(ahead);
    }
  }

  /** Puts `connection` idle: released by the process, closed after the keep-alive timeout. */
  release(connection: C): void {
    const idle = this.#idle.get(connection.origin) ?? [];
    this.#idle.set(connection.origin, idle);
    idle.push(connection);
    connection.hold(false);
    this.#since.set(connection, Date.now());
    if (this.#sweeper === undefined) this.#sweepIn(this.keepAliveTimeout);
  }

  #sweepIn(ms: number): void {
    this.#sweeper = setTimeout(() => {
      this.#sweeper = undefined;
      this.#sweep();
    }, ms);
    // An idle connection must not keep the process alive.
    (this.#sweeper as { unref?: () => void }).unref?.();
  }

  /** Closes the connections that have idled long enough; sets the timer for the next. */
  #sweep(): void {
    const now = Date.now();
    for (const [connection, since] of this.#since) {
      const left = since + this.keepAliveTimeout - now;
      if (left > 0) return this.#sweepIn(left); // the oldest left: the rest idled less
      this.#since.delete(connection);
      const idle = this.#idle.get(connection.origin)!;
      idle.splice(idle.indexOf(connection), 1);
      connection.close();
    }
  }
}
