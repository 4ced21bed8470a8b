/**
 * The arithmetic of the link emulator, apart from sockets, on an injected clock: a link with a
 * round-trip time, a rate shared per direction by every connection, and a window of bytes in
 * flight per connection; optionally, connection resets after seeded random amounts of bytes.
 *
 * Each connection has two pipes (client→server, server→client). A pipe sends a segment when it
 * has bytes queued, room in its window and the connection is open (one RTT after the client
 * connected: the TCP handshake). The direction's transmitter sends one segment at a time at the
 * link's rate, taking pipes in turn (so connections share the rate fairly); a segment reaches
 * the other end half an RTT after it left the transmitter, and its acknowledgment frees the
 * window half an RTT later (later still when the receiving socket pushes back). Hence one
 * connection moves at most `window / (rtt + segment / rate)` (the segment's time on the wire
 * is part of the round trip, as on a real path) and all together at most `rate`.
 *
 * Every event runs at its scheduled time on the model's clock, even when the clock's timers fire
 * late: a busy machine delivers bytes in bursts, but never at a lower average rate than the link
 * allows (the transmitter catches up). Not modelled: slow start, packet loss other than resets,
 * queueing delay limits (a transmitter's backlog is at most one segment per connection).
 *
 * @module
 */

import type { PacingClock } from "../pacing/clock.ts";

/** What the model needs to know of a link. */
export interface LinkModelSettings {
  /** Round-trip time in milliseconds. */
  rttMs: number;
  /** Bytes per second per direction, shared by all connections; `Infinity` for no limit. */
  rate: number;
  /** Bytes in flight per connection and direction; `Infinity` for no limit. */
  window: number;
  /** Mean bytes a connection carries (both directions) before it is reset; absent: never. */
  resetMeanBytes?: number;
  /** Seed of the reset draws. */
  seed?: number;
  /** Largest segment the transmitter sends at once, in bytes. */
  segmentBytes?: number;
}

/** Default segment: large enough to keep events few at 1 Gbit/s, small enough to share fairly. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024;

/**
 * Counts of what went over the link.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OssClient } from "@ossup/ossup";
 * import { createOssApp, type LinkStats, listen, MemoryStorage, startLink } from "@ossup/ossup/server";
 *
 * const { app, storage } = createOssApp({ storage: new MemoryStorage() });
 * const server = await listen(app.fetch);
 * const link = await startLink({ target: server.url, rtt: 20, rate: 50e6, window: 1 << 20 });
 * const client = new OssClient({ endpoint: link.url, accessKeyId: "ak", accessKeySecret: "sk" });
 * await client.createBucket("examplebucket");
 * await client.bucket("examplebucket").putObject("a.bin", new Uint8Array(100 * 1024));
 * const { connections, resets, upBytes, maxInFlight }: LinkStats = link.stats();
 * assert.ok(connections >= 1);
 * assert.equal(resets, 0);
 * assert.ok(upBytes > 100 * 1024); // the body and the requests' heads
 * assert.ok(maxInFlight <= 1 << 20); // never more than the window
 * await link.close();
 * await server.close();
 * await storage.close();
 * ```
 */
export interface LinkStats {
  /** Connections opened. */
  connections: number;
  /** Connections the model reset. */
  resets: number;
  /** Bytes sent client→server. */
  upBytes: number;
  /** Bytes sent server→client. */
  downBytes: number;
  /** Most bytes one connection had in flight in one direction. */
  maxInFlight: number;
}

/** Where a pipe's bytes go: the far end's socket. */
export interface PipeSink {
  /** Writes bytes; `false` when the receiver pushes back (then `waitDrain` before acknowledging). */
  write(bytes: Uint8Array): boolean;
  /** Waits until the receiver takes more. */
  waitDrain(done: () => void): void;
  /** The sender closed its side: closes the far end's writing side. */
  end(): void;
}

/** Events in time order (ties in the order scheduled), run on the clock. */
class EventQueue {
  #heap: { at: number; seq: number; run: (at: number) => void }[] = [];
  #seq = 0;
  #running = false;
  #armedAt = Infinity;
  #armed?: AbortController;
  #closed = false;

  constructor(readonly clock: PacingClock) {}

  schedule(at: number, run: (at: number) => void): void {
    if (this.#closed) return;
    this.#push({ at, seq: this.#seq++, run });
    if (!this.#running) this.#arm();
  }

  close(): void {
    this.#closed = true;
    this.#heap = [];
    this.#armed?.abort();
  }

  /** Runs every event due by the clock's time, each at its own time; then waits for the next. */
  runDue(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    try {
      while (this.#heap.length > 0 && this.#heap[0].at <= this.clock.now()) {
        const event = this.#pop();
        event.run(event.at);
      }
    } finally {
      this.#running = false;
    }
    this.#arm();
  }

  #arm(): void {
    const next = this.#heap[0]?.at ?? Infinity;
    if (next === Infinity || next >= this.#armedAt) return;
    this.#armed?.abort();
    const armed = new AbortController();
    this.#armed = armed;
    this.#armedAt = next;
    this.clock.sleep(Math.max(0, next - this.clock.now()), armed.signal).then(() => {
      if (this.#armed !== armed) return;
      this.#armed = undefined;
      this.#armedAt = Infinity;
      this.runDue();
    }, () => {/* re-armed for an earlier event, or closed */});
  }

  #push(e: { at: number; seq: number; run: (at: number) => void }): void {
    const h = this.#heap;
    h.push(e);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  #pop(): { at: number; seq: number; run: (at: number) => void } {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** mulberry32: a small seeded generator, so resets fall at the same bytes on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One direction of one connection. */
export class LinkPipe {
  #chunks: Uint8Array[] = [];
  /** Bytes waiting to be sent. */
  queued = 0;
  /** Bytes sent and not yet acknowledged. */
  inFlight = 0;
  #ended = false;
  #endSent = false;
  #waiting = false;
  /** When the last segment sent reaches the far end. */
  #lastArrival = 0;

  constructor(
    readonly connection: LinkConnection,
    readonly direction: LinkDirection,
    readonly sink: PipeSink,
  ) {}

  /** Bytes from the sender; returns `false` when the sender should pause (see `onRoom`). */
  push(bytes: Uint8Array): boolean {
    if (this.connection.closed) return true;
    this.#chunks.push(bytes);
    this.queued += bytes.length;
    this.direction.ready(this, this.direction.model.clock.now());
    return this.queued < this.direction.model.maxQueued;
  }

  /** The sender closed its side. */
  end(): void {
    this.#ended = true;
    this.#maybeSendEnd(this.direction.model.clock.now());
  }

  /** Called when the queue falls below the pause threshold again. */
  onRoom?: () => void;

  /** Whether the pipe may send now. */
  canSend(at: number): boolean {
    return !this.connection.closed && this.queued > 0 && at >= this.connection.openAt &&
      this.inFlight < this.direction.model.settings.window;
  }

  get waiting(): boolean {
    return this.#waiting;
  }

  set waiting(value: boolean) {
    this.#waiting = value;
  }

  /** Takes the next segment off the queue. */
  take(size: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let left = size;
    while (left > 0) {
      const head = this.#chunks[0];
      if (head.length <= left) {
        out.push(head);
        this.#chunks.shift();
        left -= head.length;
      } else {
        out.push(head.subarray(0, left));
        this.#chunks[0] = head.subarray(left);
        left = 0;
      }
    }
    const before = this.queued;
    this.queued -= size;
    const threshold = this.direction.model.maxQueued;
    if (before >= threshold && this.queued < threshold) this.onRoom?.();
    return out;
  }

  /** A segment arrives at `arrival`; its acknowledgment frees the window half an RTT later. */
  arrive(pieces: Uint8Array[], size: number, arrival: number): void {
    this.#lastArrival = arrival;
    const model = this.direction.model;
    model.events.schedule(arrival, (at) => {
      if (this.connection.closed) return;
      let open = true;
      for (const piece of pieces) open = this.sink.write(piece) && open;
      const acknowledge = (when: number) =>
        model.events.schedule(when + model.settings.rttMs / 2, (ackAt) => {
          this.inFlight -= size;
          this.direction.ready(this, ackAt);
        });
      if (open) acknowledge(at);
      else this.sink.waitDrain(() => acknowledge(Math.max(at, model.clock.now())));
    });
    this.#maybeSendEnd(arrival - model.settings.rttMs / 2);
  }

  /** Sends the end of the stream after the last segment, once the sender ended and all is sent. */
  #maybeSendEnd(at: number): void {
    if (!this.#ended || this.#endSent || this.queued > 0) return;
    this.#endSent = true;
    const model = this.direction.model;
    const arrival = Math.max(
      this.#lastArrival,
      Math.max(at, this.connection.openAt) + model.settings.rttMs / 2,
    );
    model.events.schedule(arrival, () => {
      if (!this.connection.closed) this.sink.end();
    });
  }
}

/** The transmitter of one direction, shared by every connection. */
export class LinkDirection {
  #turns: LinkPipe[] = [];
  #busyUntil = 0;
  #sending = false;
  /** Bytes sent. */
  bytes = 0;

  constructor(readonly model: LinkModel) {}

  /** A pipe may have something to send as of `at`. */
  ready(pipe: LinkPipe, at: number): void {
    if (pipe.waiting) return;
    if (!pipe.canSend(at)) {
      // Bytes that came before the handshake ended wait for it.
      if (pipe.queued > 0 && at < pipe.connection.openAt && !pipe.connection.closed) {
        pipe.waiting = true;
        this.model.events.schedule(pipe.connection.openAt, (openAt) => {
          pipe.waiting = false;
          this.ready(pipe, openAt);
        });
      }
      return;
    }
    pipe.waiting = true;
    this.#turns.push(pipe);
    if (!this.#sending) this.#sendNext(at);
  }

  #sendNext(at: number): void {
    const pipe = this.#turns.shift();
    if (pipe === undefined) {
      this.#sending = false;
      return;
    }
    pipe.waiting = false;
    if (!pipe.canSend(at)) {
      // A pipe that joined the turns at the clock's time may come up at an earlier event's time
      // when the timers run late; if its handshake had not ended by then, it waits for it, as
      // in `ready` (dropping it lost a request whose bytes had all come: nothing else wakes it).
      this.ready(pipe, at);
      this.#sendNext(at);
      return;
    }
    this.#sending = true;
    const { settings } = this.model;
    const room = settings.window - pipe.inFlight;
    const size = Math.min(pipe.queued, room, settings.segmentBytes ?? DEFAULT_SEGMENT_BYTES);
    const start = Math.max(at, this.#busyUntil);
    const end = start + (settings.rate === Infinity ? 0 : (size / settings.rate) * 1000);
    this.#busyUntil = end;
    const pieces = pipe.take(size);
    pipe.inFlight += size;
    this.bytes += size;
    this.model.noteInFlight(pipe.inFlight);
    if (pipe.connection.count(size)) {
      return this.model.events.schedule(end, (t) => this.#sendNext(t));
    }
    pipe.arrive(pieces, size, end + settings.rttMs / 2);
    this.model.events.schedule(end, (t) => {
      this.ready(pipe, t);
      this.#sendNext(t);
    });
  }
}

/** One connection through the link. */
export class LinkConnection {
  readonly up: LinkPipe;
  readonly down: LinkPipe;
  closed = false;
  #carried = 0;
  #resetAfter: number;

  constructor(
    readonly model: LinkModel,
    /** When the handshake ends and bytes may flow. */
    readonly openAt: number,
    toServer: PipeSink,
    toClient: PipeSink,
    resetAfter: number,
    /** Called when the model resets the connection. */
    readonly onReset: () => void,
  ) {
    this.up = new LinkPipe(this, model.up, toServer);
    this.down = new LinkPipe(this, model.down, toClient);
    this.#resetAfter = resetAfter;
  }

  /** Counts bytes sent; resets the connection (returning `true`) once its draw is reached. */
  count(bytes: number): boolean {
    this.#carried += bytes;
    if (this.#carried < this.#resetAfter) return false;
    this.model.stats.resets++;
    this.close();
    this.onReset();
    return true;
  }

  /** Stops the connection's traffic (its sockets are closed by the caller). */
  close(): void {
    this.closed = true;
  }
}

/**
 * A link: two transmitters and the connections through them.
 *
 * @example Count what a connection delivers on a virtual clock
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PacingClock } from "@ossup/ossup";
 * import { LinkModel, type PipeSink } from "./_link_model.ts";
 *
 * let now = 0; // a virtual clock: time moves only when the link waits
 * const clock: PacingClock = {
 *   now: () => now,
 *   sleep: (ms) => {
 *     now += ms;
 *     return Promise.resolve();
 *   },
 * };
 * let delivered = 0;
 * let allThere!: () => void;
 * const done = new Promise<void>((resolve) => allThere = resolve);
 * const sinkToServer: PipeSink = {
 *   write: (bytes) => {
 *     delivered += bytes.length;
 *     if (delivered === 1 << 20) allThere();
 *     return true;
 *   },
 *   waitDrain: (drained) => drained(),
 *   end: () => {},
 * };
 * const sinkToClient: PipeSink = { write: () => true, waitDrain: (drained) => drained(), end: () => {} };
 * const model = new LinkModel({ rttMs: 50, rate: 1e6, window: 65536 }, clock);
 * const c = model.connect(sinkToServer, sinkToClient, () => {});
 * c.up.push(new Uint8Array(1 << 20));
 * await done;
 * assert.ok(now > 1000); // 1 MiB at 1 MB/s, plus the round trips: over a second, on this clock
 * ```
 */
export class LinkModel {
  readonly events: EventQueue;
  readonly up: LinkDirection;
  readonly down: LinkDirection;
  readonly stats: LinkStats = {
    connections: 0,
    resets: 0,
    upBytes: 0,
    downBytes: 0,
    maxInFlight: 0,
  };
  /** Bytes a pipe queues before its sender is asked to pause. */
  readonly maxQueued: number;
  #random: () => number;

  constructor(readonly settings: LinkModelSettings, readonly clock: PacingClock) {
    this.events = new EventQueue(clock);
    this.up = new LinkDirection(this);
    this.down = new LinkDirection(this);
    const segment = settings.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.maxQueued = Math.max(4 * segment, Math.min(settings.window, 16 * 1024 * 1024));
    this.#random = seededRandom(settings.seed ?? 1);
  }

  /** A client connected now: its connection, open one RTT later. */
  connect(toServer: PipeSink, toClient: PipeSink, onReset: () => void): LinkConnection {
    this.stats.connections++;
    const mean = this.settings.resetMeanBytes;
    // Exponential draws: resets without memory, at the same bytes on every run with one seed.
    const resetAfter = mean === undefined
      ? Infinity
      : Math.ceil(-Math.log(1 - this.#random()) * mean);
    return new LinkConnection(
      this,
      this.clock.now() + this.settings.rttMs,
      toServer,
      toClient,
      resetAfter,
      onReset,
    );
  }

  /** Counts of what went over the link so far. */
  snapshot(): LinkStats {
    return { ...this.stats, upBytes: this.up.bytes, downBytes: this.down.bytes };
  }

  /** @internal */
  noteInFlight(bytes: number): void {
    if (bytes > this.stats.maxInFlight) this.stats.maxInFlight = bytes;
  }

  /** Runs what is due (after the clock moved). */
  runDue(): void {
    this.events.runDue();
  }

  /** Stops every timer. */
  close(): void {
    this.events.close();
  }
}
