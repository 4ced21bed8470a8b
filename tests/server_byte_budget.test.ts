/**
 * The byte budget small request bodies reserve before they are read whole:
 * reservations within the total are granted at once, later ones wait in
 * order until enough is released, and a release is counted once.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ByteBudget } from "../lib/server/_byte_budget.ts";

describe("ByteBudget", () => {
  it("grants within the total, queues the rest first come first served", async () => {
    const budget = new ByteBudget(10);
    const releaseA = await budget.reserve(6);
    const granted: string[] = [];
    const b = budget.reserve(6).then((release) => (granted.push("b"), release));
    const c = budget.reserve(1).then((release) => (granted.push("c"), release));
    await Promise.resolve();
    assert.deepEqual(granted, [], "c waits behind b although 4 bytes are free");
    assert.equal(budget.waiting, 2);
    releaseA();
    releaseA(); // counted once
    const [releaseB, releaseC] = await Promise.all([b, c]);
    assert.deepEqual(granted, ["b", "c"]);
    assert.equal(budget.free, 3);
    releaseB();
    releaseC();
    assert.equal(budget.free, 10);
  });

  it("clamps a reservation larger than the total to the total, so it can be granted", async () => {
    const budget = new ByteBudget(10);
    const release = await budget.reserve(1_000);
    assert.equal(budget.free, 0);
    release();
    assert.equal(budget.free, 10);
    assert.throws(() => new ByteBudget(0), RangeError);
  });
});
