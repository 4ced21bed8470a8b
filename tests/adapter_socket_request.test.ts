// createSocketRequest's answers (its bodiless GETs and HEADs over node:net, each answer read into one reused buffer
// per connection), against raw node:net servers on 127.0.0.1 that write answers byte for byte as
// a test wants them: bodies by length, chunked and until close, heads and chunk lines split
// across reads, interim answers, keep-alive reuse, answers that put a connection out of step,
// resets and aborts mid-body, a cancelled body, and reads into the caller's buffer.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { after, before, describe, it } from "node:test";
import { createSocketRequest } from "../lib/adapters/node_api/socket_request.ts";
import { createHttpFetch } from "../lib/adapters/node_api/http_fetch.ts";
import { testBytes } from "./_test_bytes.ts";
import { sameBytes } from "./_upload_fixtures.ts";
import { LOCAL_CERT, LOCAL_KEY } from "./_tls_fixtures.ts";
import { readByob } from "./_read_byob.ts";

/** A GET sender on {@linkcode createSocketRequest}, as the tests below call it. */
function socketGet(options: { keepAliveTimeout: number; ca?: string }) {
  const send = createSocketRequest(options);
  return (url: URL, init: RequestInit) => send(url, init, { kind: "none" });
}

/** A raw server: each request head is answered by `answer(path, socket)`. */
interface RawServer {
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Request heads received, in order. */
  heads: string[];
  /** Resolves once no accepted connection is open. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

async function startRaw(answer: (path: string, socket: Socket) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  let onIdle: (() => void)[] = [];
  const raw: RawServer = {
    url: "",
    connections: 0,
    heads: [],
    idle: () =>
      sockets.size === 0 ? Promise.resolve() : new Promise((resolve) => onIdle.push(resolve)),
    close: () => Promise.resolve(),
  };
  const server: Server = createServer((socket) => {
    raw.connections++;
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      if (sockets.size > 0) return;
      for (const resolve of onIdle) resolve();
      onIdle = [];
    });
    socket.on("error", () => {});
    let pending = "";
    socket.on("data", (data) => {
      pending += data.toString("latin1");
      for (let end; (end = pending.indexOf("\r\n\r\n")) >= 0;) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        raw.heads.push(head);
        answer(head.split(" ")[1].split("?")[0], socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  raw.url = `http://127.0.0.1:${port}`;
  raw.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return raw;
}

/** Writes `pieces` one per event-loop turn, so the client reads them apart. */
async function writeApart(socket: Socket, pieces: (string | Uint8Array)[]): Promise<void> {
  for (const piece of pieces) {
    await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("createSocketRequest: answers", () => {
  let server: RawServer;
  const body = testBytes(300_000, 5);
  const get = socketGet({ keepAliveTimeout: 4000 });
  before(async () => {
    server = await startRaw((path, socket) => {
      switch (path) {
        case "/length":
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nx-a: 1\r\n\r\n`);
          socket.write(body);
          return;
        case "/chunked":
          void writeApart(socket, [
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
            "5\r\nhel",
            "lo\r",
            "\n6;ext=1\r\n wor",
            "ld\r\n0\r\n",
            "x-trailer: t\r\n\r\n",
          ]);
          return;
        case "/split-head":
          void writeApart(socket, [
            "HTTP/1.1 200 O",
            "K\r\ncontent-length: 3\r",
            "\n\r",
            "\nabc",
          ]);
          return;
        case "/interim":
          socket.write(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
          );
          return;
        case "/until-close":
          socket.end("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nto the end");
          return;
        case "/extra":
          socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokSURPLUS");
          return;
        case "/reset":
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
          socket.write(body.subarray(0, 1000), () => socket.resetAndDestroy());
          return;
        case "/slow":
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
          socket.write(body.subarray(0, 1000)); // and nothing more
          return;
        case "/no-content":
          socket.write("HTTP/1.1 204 No Content\r\n\r\n");
          return;
        case "/status-600":
          socket.write("HTTP/1.1 600 Odd\r\ncontent-length: 0\r\n\r\n");
          return;
        case "/not-http":
          socket.write("SSH-2.0-OpenSSH\r\n\r\n");
          return;
        default:
          socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      }
    });
  });
  after(() => server.close());

  it("reads a body by length, with the answer's headers, and sends a plain GET head", async () => {
    const res = await get(new URL(`${server.url}/length?q=1`), { headers: { "x-req": "r" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-a"), "1");
    assert.ok(sameBytes(new Uint8Array(await res.arrayBuffer()), body));
    const head = server.heads.find((h) => h.startsWith("GET /length?q=1 "))!;
    assert.match(head, /^GET \/length\?q=1 HTTP\/1\.1\r\n/);
    assert.match(head, /\r\nx-req: r/);
    assert.match(head, new RegExp(`\\r\\nhost: ${new URL(server.url).host}`));
    assert.doesNotMatch(head, /content-length|transfer-encoding/i);
  });

  it("reads into the caller's buffer: a byte stream", async () => {
    const res = await get(new URL(`${server.url}/length`), {});
    const { bytes } = await readByob(res.body!, 7000);
    assert.ok(sameBytes(bytes, body));
  });

  it("decodes a chunked body whose size lines and CRLFs are split across reads", async () => {
    const res = await get(new URL(`${server.url}/chunked`), {});
    assert.equal(await res.text(), "hello world");
  });

  it("reads a head split across reads, and skips an interim 100 answer", async () => {
    assert.equal(await (await get(new URL(`${server.url}/split-head`), {})).text(), "abc");
    assert.equal(await (await get(new URL(`${server.url}/interim`), {})).text(), "ok");
  });

  it("reads a body until the connection closes", async () => {
    assert.equal(await (await get(new URL(`${server.url}/until-close`), {})).text(), "to the end");
  });

  it("reuses one connection for answers read whole, and not one put out of step", async () => {
    const own = socketGet({ keepAliveTimeout: 4000 });
    const before = server.connections;
    for (let i = 0; i < 5; i++) {
      assert.equal(await (await own(new URL(`${server.url}/k${i}`), {})).text(), "ok");
    }
    assert.equal(server.connections - before, 1, "five GETs, one connection");
    // Bytes after the answer: that connection goes, the next GET opens another.
    assert.equal(await (await own(new URL(`${server.url}/extra`), {})).text(), "ok");
    assert.equal(await (await own(new URL(`${server.url}/after-extra`), {})).text(), "ok");
    assert.equal(server.connections - before, 2);
  });

  it("gives HEAD and 204 answers no body", async () => {
    const head = await get(new URL(`${server.url}/length`), { method: "HEAD" });
    assert.equal(head.body, null);
    assert.equal(head.headers.get("content-length"), String(body.length));
    assert.equal((await get(new URL(`${server.url}/no-content`), {})).body, null);
  });

  it("fails like fetch: a status out of range, a reply that is not HTTP, a refused connection", async () => {
    await assert.rejects(get(new URL(`${server.url}/status-600`), {}), TypeError);
    await assert.rejects(get(new URL(`${server.url}/not-http`), {}), TypeError);
    const closed = await startRaw(() => {});
    const url = closed.url;
    await closed.close();
    await assert.rejects(get(new URL(`${url}/x`), {}), TypeError);
  });

  it("errors the body with a TypeError when the connection resets mid-body", async () => {
    const res = await get(new URL(`${server.url}/reset`), {});
    await assert.rejects(res.arrayBuffer(), TypeError);
  });

  it("errors the body with the signal's reason on an abort mid-body", async () => {
    const controller = new AbortController();
    const res = await get(new URL(`${server.url}/slow`), { signal: controller.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(first.done, false);
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
      (err) => err === reason,
    );
    await assert.rejects(
      get(new URL(`${server.url}/x`), { signal: controller.signal }),
      (err) => err === reason,
    );
  });

  it("closes a connection whose body was cancelled rather than reusing it", async () => {
    const own = socketGet({ keepAliveTimeout: 4000 });
    const before = server.connections;
    const res = await own(new URL(`${server.url}/slow`), {});
    await res.body!.cancel();
    assert.equal(await (await own(new URL(`${server.url}/after-cancel`), {})).text(), "ok");
    assert.equal(server.connections - before, 2);
  });
});

describe("createSocketRequest over TLS", () => {
  let server: TlsServer;
  let url = "";
  const body = testBytes(200_000, 6);
  before(async () => {
    server = createTlsServer({ key: LOCAL_KEY, cert: LOCAL_CERT }, (socket) => {
      socket.on("error", () => {});
      let pending = "";
      socket.on("data", (data) => {
        pending += data.toString("latin1");
        for (let end; (end = pending.indexOf("\r\n\r\n")) >= 0;) {
          pending = pending.slice(end + 4);
          socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
          socket.write(body);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}/tls`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads an https answer into the caller's buffer, trusting the CA it is given", async () => {
    const get = socketGet({ keepAliveTimeout: 4000, ca: LOCAL_CERT });
    for (let i = 0; i < 2; i++) {
      const res = await get(new URL(url), {});
      const { bytes } = await readByob(res.body!, 9000);
      assert.ok(sameBytes(bytes, body));
    }
  });

  it("ends with the signal's reason when aborted during the TLS handshake", async () => {
    // A server that accepts and never answers: the handshake cannot finish.
    let accepted!: () => void;
    const connected = new Promise<void>((resolve) => accepted = resolve);
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.on("error", () => {});
      accepted();
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const get = socketGet({ keepAliveTimeout: 4000, ca: LOCAL_CERT });
      const controller = new AbortController();
      const pending = get(new URL(`https://127.0.0.1:${port}/x`), { signal: controller.signal });
      await connected;
      const reason = new Error("gave up");
      controller.abort(reason);
      await assert.rejects(pending, (err) => err === reason);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("is what createHttpFetch sends https through, with its ca option", async () => {
    const fetch = createHttpFetch({ ca: LOCAL_CERT });
    const res = await fetch(url);
    assert.ok(sameBytes(new Uint8Array(await res.arrayBuffer()), body));
  });

  it("refuses a certificate it cannot verify, like fetch", async () => {
    const get = socketGet({ keepAliveTimeout: 4000 });
    await assert.rejects(get(new URL(url), {}), TypeError);
  });
});

describe("createSocketRequest: request bodies", () => {
  let server: RawServer;
  const send = createSocketRequest({ keepAliveTimeout: 4000 });
  before(async () => {
    server = await startRaw((path, socket) => {
      // Answered at once, before the body: only the heads are looked at here.
      void path;
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    });
  });
  after(() => server.close());

  it("cancels a stream body whose read is pending with the signal's reason on an abort", async () => {
    let cancelled: unknown;
    let pulled!: () => void;
    const asked = new Promise<void>((resolve) => pulled = resolve);
    const stream = new ReadableStream<Uint8Array>({
      pull: () => pulled(), // and never gives a chunk
      cancel: (reason) => {
        cancelled = reason;
      },
    });
    const silent = await startRaw(() => {});
    try {
      const controller = new AbortController();
      const pending = send(
        new URL(`${silent.url}/stream`),
        { method: "PUT", signal: controller.signal },
        { kind: "stream", stream },
      );
      await asked;
      const reason = new Error("stop");
      controller.abort(reason);
      await assert.rejects(pending, (err) => err === reason);
      assert.equal(cancelled, reason);
    } finally {
      await silent.close();
    }
  });

  it("sends a stream of unknown length chunked, and one of known length with it", async () => {
    const chunks = [testBytes(1000, 1), testBytes(3000, 2)];
    const stream = () =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (const chunk of chunks) c.enqueue(chunk);
          c.close();
        },
      });
    await (await send(new URL(`${server.url}/chunked`), { method: "PUT" }, {
      kind: "stream",
      stream: stream(),
    })).text();
    await (await send(new URL(`${server.url}/sized`), { method: "PUT" }, {
      kind: "stream",
      stream: stream(),
      length: 4000,
    })).text();
    const chunked = server.heads.find((h) => h.startsWith("PUT /chunked "))!;
    assert.match(chunked, /\r\ntransfer-encoding: chunked/);
    assert.doesNotMatch(chunked, /content-length/);
    const sized = server.heads.find((h) => h.startsWith("PUT /sized "))!;
    assert.match(sized, /\r\ncontent-length: 4000/);
    assert.doesNotMatch(sized, /transfer-encoding/);
  });
});

describe("createSocketRequest: the request head", () => {
  it("sends and reads field values as byte strings (one byte per character, as fetch)", async () => {
    let got: Buffer | undefined;
    const server = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", (data) => {
        got = data;
        socket.write(
          Buffer.from(
            "HTTP/1.1 200 OK\r\nx-oss-meta-name: caf\u00e9\r\ncontent-length: 0\r\n\r\n",
            "latin1",
          ),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const send = createSocketRequest({ keepAliveTimeout: 100 });
      const res = await send(new URL(`http://127.0.0.1:${port}/h`), {
        headers: { "x-oss-meta-name": "caf\u00e9" },
      }, { kind: "none" });
      await res.arrayBuffer();
      assert.equal(res.headers.get("x-oss-meta-name"), "caf\u00e9"); // a byte string, as fetch gives
      const line = got!.subarray(got!.indexOf("x-oss-meta-name: "));
      assert.deepEqual([...line.subarray(17, 21)], [0x63, 0x61, 0x66, 0xe9]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("createSocketRequest: idle connections", () => {
  it("closes each idle connection once it has idled keepAliveTimeout, and opens a new one after", async () => {
    const server = await startRaw((_path, socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    });
    const get = socketGet({ keepAliveTimeout: 30 });
    try {
      // Two at once: two connections, both then idle in the pool.
      const first = await Promise.all([
        get(new URL(`${server.url}/a`), {}),
        get(new URL(`${server.url}/b`), {}),
      ]);
      for (const res of first) assert.equal(await res.text(), "ok");
      assert.equal(server.connections, 2);
      // The server sees both close: the pool closed them (the event is the claim, not a time).
      await server.idle();
      const res = await get(new URL(`${server.url}/c`), {});
      assert.equal(await res.text(), "ok");
      assert.equal(server.connections, 3, "a new connection, the idle ones being gone");
    } finally {
      await server.close();
    }
  });
});
