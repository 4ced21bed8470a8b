/**
 * A raw node:net server on 127.0.0.1 that answers some paths early (as soon
 * as the request head arrives, before reading the body, as OSS does with a
 * 403, 400 or 413) and counts the body bytes that arrive after its answer:
 * the counterpart of the "early answers stop the upload body" tests.
 *
 * An early exchange goes like this: the server reads the head, stops reading
 * (`pause`), writes the answer and waits; the test reads the answer through
 * the transport, then calls {@linkcode EarlyExchange.resume}: from then on the
 * server reads as fast as the client sends and counts, until the client
 * closes the connection (or has sent the whole body, which the test then
 * reports). Pausing keeps the server's receive buffer at its default size,
 * so the bytes counted after the answer are what the client's kernel already
 * held ({@linkcode socketBufferBound}) plus what it sent after it had the
 * answer: the quantity the tests bound.
 *
 * Only a request with a body is answered early; every other one gets `200`
 * with the body set by {@linkcode CountingServer.answerPlain} (default `ok`)
 * once its `content-length` body is in, on a keep-alive connection. Requests
 * are found by path, never by position.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";

/** How an early path answers. */
export interface EarlyAnswer {
  status: number;
  /** The OSS error code in the XML body, e.g. `AccessDenied`. */
  code: string;
  /** Send `connection: close` (default false: the answer leaves the connection open). */
  close?: boolean;
  /**
   * Destroy the connection once the answer is written, the body unread (default false):
   * the server's kernel then resets it, and the client's writes fail.
   */
  destroy?: boolean;
}

/** How an early exchange ended. */
export interface EarlyOutcome {
  /** Body bytes received before the answer was written. */
  before: number;
  /** Body bytes received after the answer was written. */
  after: number;
  /** "closed": the client closed the connection; "whole body": it sent all of it. */
  how: "closed" | "whole body";
}

/** One request to an early path, as the server saw it. */
export interface EarlyExchange {
  /** Which TCP connection (1, 2, …) carried it. */
  connection: number;
  /** Starts reading (and counting) again. */
  resume(): void;
  /** Resolves once the client closed the connection or sent the whole body. */
  outcome: Promise<EarlyOutcome>;
}

/** The server. */
export interface CountingServer {
  url: string;
  /** Answers a request with a body to `path` early with `answer`. */
  answerEarly(path: string, answer: EarlyAnswer): void;
  /** Sets the body of the `200` answer to the other requests to `path` (default "ok"). */
  answerPlain(path: string, body: string): void;
  /** Resolves with the exchange of the request to `path` once its head has arrived. */
  exchange(path: string): Promise<EarlyExchange>;
  /** The connection that carried the last plain (not early) request to `path`. */
  connectionOf(path: string): number | undefined;
  close(): Promise<void>;
}

/** The OSS error document of an early answer. */
export function errorXml(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>answered before the body was read</Message><RequestId>EARLY</RequestId></Error>`;
}

/**
 * The most body bytes a transport that stops at the answer can still deliver
 * after it: one TCP send buffer at its largest (Linux `tcp_wmem` max, which
 * loopback autotuning reaches), the receiving socket's default buffer (the
 * server had paused, so it never grew: `tcp_rmem` default), and 256 KiB for
 * what a runtime's socket layer may hold above the kernel when the transport
 * stops (Bun's node:http delivered 4.12 MB here against 3.85 MB for Node's).
 * Where /proc is not there, Linux's defaults (4 MiB, 128 KiB).
 */
export function socketBufferBound(): number {
  const sendMax = procField("/proc/sys/net/ipv4/tcp_wmem", 2) ?? 4 * 1024 * 1024;
  const receiveDefault = procField("/proc/sys/net/ipv4/tcp_rmem", 1) ?? 128 * 1024;
  return sendMax + receiveDefault + 256 * 1024;
}

function procField(path: string, index: number): number | undefined {
  try {
    const value = Number(readFileSync(path, "utf8").trim().split(/\s+/)[index]);
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

interface Head {
  method: string;
  path: string;
  headers: Map<string, string>;
}

/** Starts a counting server on 127.0.0.1, on a free port. */
export async function startCountingServer(): Promise<CountingServer> {
  const early = new Map<string, EarlyAnswer>();
  const exchanges = new Map<
    string,
    { promise: Promise<EarlyExchange>; resolve(e: EarlyExchange): void }
  >();
  const plain = new Map<string, number>();
  const plainBodies = new Map<string, string>();
  const sockets = new Set<Socket>();
  let connections = 0;
  const waiter = (path: string) => {
    let entry = exchanges.get(path);
    if (entry === undefined) {
      let resolve!: (e: EarlyExchange) => void;
      const promise = new Promise<EarlyExchange>((r) => resolve = r);
      entry = { promise, resolve };
      exchanges.set(path, entry);
    }
    return entry;
  };

  const server = createServer((socket: Socket) => {
    const id = ++connections;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffered: Buffer = Buffer.alloc(0);
    // A plain request's body still to read.
    let bodyLeft = 0;
    let plainAnswer = "";
    const answerOk = () => {
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-length: ${
          Buffer.byteLength(plainAnswer)
        }\r\n\r\n${plainAnswer}`,
      );
    };
    let onEarlyData: ((chunk: Buffer) => void) | undefined;

    const serve = () => {
      for (;;) {
        if (bodyLeft > 0) {
          const take = Math.min(bodyLeft, buffered.length);
          bodyLeft -= take;
          buffered = buffered.subarray(take);
          if (bodyLeft > 0) return;
          answerOk();
        }
        const end = buffered.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = parseHead(buffered.subarray(0, end).toString("latin1"));
        buffered = buffered.subarray(end + 4);
        const answer = early.get(head.path);
        const length = Number(head.headers.get("content-length") ?? 0);
        const chunked = head.headers.has("transfer-encoding");
        if (answer !== undefined && (length > 0 || chunked)) return startEarly(head, answer);
        plain.set(head.path, id);
        plainAnswer = plainBodies.get(head.path) ?? "ok";
        bodyLeft = length;
        if (bodyLeft === 0) answerOk();
      }
    };

    const startEarly = (head: Head, answer: EarlyAnswer) => {
      socket.pause();
      const length = head.headers.get("content-length") ?? null;
      const chunked = /chunked/i.test(head.headers.get("transfer-encoding") ?? "");
      let before = 0;
      const first = buffered;
      buffered = Buffer.alloc(0);
      let after = 0;
      let answered = false;
      let tail: Buffer = Buffer.alloc(0);
      let done!: (o: EarlyOutcome) => void;
      const outcome = new Promise<EarlyOutcome>((r) => done = r);
      const whole = () =>
        length !== null
          ? before + after >= Number(length)
          : chunked && tail.toString("latin1").endsWith("0\r\n\r\n");
      onEarlyData = (chunk) => {
        // Bytes past a content-length body belong to the next request on the connection.
        const extra = length === null
          ? 0
          : Math.max(0, before + after + chunk.length - Number(length));
        const body = chunk.subarray(0, chunk.length - extra);
        if (answered) after += body.length;
        else before += body.length;
        tail = Buffer.concat([tail, body.subarray(-5)]).subarray(-5);
        if (!whole()) return;
        // A client that sent it all may send its next request here: serve it.
        done({ before, after, how: "whole body" });
        onEarlyData = undefined;
        buffered = chunk.subarray(chunk.length - extra);
        serve();
      };
      socket.on("close", () => done({ before, after, how: "closed" }));
      const xml = errorXml(answer.code);
      socket.write(
        `HTTP/1.1 ${answer.status} Early\r\ncontent-type: application/xml\r\n` +
          (answer.close ? "connection: close\r\n" : "") +
          `content-length: ${Buffer.byteLength(xml)}\r\n\r\n${xml}`,
        () => {
          answered = true;
          if (answer.destroy) socket.destroy();
        },
      );
      onEarlyData(first);
      waiter(head.path).resolve({ connection: id, resume: () => socket.resume(), outcome });
    };

    socket.on("data", (chunk: Buffer) => {
      if (onEarlyData) return onEarlyData(chunk);
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      serve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answerEarly: (path, answer) => early.set(path, answer),
    answerPlain: (path, body) => plainBodies.set(path, body),
    exchange: (path) => waiter(path).promise,
    connectionOf: (path) => plain.get(path),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function parseHead(text: string): Head {
  const lines = text.split("\r\n");
  const [method, target] = lines[0].split(" ");
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method, path: new URL(target, "http://x").pathname, headers };
}
