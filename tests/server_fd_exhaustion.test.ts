// The server CLI under a low open-file limit (`ulimit -n`), on every engine
// of this runtime: stalled uploads use up its file descriptors, the clients
// leave, and the server answers again. Deno's node:http stopped accepting
// for good after an EMFILE, and Deno.serve ended the process.

import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { serverEngines } from "./_server.ts";

const MAIN = fileURLToPath(new URL("../lib/server/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FILE_LIMIT = 300;
/** More stalled uploads than the limit allows open files. */
const STALLED = FILE_LIMIT + 100;

function runtimeCommand(): string {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  if (g.Deno) return `${quote(g.Deno.execPath())} run -A ${quote(MAIN)}`;
  if (g.Bun) return `${quote(process.execPath)} run ${quote(MAIN)}`;
  return `${quote(process.execPath)} --import tsx ${quote(MAIN)}`;
}

interface Server {
  child: ChildProcess;
  port: number;
  /** Resolves at the next stderr line matching `pattern`. */
  nextLine(pattern: RegExp): Promise<string>;
}

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
});

async function startLimited(engine: string): Promise<Server> {
  const args = "--memory --allow-anonymous --access-key-id ak --access-key-secret sk " +
    `--body-idle-timeout 0 --engine ${engine}`;
  const child = spawn("sh", ["-c", `ulimit -n ${FILE_LIMIT} && exec ${runtimeCommand()} ${args}`], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const waiting: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    // Every waiter for this line: answeredAgain leaves one behind each time it is answered
    // 503, and resolving only the oldest would leave the one being awaited waiting forever.
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (waiting[i].pattern.test(line)) waiting.splice(i, 1)[0].resolve(line);
    }
  });
  const first = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
  });
  const port = Number(/:(\d+)/.exec(first)?.[1]);
  assert.ok(port > 0, first);
  return {
    child,
    port,
    nextLine: (pattern) => new Promise((resolve) => waiting.push({ pattern, resolve })),
  };
}

function request(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode!));
    });
    req.on("error", reject);
    req.end();
  });
}

/** An upload that sends its head and a few bytes of its body, then nothing. */
function stalledUpload(port: number, key: string): Promise<net.Socket> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(
        `PUT /fds/${key} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 1000\r\n\r\nabc`,
      );
      resolve(socket);
    });
    // Refused or reset (the server was full, or listening anew): that client is done.
    socket.on("error", () => resolve(socket));
  });
}

/**
 * The status of a GET once the server takes it. Until the server has seen
 * every client leave it may still be full (503 on node:http: asked again),
 * or listening anew (Deno.serve: asked again once it says it accepts).
 */
async function answeredAgain(server: Server): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const again = server.nextLine(/accepting connections again/);
    const status = await request(server.port, "GET", "/fds").catch(() => undefined);
    if (status === undefined) await again;
    else if (status !== 503) return status;
  }
  throw new Error("the server never took a request again");
}

for (const engine of serverEngines()) {
  describe(`running out of file descriptors (${engine} engine)`, () => {
    // The bound is for a server that never answers again; a passing run takes seconds.
    it("answers again once the stalled clients have left", { timeout: 120_000 }, async () => {
      const server = await startLimited(engine);
      try {
        assert.equal(await request(server.port, "PUT", "/fds"), 200);
        // Bun.serve reports nothing (it recovers by itself); the others say when they stop accepting.
        const reports = !(engine === "native" && "Bun" in globalThis);
        const stopped = reports ? server.nextLine(/not accepting/) : undefined;
        // Deno.serve may listen again before the clients leave: wait from now on.
        const resumed = reports ? server.nextLine(/accepting connections again/) : undefined;
        const sockets = await Promise.all(
          Array.from({ length: STALLED }, (_, i) => stalledUpload(server.port, `k${i}`)),
        );
        await stopped;
        for (const s of sockets) s.destroy();
        await resumed;
        assert.equal(await answeredAgain(server), 200);
      } finally {
        server.child.kill("SIGKILL");
      }
    });
  });
}
