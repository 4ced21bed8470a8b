/**
 * A node:http server on 127.0.0.1 that records every request (method, path,
 * headers, body, which connection carried it) and answers by path: the
 * counterpart the transport tests (`createHttpFetch`, `createSocketFetch`)
 * send to. Tests look requests up by where they were sent
 * ({@linkcode Recorder.request}), never by position.
 *
 * @module
 */

import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { concatBytes } from "../_concat_bytes.ts";
import { RequestLog } from "./_request_log.ts";

/** One request as the node:http server saw it. */
export interface Seen {
  method: string;
  /** Path and query as sent. */
  url: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
  /** Which TCP connection (1, 2, …) carried it. */
  connection: number;
}

/** An answer the server finished sending. */
export interface Answered {
  /** The request target it answered: path and query as sent. */
  url: string;
  status: number;
}

/** Answers a request; `body` is empty for an `early` route. */
export type Handler = (req: IncomingMessage, res: ServerResponse, body: Uint8Array) => void;

/** A node:http server that records requests and answers by path. */
export interface Recorder {
  url: string;
  /** Every request recorded, in the order their bodies ended (not the order they were sent). */
  seen: Seen[];
  /** The one request sent to `target` (a path, or path and query); throws if not exactly one. */
  request(target: string): Seen;
  /** Every request sent to `target`. */
  requests(target: string): Seen[];
  /** Resolves with the request to `target` once its body has ended and it is recorded. */
  recorded(target: string): Promise<Seen>;
  /**
   * Resolves once the answer to the request to `target` has been handed to the socket whole
   * (for an `early` route, before its body has ended).
   */
  answered(target: string): Promise<Answered>;
  server: Server;
  /** `connection` events so far. */
  connections(): number;
  /** Sets the answer for `path` (default 200 "ok"); an `early` one answers as the head arrives. */
  route(path: string, handler: Handler, o?: { early?: boolean }): void;
  /** Resolves when connection `id` has closed (or was never open). */
  closed(id: number): Promise<void>;
  /**
   * Closes the server's side of connection `id` (it sends its FIN and goes on reading) and
   * resolves once the client has closed its side too: the client has seen the close.
   */
  hangUp(id: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a recording server; `keepAliveTimeout` sets the server's idle timeout. */
export async function startRecorder(o: { keepAliveTimeout?: number } = {}): Promise<Recorder> {
  const log = new RequestLog<Seen>();
  const answers = new RequestLog<Answered>();
  const routes = new Map<string, { handler: Handler; early: boolean }>();
  const ids = new Map<Socket, number>();
  const closings = new Map<number, Promise<void>>();
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "/";
    const path = new URL(url, "http://x").pathname;
    const route = routes.get(path);
    res.on("finish", () => answers.add({ url, status: res.statusCode }));
    if (route?.early) route.handler(req, res, new Uint8Array(0));
    const chunks: Uint8Array[] = [];
    req.on("data", (chunk: Uint8Array) => chunks.push(new Uint8Array(chunk)));
    req.on("end", () => {
      const body = concatBytes(chunks);
      log.add({
        method: req.method ?? "",
        url,
        path,
        headers: req.headers,
        body,
        connection: ids.get(req.socket) ?? 0,
      });
      if (route === undefined) res.end("ok");
      else if (!route.early) route.handler(req, res, body);
    });
  });
  if (o.keepAliveTimeout !== undefined) server.keepAliveTimeout = o.keepAliveTimeout;
  server.on("connection", (socket: Socket) => {
    const id = ++connections;
    ids.set(socket, id);
    closings.set(id, new Promise((resolve) => socket.on("close", () => resolve())));
    socket.on("close", () => ids.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen: log.entries,
    request: (target) => log.to(target),
    requests: (target) => log.allTo(target),
    recorded: (target) => log.recorded(target),
    answered: (target) => answers.recorded(target),
    server,
    connections: () => connections,
    route: (path, handler, o = {}) => routes.set(path, { handler, early: o.early ?? false }),
    closed: (id) => closings.get(id) ?? Promise.resolve(),
    hangUp: (id) => {
      for (const [socket, at] of ids) if (at === id) socket.end();
      return closings.get(id) ?? Promise.resolve();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of ids.keys()) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The XML body of the `/missing` answer of {@linkcode addStandardAnswers}. */
export const MISSING_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code></Error>';

/**
 * The answers both transport suites check: `/headers` (201 "Made It", a
 * repeated `x-multi` header, body "created body"), `/204` (no body,
 * `x-empty: yes`) and `/missing` (404 with {@linkcode MISSING_XML}).
 */
export function addStandardAnswers(server: Recorder): void {
  server.route("/headers", (_req, res) => {
    res.setHeader("x-multi", ["a", "b"]);
    res.setHeader("x-single", "one");
    res.writeHead(201, "Made It", { "content-type": "text/plain" });
    res.end("created body");
  });
  server.route("/204", (_req, res) => {
    res.writeHead(204, { "x-empty": "yes" });
    res.end();
  });
  server.route("/missing", (_req, res) => {
    res.writeHead(404, { "content-type": "application/xml" });
    res.end(MISSING_XML);
  });
}
