// IdlePool's connections opened ahead (warm) and taken by requests (obtain), with connections
// of its own making: a request takes an idle one, then one still opening, then opens its own;
// its signal firing while the one it took is still connecting rejects with the signal's reason,
// and that connection goes idle once open instead of being lost.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate } from "node:timers";
import { type IdleConnection, IdlePool } from "../lib/adapters/_idle_pool.ts";

class FakeConnection implements IdleConnection {
  closed = false;
  held = true;
  constructor(readonly origin: string, readonly id: number) {}
  hold(held: boolean): void {
    this.held = held;
  }
  close(): void {
    this.closed = true;
  }
}

/** Connections that open when the test says so. */
function opener(origin: string) {
  const pending: { resolve: (c: FakeConnection) => void; reject: (e: Error) => void }[] = [];
  let made = 0;
  return {
    open: () =>
      new Promise<FakeConnection>((resolve, reject) => {
        const id = ++made;
        pending.push({ resolve: () => resolve(new FakeConnection(origin, id)), reject });
      }),
    /** Opens the oldest pending one. */
    connect: () => pending.shift()!.resolve(undefined as never),
    fail: () => pending.shift()!.reject(new Error("refused")),
    made: () => made,
  };
}

const ORIGIN = "http://127.0.0.1:1";

describe("IdlePool: connections opened ahead", () => {
  it("opens until that many are idle or opening, and requests take them before opening more", async () => {
    const pool = new IdlePool<FakeConnection>(60_000);
    const o = opener(ORIGIN);
    pool.warm(ORIGIN, 2, o.open);
    pool.warm(ORIGIN, 2, o.open); // two opening already: none more
    assert.equal(o.made(), 2);
    const first = pool.obtain(ORIGIN, o.open);
    o.connect();
    o.connect();
    assert.equal((await first).id, 1);
    // The second went idle when it opened, and is taken from there.
    const second = await pool.obtain(ORIGIN, o.open);
    assert.equal(second.id, 2);
    assert.equal(second.held, true);
    assert.equal(o.made(), 2);
  });

  it("opens its own when the one opened ahead failed", async () => {
    const pool = new IdlePool<FakeConnection>(60_000);
    const o = opener(ORIGIN);
    pool.warm(ORIGIN, 1, o.open);
    const got = pool.obtain(ORIGIN, o.open);
    o.fail();
    // The request opens its own (the second made) once the failure's reactions have run.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(o.made(), 2);
    o.connect();
    assert.equal((await got).id, 2);
  });

  it("rejects with the signal's reason while the one taken still connects; it goes idle once open", async () => {
    const pool = new IdlePool<FakeConnection>(60_000);
    const o = opener(ORIGIN);
    pool.warm(ORIGIN, 1, o.open);
    const controller = new AbortController();
    const got = pool.obtain(ORIGIN, o.open, controller.signal);
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(got, (err) => err === reason);
    o.connect();
    // Once its promise reactions have run (all of them, before the next macrotask), it is idle.
    await new Promise((resolve) => setImmediate(resolve));
    // Not lost: the next request takes it, idle, without opening another.
    const next = await pool.obtain(ORIGIN, o.open);
    assert.equal(next.id, 1);
    assert.equal(o.made(), 1);
  });
});
