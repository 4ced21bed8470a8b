/**
 * The link emulator: its arithmetic on a virtual clock (handshake and exchange costs, one and
 * several connections' throughput, the window, seeded resets), then the real proxy over real
 * sockets (bytes unchanged, an OSS upload through it, resets seen as network errors), the text
 * form of its settings and `--link` on the server's command line. No wall-clock time is
 * asserted: the proxy tests count bytes and outcomes.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { LinkModel, type PipeSink } from "../lib/server/_link_model.ts";
import { startLink } from "../lib/server/link.ts";
import { formatLinkSpec, parseLinkSpec } from "../lib/server/link_spec.ts";
import { parseFlags } from "../lib/command_line/flags.ts";
import { SERVE_FLAGS, serveOptionsFromFlags } from "../lib/server/serve_flags.ts";
import { serve } from "../lib/server/main.ts";
import { NetworkError, OssClient, UsageError } from "../lib/web.ts";
import { VirtualClock } from "./_virtual_clock.ts";
import { startServer } from "./_server.ts";
import { makeClient } from "./_client_setup.ts";
import { testBytes } from "./_test_bytes.ts";
import { readAll } from "./_read_stream.ts";

const MiB = 1024 * 1024;

/** A sink that notes when each byte count arrived. */
class CountingSink implements PipeSink {
  bytes = 0;
  ended = false;
  arrivals: { at: number; bytes: number }[] = [];
  onWrite?: (bytes: Uint8Array) => void;
  constructor(readonly clock: VirtualClock) {}
  write(bytes: Uint8Array): boolean {
    this.bytes += bytes.length;
    this.arrivals.push({ at: this.clock.now(), bytes: this.bytes });
    this.onWrite?.(bytes);
    return true;
  }
  waitDrain(done: () => void): void {
    done();
  }
  end(): void {
    this.ended = true;
  }
  /** Bytes that had arrived by `t`. */
  by(t: number): number {
    let n = 0;
    for (const a of this.arrivals) if (a.at <= t) n = a.bytes;
    return n;
  }
}

/** Opens `n` connections on `model` that each keep `bytes` queued toward the server. */
function bulk(model: LinkModel, clock: VirtualClock, n: number, bytes: number): CountingSink[] {
  return Array.from({ length: n }, () => {
    const sink = new CountingSink(clock);
    const c = model.connect(sink, new CountingSink(clock), () => {});
    for (let left = bytes; left > 0; left -= MiB) c.up.push(new Uint8Array(Math.min(MiB, left)));
    return sink;
  });
}

describe("link model on a virtual clock", () => {
  it("a connection's first bytes wait one RTT for the handshake, then half an RTT", async () => {
    const clock = new VirtualClock();
    const model = new LinkModel({ rttMs: 100, rate: 1e6, window: Infinity }, clock);
    const sink = new CountingSink(clock);
    const c = model.connect(sink, new CountingSink(clock), () => {});
    c.up.push(new Uint8Array(1000));
    await clock.advanceTo(150);
    assert.equal(sink.bytes, 0);
    await clock.advanceTo(1000);
    // Handshake 100 ms, 1000 bytes at 1 MB/s take 1 ms, then half the RTT on the way.
    assert.deepEqual(sink.arrivals, [{ at: 151, bytes: 1000 }]);
    model.close();
  });

  it("each request/response exchange costs one RTT (plus its bytes at the rate)", async () => {
    const clock = new VirtualClock();
    const model = new LinkModel({ rttMs: 80, rate: 1e6, window: Infinity }, clock);
    const server = new CountingSink(clock);
    const client = new CountingSink(clock);
    const c = model.connect(server, client, () => {});
    // The server answers 100 bytes to each request as soon as it arrives.
    server.onWrite = () => c.down.push(new Uint8Array(100));
    const answers: number[] = [];
    client.onWrite = () => {
      answers.push(clock.now());
      if (answers.length < 3) c.up.push(new Uint8Array(100));
    };
    c.up.push(new Uint8Array(100));
    await clock.advanceTo(2000);
    // 100 bytes take 0.1 ms each way: the first answer pays the handshake too.
    const exchange = 80 + 0.2;
    assert.equal(answers.length, 3);
    assert.ok(Math.abs(answers[0] - (80 + exchange)) < 1e-9, `first answer at ${answers[0]}`);
    assert.ok(Math.abs(answers[1] - answers[0] - exchange) < 1e-9);
    assert.ok(Math.abs(answers[2] - answers[1] - exchange) < 1e-9);
    model.close();
  });

  for (
    const [what, rate, window, expected] of [
      // A window's acknowledgment comes one RTT after its segment left: window / (RTT + 64 KiB / rate).
      ["window-bound", 50e6, 1 * MiB, MiB / (0.05 + 65536 / 50e6)],
      ["rate-bound", 5e6, 1 * MiB, 5e6],
    ] as const
  ) {
    it(`one connection moves min(rate, window / RTT) (${what})`, async () => {
      const clock = new VirtualClock();
      const model = new LinkModel({ rttMs: 50, rate, window }, clock);
      const [sink] = bulk(model, clock, 1, 64 * MiB);
      await clock.advanceTo(3000);
      // Steady state, from 1 s to 3 s, within one window of the expected bytes.
      const moved = sink.by(3000) - sink.by(1000);
      assert.ok(Math.abs(moved - expected * 2) <= window, `${moved} vs ${expected * 2}`);
      assert.ok(model.snapshot().maxInFlight <= window);
      model.close();
    });
  }

  it("N connections move min(rate, N × window / RTT), shared fairly", async () => {
    const window = 256 * 1024;
    for (const [n, expected] of [[4, 4 * window / (0.1 + 65536 / 40e6)], [32, 40e6]]) {
      const clock = new VirtualClock();
      const model = new LinkModel({ rttMs: 100, rate: 40e6, window: 256 * 1024 }, clock);
      const sinks = bulk(model, clock, n, 64 * MiB);
      await clock.advanceTo(3000);
      const each = sinks.map((s) => s.by(3000) - s.by(1000));
      const moved = each.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(moved - expected * 2) <= n * 256 * 1024, `${n}: ${moved}`);
      const mean = moved / n;
      for (const e of each) assert.ok(Math.abs(e - mean) <= 0.1 * mean, `${n}: ${each}`);
      model.close();
    }
  });

  it("never has more than the window in flight on a connection", async () => {
    const clock = new VirtualClock();
    const window = 100_000; // not a multiple of the segment size
    const model = new LinkModel({ rttMs: 30, rate: 1e9, window }, clock);
    const sinks = bulk(model, clock, 3, 8 * MiB);
    await clock.advanceTo(1000);
    const stats = model.snapshot();
    assert.equal(stats.maxInFlight, window);
    assert.ok(sinks.every((s) => s.bytes > 0));
    model.close();
  });

  it("sends a request that came after its handshake while the timers ran late", async () => {
    // A busy machine: the transmitter's next event is overdue when a new connection's request
    // comes, so the request joins the turns at the clock's time and comes up at that earlier
    // event's, before its handshake ended on the model's time. It used to be dropped there,
    // and nothing woke it again: a real client's ListMultipartUploads waited 60 s.
    const clock = new VirtualClock();
    const model = new LinkModel({ rttMs: 20, rate: 10e6, window: MiB }, clock);
    const [bulkSink] = bulk(model, clock, 1, 4 * MiB);
    await clock.advanceTo(30); // the bulk connection's segments go, 6.5 ms each
    const sink = new CountingSink(clock);
    const c = model.connect(sink, new CountingSink(clock), () => {}); // open at 50
    clock.stall(30); // 60 now; the transmitter's event at about 33 has not run
    c.up.push(new Uint8Array(300));
    await clock.advanceTo(1000);
    assert.equal(sink.bytes, 300);
    assert.ok(bulkSink.bytes > 0);
    model.close();
  });

  it("resets connections at the same bytes for the same seed", async () => {
    const run = async (seed: number) => {
      const clock = new VirtualClock();
      const model = new LinkModel(
        { rttMs: 10, rate: 100e6, window: MiB, resetMeanBytes: 2 * MiB, seed },
        clock,
      );
      const reset: number[] = [];
      const sinks: CountingSink[] = [];
      for (let i = 0; i < 8; i++) {
        const sink = new CountingSink(clock);
        sinks.push(sink);
        const c = model.connect(sink, new CountingSink(clock), () => reset.push(i));
        for (let k = 0; k < 4; k++) c.up.push(new Uint8Array(MiB));
      }
      await clock.advanceTo(2000);
      model.close();
      return { resets: model.snapshot().resets, reset, delivered: sinks.map((s) => s.bytes) };
    };
    const a = await run(7);
    assert.ok(a.resets > 0 && a.resets < 8, `resets: ${a.resets}`);
    assert.deepEqual(await run(7), a);
    // Connections that were not reset delivered everything.
    for (let i = 0; i < 8; i++) if (!a.reset.includes(i)) assert.equal(a.delivered[i], 4 * MiB);
  });
});

/** An echo server on a free loopback port. */
async function startEcho(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.pipe(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
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

describe("startLink over real sockets", () => {
  it("carries bytes unchanged both ways and counts them", async () => {
    const echo = await startEcho();
    const link = await startLink({ target: `127.0.0.1:${echo.port}`, rtt: 2, window: 64 * 1024 });
    try {
      const sent = testBytes(3 * MiB + 17, 5);
      const socket = connect({ port: link.port, host: "127.0.0.1" });
      const chunks: Uint8Array[] = [];
      let received = 0;
      const done = new Promise<void>((resolve, reject) => {
        socket.on("data", (c: Uint8Array) => {
          chunks.push(c);
          received += c.length;
          if (received >= sent.length) resolve();
        });
        socket.on("error", reject);
      });
      socket.write(sent);
      await done;
      socket.destroy();
      assert.deepEqual(Buffer.concat(chunks), Buffer.from(sent));
      const stats = link.stats();
      assert.equal(stats.upBytes, sent.length);
      assert.equal(stats.downBytes, sent.length);
      assert.equal(stats.connections, 1);
      assert.ok(stats.maxInFlight <= 64 * 1024);
    } finally {
      await link.close();
      await echo.close();
    }
  });

  it("puts the local OSS server far away: an upload through it arrives whole", async () => {
    const server = await startServer();
    const link = await startLink({ target: server.url, rtt: 4, rate: 200e6, window: 256 * 1024 });
    try {
      const { client } = makeClient({ ...server, url: link.url }, "v4", "path");
      await client.createBucket("link-far");
      const bucket = client.bucket("link-far");
      const data = testBytes(3 * MiB + 5, 9);
      const result = await bucket.uploadFile("far.bin", new Blob([data]), {
        partSize: MiB,
        routines: 3,
      });
      assert.equal(result.parts, 4);
      const got = await readAll((await bucket.getObject("far.bin")).body);
      assert.deepEqual(got, data);
      assert.ok(link.stats().upBytes > data.length);
      assert.ok(link.stats().connections >= 1);
    } finally {
      await link.close();
      await server.close();
    }
  });

  it("a reset reaches the client as a network error", async () => {
    const server = await startServer();
    // A mean of 16 KiB between resets: a 4 MiB body is all but certain to meet one.
    const link = await startLink({ target: server.url, resets: 16 * 1024, seed: 3 });
    try {
      const { client } = makeClient({ ...server, url: link.url }, "v4", "path", { retry: false });
      const bucket = client.bucket("link-resets");
      await assert.rejects(bucket.putObject("cut.bin", testBytes(4 * MiB, 1)), NetworkError);
      assert.ok(link.stats().resets >= 1);
    } finally {
      await link.close();
      await server.close();
    }
  });

  it("refuses settings it cannot honour, naming what is allowed", async () => {
    await assert.rejects(
      startLink({ target: "127.0.0.1:1", rtt: -1 }),
      /rtt must be a number of milliseconds from 0/,
    );
    await assert.rejects(startLink({ target: "127.0.0.1:1", rate: 0 }), /above 0/);
  });
});

describe("link settings as text", () => {
  it("reads rtt, rate in bits or bytes per second, window, resets and seed", () => {
    assert.deepEqual(parseLinkSpec("rtt=50ms,rate=400Mbit,window=1MiB"), {
      rtt: 50,
      rate: 50e6,
      window: MiB,
    });
    assert.deepEqual(parseLinkSpec("rtt=0.3s,rate=20MB,window=64KB,resets=64MiB,seed=9"), {
      rtt: 300,
      rate: 20 * MiB,
      window: 65536,
      resets: 64 * MiB,
      seed: 9,
    });
    assert.equal(parseLinkSpec("rate=1Gbit").rate, 125e6);
    assert.deepEqual(parseLinkSpec(formatLinkSpec({ rtt: 20, rate: 125e6, window: 4 * MiB })), {
      rtt: 20,
      rate: 125e6,
      window: 4 * MiB,
    });
  });

  it("names what is allowed when a setting is wrong", () => {
    assert.throws(() => parseLinkSpec("latency=50ms"), /rtt=DURATION,rate=RATE,window=SIZE/);
    assert.throws(() => parseLinkSpec("rtt=50"), /rtt must be a duration such as 50ms/);
    assert.throws(() => parseLinkSpec("rate=fast"), /400Mbit.*50MB/);
    assert.throws(() => parseLinkSpec("window=0"), /window must be above 0/);
    assert.throws(() => parseLinkSpec("rtt=1ms,rtt=2ms"), /given twice/);
  });

  it("is the server's --link flag; the server then answers through the link", async () => {
    const flags = ["--memory", "-i", "ak-link", "-k", "sk-link-secret"];
    const parse = (argv: string[]) => serveOptionsFromFlags(parseFlags(argv, SERVE_FLAGS));
    assert.throws(() => parse([...flags, "--link", "rtt=fast"]), UsageError);
    const options = parse([...flags, "--link", "rtt=3ms,window=128KB"]);
    assert.deepEqual(options.link, { rtt: 3, window: 128 * 1024 });
    const running = await serve(options);
    try {
      const client = new OssClient({
        endpoint: running.url,
        region: "cn-hangzhou",
        accessKeyId: "ak-link",
        accessKeySecret: "sk-link-secret",
      });
      await client.createBucket("through-link");
      await client.bucket("through-link").putObject("k", "hello");
      const got = new TextDecoder().decode(
        await readAll((await client.bucket("through-link").getObject("k")).body),
      );
      assert.equal(got, "hello");
    } finally {
      await running.close();
    }
  });
});
