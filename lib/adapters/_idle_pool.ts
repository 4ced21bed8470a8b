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

/** Idle connections by origin, the most recent handed out first, each closed after a timeout. */
export class IdlePool<C extends IdleConnection> {
  #idle = new Map<string, C[]>();
  #timers = new Map<C, ReturnType<typeof setTimeout>>();

  /**
   * @param keepAliveTimeout How long a connection idles before it is closed, in milliseconds.
   */
  constructor(readonly keepAliveTimeout: number) {}

  /** An idle connection to `origin` that is still open, no longer idle; or undefined. */
  take(origin: string): C | undefined {
    const idle = this.#idle.get(origin);
    while (idle && idle.length > 0) {
      const connection = idle.pop()!;
      clearTimeout(this.#timers.get(connection));
      this.#timers.delete(connection);
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
    const timer = setTimeout(() => {
      this.#timers.delete(connection);
      const at = idle.indexOf(connection);
      if (at >= 0) idle.splice(at, 1);
      connection.close();
    }, this.keepAliveTimeout);
    // An idle connection must not keep the process alive.
    (timer as { unref?: () => void }).unref?.();
    this.#timers.set(connection, timer);
  }
}
