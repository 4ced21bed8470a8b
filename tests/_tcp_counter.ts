/**
 * A TCP relay in front of a test server that counts the connections it accepts: what a
 * client opened, seen from outside the client, and a promise for "n have been opened".
 *
 * @module
 */

import { createServer, type Server, type Socket } from "node:net";
import { connect } from "node:net";

/** The relay. */
export interface TcpCounter {
  /** `http://127.0.0.1:PORT`: the relay's address, for the client's endpoint. */
  url: string;
  /** Connections accepted so far. */
  accepted(): number;
  /** Resolves once `n` connections have been accepted (at once if they have). */
  whenAccepted(n: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 to `target` (an `http://host:port` URL). */
export async function startTcpCounter(target: string): Promise<TcpCounter> {
  const { hostname, port } = new URL(target);
  let count = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    count++;
    for (const w of waiters.filter((w) => count >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    const upstream = connect({ host: hostname, port: Number(port) });
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    accepted: () => count,
    whenAccepted: (n) =>
      new Promise<void>((resolve) => {
        if (count >= n) resolve();
        else waiters.push({ n, resolve });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
