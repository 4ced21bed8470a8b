// The tail split cuts a range only if its rest is more than the link carries in a round trip
// (lib/download/_arrival_rate.ts, TailSplit.take): nearby, where one connection's window can
// fill the link, a cut gains nothing and costs a request's round trip and the range's
// connection (a 16 MiB download at 20 ms went from 0.80–0.92× the Go SDK's rate to 0.94–1.02×
// without those cuts). The rate is measured on an injected clock, so these tests read no time.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArrivalRate } from "../lib/download/_arrival_rate.ts";
import { MIN_SPAN, TailSplit } from "../lib/download/_tail_split.ts";

describe("ArrivalRate", () => {
  it("knows no rate before a whole window, then the best window's bytes per millisecond", () => {
    let now = 0;
    const rate = new ArrivalRate(10, () => now);
    rate.add(1000);
    now = 5;
    rate.add(1000);
    assert.equal(rate.best, undefined, "half a window");
    now = 10;
    rate.add(1000); // 2,000 bytes after the first arrival, over 10 ms
    assert.equal(rate.best, 200);
    now = 15;
    rate.add(4000); // since t = 5: 1,000 + 4,000
    assert.equal(rate.best, 500);
    now = 40;
    rate.add(100); // a slow window does not lower the best
    assert.equal(rate.best, 500);
  });

  it("measures a steady stream at its rate, over any number of arrivals", () => {
    let now = 0;
    const rate = new ArrivalRate(10, () => now);
    for (let i = 0; i < 100_000; i++) {
      now = Math.floor(i / 10); // 10 arrivals a millisecond, 100 bytes each
      rate.add(100);
    }
    assert.equal(rate.best, 1000);
  });
});

describe("TailSplit.take(worthCutting)", () => {
  /** One open span of `size` bytes, `reached` of them on their way. */
  function openSpan(size: number, reached: number): TailSplit {
    const split = new TailSplit();
    const span = split.begin(1, 0, size);
    split.beforeRequest(span);
    span.reached = reached;
    return split;
  }

  it("cuts the widest rest in half when it is worth it", () => {
    const split = openSpan(8 * MIN_SPAN, 0);
    const piece = split.take(4 * MIN_SPAN);
    assert.ok(piece);
    assert.equal(piece.from, 4 * MIN_SPAN);
    assert.equal(piece.end, 8 * MIN_SPAN);
    assert.equal(split.splits, 1);
  });

  it("leaves a rest smaller than what a round trip carries", () => {
    const split = openSpan(8 * MIN_SPAN, 2 * MIN_SPAN);
    assert.equal(split.take(6 * MIN_SPAN + 1), undefined);
    assert.equal(split.splits, 0);
    assert.ok(split.take(6 * MIN_SPAN), "a rest of exactly that much is cut");
  });

  it("still hands out a piece cut earlier, whatever the rest", () => {
    const split = new TailSplit();
    const span = split.begin(1, 0, 8 * MIN_SPAN);
    split.stagger(span, 0, 2); // the back half becomes a piece for another routine
    const piece = split.take(Infinity);
    assert.ok(piece);
    assert.equal(piece.from, 4 * MIN_SPAN);
  });

  it("with nothing known of the rate (0), cuts down to two minimal spans as before", () => {
    assert.ok(openSpan(2 * MIN_SPAN, 0).take(0));
    assert.equal(openSpan(2 * MIN_SPAN - 1, 0).take(0), undefined);
  });
});
