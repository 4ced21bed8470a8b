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

/**
 * Idle connections by origin, the most recent handed out first, each closed once it has idled
 * for the keep-alive timeout. One timer serves the whole pool, set for the oldest idle
 * connection's end: a timer per release and a clear per take cost two timer operations a
 * request (3 µs of a small request's CPU on Deno).
 */
export class IdlePool<C extends IdleConnection> {
  #idle = new Map<string, C[]>();
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
