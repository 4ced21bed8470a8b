/**
 * The link emulator measured against itself (`npm run bench:link`): for each link profile, what
 * the arithmetic says and what real sockets through `startLink` measure, on this runtime's
 * real clock:
 *
 * - handshake: connect and one 1-byte exchange cost 2 RTT (the handshake, then the exchange);
 * - request: one more exchange on the open connection costs 1 RTT;
 * - 1 connection: throughput ≈ min(rate, window / RTT'), where RTT' = RTT + one 64 KiB segment's
 *   time on the wire (a window's acknowledgment comes one RTT after its segment left);
 * - N connections: throughput ≈ min(rate, N × window / RTT').
 *
 * Throughput is measured at the receiving end from its first to its last byte (the handshake
 * and the first byte's trip are the "handshake" row's business). The server behind the link is
 * a small TCP sink in this process; no OSS server is involved, so what is measured is the link.
 *
 *     deno run -A scripts/bench_link.ts [--quick]
 *
 * @module
 */

import { connect, createServer, type Socket } from "node:net";
import process from "node:process";
import { LINK_SEGMENT_BYTES, type LinkSettings, startLink } from "../lib/server/link.ts";
import { formatLinkSpec } from "../lib/server/link_spec.ts";

const quick = process.argv.includes("--quick");

const PROFILES: LinkSettings[] = [
  { rtt: 20, rate: 1e9 / 8, window: 4 * 1024 * 1024 },
  { rtt: 50, rate: 400e6 / 8, window: 1024 * 1024 },
  { rtt: 150, rate: 100e6 / 8, window: 256 * 1024 },
  { rtt: 300, rate: 20e6 / 8, window: 64 * 1024 },
];

/**
 * The sink: each connection reads `u32 size` then `size` bytes, answers one byte, and again.
 * It notes when each message's first and last byte came.
 */
async function startSink(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let need = -1;
    let head = new Uint8Array(0);
    socket.on("data", (chunk: Uint8Array) => {
      let bytes = chunk;
      while (bytes.length > 0) {
        if (need < 0) {
          const merged = new Uint8Array(head.length + bytes.length);
          merged.set(head);
          merged.set(bytes, head.length);
          if (merged.length < 4) {
            head = merged;
            return;
          }
          need = new DataView(merged.buffer).getUint32(0);
          bytes = merged.subarray(4);
          head = new Uint8Array(0);
          if (need === 0) {
            socket.write(new Uint8Array([1]));
            need = -1;
          }
          continue;
        }
        const take = Math.min(need, bytes.length);
        need -= take;
        bytes = bytes.subarray(take);
        if (need === 0) {
          socket.write(new Uint8Array([1]));
          need = -1;
        }
      }
    });
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A client connection that sends framed messages and waits for each answer. */
class Client {
  #socket: Socket;
  #answers: (() => void)[] = [];
  constructor(port: number) {
    this.#socket = connect({ port, host: "127.0.0.1", noDelay: true });
    this.#socket.on("data", (chunk: Uint8Array) => {
      for (let i = 0; i < chunk.length; i++) this.#answers.shift()?.();
    });
    this.#socket.on("error", () => {});
  }
  connected(): Promise<void> {
    return new Promise((resolve) => this.#socket.once("connect", () => resolve()));
  }
  /** Sends `size` bytes and resolves with the time the answer came. */
  async exchange(size: number): Promise<number> {
    const answered = new Promise<void>((resolve) => this.#answers.push(resolve));
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, size);
    this.#socket.write(head);
    const chunk = new Uint8Array(Math.min(size, 1 << 20));
    for (let left = size; left > 0; left -= chunk.length) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      if (!this.#socket.write(piece)) {
        await new Promise((resolve) => this.#socket.once("drain", resolve));
      }
    }
    await answered;
    return performance.now();
  }
  close(): void {
    this.#socket.destroy();
  }
}

function mbps(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

async function measure(profile: LinkSettings, sinkPort: number): Promise<string[]> {
  const link = await startLink({ ...profile, target: `127.0.0.1:${sinkPort}` });
  const rows: string[] = [];
  const rtt = profile.rtt!;
  const rate = profile.rate!;
  const window = profile.window!;
  try {
    // Handshake + one exchange; then one more exchange on the same connection.
    const t0 = performance.now();
    const c = new Client(link.port);
    const first = await c.exchange(1);
    // The median of 5 more exchanges: one stall of a loaded machine does not make the row.
    const next: number[] = [];
    for (let i = 0, at = first; i < 5; i++) {
      const end = await c.exchange(1);
      next.push(end - at);
      at = end;
    }
    c.close();
    const median = next.sort((a, b) => a - b)[2];
    rows.push(row("connect + 1st request", `${2 * rtt} ms`, `${(first - t0).toFixed(1)} ms`));
    rows.push(row("next request (median)", `${rtt} ms`, `${median.toFixed(1)} ms`));
    for (const n of quick ? [1, 4] : [1, 4, 16]) {
      const expected = Math.min(rate, (n * window) / (rtt / 1000 + LINK_SEGMENT_BYTES / rate));
      // Enough bytes for about 2 s at the expected rate (at least 16 windows per connection).
      const perConnection = Math.max(16 * window, Math.round((expected * (quick ? 1 : 2)) / n));
      const clients = Array.from({ length: n }, () => new Client(link.port));
      // Open the connections and pay their handshakes before the clock starts.
      await Promise.all(clients.map((cl) => cl.exchange(0)));
      const start = performance.now();
      const ends = await Promise.all(clients.map((cl) => cl.exchange(perConnection)));
      // Each answer comes rtt/2 after the last byte arrived, and the first byte left rtt/2 after start.
      const ms = Math.max(...ends) - start - rtt;
      for (const cl of clients) cl.close();
      rows.push(
        row(
          `${n} connection${n > 1 ? "s" : ""}`,
          `${(expected / 1e6).toFixed(1)} MB/s`,
          `${mbps(n * perConnection, ms).toFixed(1)} MB/s`,
        ),
      );
    }
  } finally {
    await link.close();
  }
  return rows;
}

function row(what: string, expected: string, measured: string): string {
  return `| ${what.padEnd(22)} | ${expected.padStart(12)} | ${measured.padStart(12)} |`;
}

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const sink = await startSink();
try {
  for (const profile of quick ? PROFILES.slice(1, 2) : PROFILES) {
    console.log(`\nlink ${formatLinkSpec(profile)} (${runtime})\n`);
    console.log(row("", "expected", "measured"));
    console.log(`|${"-".repeat(24)}|${"-".repeat(14)}:|${"-".repeat(14)}:|`);
    for (const line of await measure(profile, sink.port)) console.log(line);
  }
} finally {
  await sink.close();
}
