// The controller of `routines: "auto"` and the scheduler that follows it, driven by an injected
// clock and counted bytes: no timing, every window's figures are the test's own.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AdaptiveRoutines, backoffReason, NetworkError, OssError, TimeoutError } from "../mod.ts";
import {
  FAR_EXCHANGE_MS,
  INITIAL_ROUTINES,
  LEAP_WHEN,
  PROBE_AFTER,
  RESETS_CLUSTER,
  STEP_JUDGED_ON,
} from "../lib/upload/adaptive_routines.ts";
import { resolveParallelism, routinesFor } from "../lib/upload/parallelism.ts";
import { PartScheduler } from "../lib/upload/part_scheduler.ts";

const WINDOW = 100;

/** A controller on a clock the test moves. */
function controlled(max: number, initial?: number) {
  const clock = { now: 0 };
  const control = new AdaptiveRoutines({ max, initial, clock: () => clock.now, windowMs: WINDOW });
  return { clock, control };
}

/** A link whose throughput grows with the routines up to `knee`, then stays flat. */
function runWindows(
  control: AdaptiveRoutines,
  clock: { now: number },
  windows: number,
  knee: number,
  latencyOf: (routines: number) => number = () => 50,
): number[] {
  const seen: number[] = [];
  for (let w = 0; w < windows; w++) {
    const n = control.routines;
    seen.push(n);
    clock.now += WINDOW;
    // Each window: n parts finish; together they carry min(n, knee) × 1000 bytes.
    const bytes = (Math.min(n, knee) * 1000) / n;
    for (let p = 0; p < n; p++) control.partDone(bytes, latencyOf(n));
    // A step up: as many parts as routines settle (not judged) before the next window starts.
    if (control.routines > n) settle(control, clock);
  }
  return seen;
}

/** The parts that finish right after a step up: not counted (their bytes are nonsense here). */
function settle(control: AdaptiveRoutines, clock: { now: number }): void {
  clock.now += WINDOW;
  for (let p = 0, n = control.routines; p < n; p++) control.partDone(1, 1e6);
}

/** `count` resets at once, as parts in flight on lost connections report them. */
function resets(control: AdaptiveRoutines, count: number): void {
  for (let i = 0; i < count; i++) control.backOff("reset");
}

describe("AdaptiveRoutines", () => {
  it("doubles while throughput grows with the routines, then holds at the last step that paid", () => {
    const { clock, control } = controlled(32, 1);
    const seen = runWindows(control, clock, 5, 6);
    // 1 → 2 → 4 → 8 (6 is the knee: 8 still paid 1.5× over 4) → 16 paid nothing: back to 8.
    assert.deepEqual(seen, [1, 2, 4, 8, 16]);
    assert.equal(control.routines, 8);
    assert.equal(control.peak, 16);
    // Held: a probe of a quarter more every few windows, dropped when it does not pay.
    const later = runWindows(control, clock, 6 * (PROBE_AFTER + 2), 6);
    assert.ok(later.every((n) => n === 8 || n === 10), `held near 8: ${later.join(",")}`);
    assert.equal(control.routines, 8);
    assert.equal(control.backoffs, 0);
  });

  it("grows again when the link frees up, and never beyond max", () => {
    const { clock, control } = controlled(12, 2);
    runWindows(control, clock, 6, 4);
    assert.equal(control.routines, 4);
    // The knee moves out to 40: probes pay, and each paying step is kept, up to max.
    const seen = runWindows(control, clock, 40, 40);
    assert.ok(seen.every((n) => n <= 12));
    assert.equal(control.routines, 12);
  });

  it("starts at 8 routines (fewer when max is lower) and climbs from there in two windows", () => {
    assert.equal(INITIAL_ROUTINES, 8);
    assert.equal(new AdaptiveRoutines({ max: 5 }).routines, 5);
    assert.equal(new AdaptiveRoutines({ max: 1 }).routines, 1);
    const { clock, control } = controlled(32);
    assert.equal(control.routines, 8);
    // A link that takes 32 parts at once: 8 → 16 → 32 in two judged windows, not four from 2.
    const seen = runWindows(control, clock, 3, 32);
    assert.deepEqual(seen, [8, 16, 32]);
    assert.equal(control.routines, 32);
    assert.equal(control.peak, 32);
  });

  it("past its start, a doubling that paid in full leaps to four times the routines", () => {
    assert.equal(LEAP_WHEN, 0.9);
    // A long link that takes 64 parts at once: 8 → 16 doubled the throughput → 64, not 32.
    const far = controlled(64);
    assert.deepEqual(runWindows(far.control, far.clock, 3, 64), [8, 16, 64]);
    assert.equal(far.control.routines, 64);
    // Its knee at 24: the leap overshoots, and the two windows put the hold at the knee.
    const knee = controlled(64);
    assert.deepEqual(runWindows(knee.control, knee.clock, 3, 24), [8, 16, 64]);
    assert.equal(knee.control.routines, 24); // 16 × (24 / 16) throughput
    assert.equal(knee.control.peak, 64);
    // A doubling that paid only in part (knee 12: 8 → 16 brought +50%) doubles, no more.
    const near = controlled(64);
    assert.deepEqual(runWindows(near.control, near.clock, 3, 12), [8, 16, 32]);
    assert.equal(near.control.routines, 16);
    // Below the start it doubles as before (1 → 2 → 4 → 8 paid in full each time).
    const low = controlled(64, 1);
    assert.deepEqual(runWindows(low.control, low.clock, 4, 64), [1, 2, 4, 8]);
    // Leaps are for the first climb: after a back-off, growth is a quarter at a time.
    const backed = controlled(64);
    backed.control.backOff("throttled");
    assert.equal(backed.control.routines, 4);
    backed.clock.now += WINDOW;
    const after = runWindows(backed.control, backed.clock, 2 * (PROBE_AFTER + 2), 64);
    assert.ok(after.at(-1)! > 4, `it grows again: ${after}`);
    for (let i = 1; i < after.length; i++) {
      const step = after[i] - after[i - 1];
      assert.ok(step <= Math.max(1, Math.floor(after[i - 1] / 4)), `quarter steps: ${after}`);
    }
  });

  it("after clustered resets it halves, then climbs back by doublings to where it was, then by quarters", () => {
    const { clock, control } = controlled(64);
    runWindows(control, clock, 1, 64); // 8 → 16 (and its first parts settled)
    assert.equal(control.routines, 16);
    resets(control, RESETS_CLUSTER); // connections lost on a long path, two in one window
    assert.equal(control.routines, 8);
    // The link still takes every routine: 8 → 16 (where it was) in one judged window, then
    // quarter steps, without holding PROBE_AFTER windows first.
    const seen = runWindows(control, clock, 4, 64);
    assert.deepEqual(seen, [8, 16, 20, 25]);
    // Resets on a full link: back to 8, up to 16 again; 16 pays nothing, so it holds at the knee.
    resets(control, RESETS_CLUSTER);
    assert.equal(control.routines, 15); // 31 halved (31 = 25 + a quarter, the last step)
    const full = runWindows(control, clock, 3, 15);
    assert.deepEqual(full.slice(0, 2), [15, 30]);
    assert.equal(control.routines, 15);
    assert.equal(control.backoffs, 2);
    // Throttling still holds: no growth for PROBE_AFTER windows.
    control.backOff("throttled");
    const held = runWindows(control, clock, PROBE_AFTER, 64);
    assert.ok(held.every((n) => n === held[0]), `held: ${held}`);
  });

  it("a transfer of no more parts than it may run at once starts with all of them", () => {
    const auto = (options = {}) => resolveParallelism({ routines: "auto", ...options }, 1);
    const oneWave = routinesFor(auto(), 24, 128 * 1024);
    assert.ok(oneWave instanceof AdaptiveRoutines);
    assert.deepEqual([oneWave.routines, oneWave.max], [24, 24]);
    // More parts than maxRoutines (32 by default): from the start, and climbing.
    const long = routinesFor(auto(), 33, 1024 * 1024) as AdaptiveRoutines;
    assert.deepEqual([long.routines, long.max], [INITIAL_ROUTINES, 32]);
    // More parts than maxMemory holds at once: the same.
    const budget = routinesFor(auto({ maxMemory: 10 << 20 }), 12, 1 << 20) as AdaptiveRoutines;
    assert.deepEqual([budget.routines, budget.max], [INITIAL_ROUTINES, 10]);
    // The caller's start wins.
    const told = routinesFor(auto({ adaptive: { initial: 2 } }), 24, 1 << 20) as AdaptiveRoutines;
    assert.deepEqual([told.routines, told.max], [2, 24]);
  });

  it("from its 8 at the start, a link that takes fewer holds there, and throttling halves it at once", () => {
    const { clock, control } = controlled(32);
    // The knee at 4: 8 brought no more than 4 would, but nothing was measured before it, so the
    // first window steps up; 16 does not pay and the knee estimate returns to 8, never below.
    const seen = runWindows(control, clock, 3, 4);
    assert.deepEqual(seen, [8, 16, 8]);
    assert.equal(control.routines, 8);
    // The server answers 503 SlowDown before any window ends: halved without waiting for one.
    control.backOff("throttled");
    assert.equal(control.routines, 4);
    assert.equal(control.backoffs, 1);
  });

  it("a window needs as many finished parts as routines and at least windowMs", () => {
    const { clock, control } = controlled(8, 2);
    clock.now += WINDOW;
    control.partDone(1000, 10); // one part of two: no verdict yet
    assert.equal(control.routines, 2);
    control.partDone(1000, 10);
    assert.equal(control.routines, 4);
    clock.now += WINDOW / 2;
    for (let p = 0; p < 8; p++) control.partDone(1000, 10); // parts enough, time not
    assert.equal(control.routines, 4);
  });

  it("judges a step after its first parts settle, and holds at the knee when a step pays in part", () => {
    const { clock, control } = controlled(32, 4);
    // 4 routines carry 4000 B per window: the window pays (nothing to compare with): 4 → 8.
    clock.now += WINDOW;
    for (let p = 0; p < 4; p++) control.partDone(1000, 50);
    assert.equal(control.routines, 8);
    // The step's ramp: 8 parts finish with almost nothing; they are not held against it.
    settle(control, clock);
    assert.equal(control.routines, 8);
    // Steady state at 8: 6000 B per window, +50%: the doubling paid → 16.
    clock.now += WINDOW;
    for (let p = 0; p < 8; p++) control.partDone(750, 50);
    assert.equal(control.routines, 16);
    settle(control, clock);
    // At 16: 7000 B, +17% where +50% was due: the knee is 8 × 7000 / 6000 ≈ 9.3 → 10, not 8.
    clock.now += WINDOW;
    for (let p = 0; p < 16; p++) control.partDone(7000 / 16, 50);
    assert.equal(control.routines, 10);
    assert.equal(control.backoffs, 0);
  });

  it("judges a step on parts started after it, once half the routines' have finished", () => {
    assert.equal(STEP_JUDGED_ON, 0.5);
    const PART = 1000; // one part's time, ms: a long, thin link
    const { clock, control } = controlled(64);
    // 8 parts started at 0 finish at one part's time: the first window → 16 at t = 1000.
    clock.now = PART;
    for (let p = 0; p < 8; p++) control.partDone(1000, PART);
    assert.equal(control.routines, 16);
    // The old routines' parts that were under way at the step end after it: not this step's
    // (1 byte each here; counted, they would sink its rate and there would be no leap).
    clock.now = 1.5 * PART;
    for (let p = 0; p < 8; p++) control.partDone(1, PART);
    // One part's time after the step: the 8 new routines' first parts (started at the step).
    // Seven are not enough; the eighth, half of 16, judges it: each carried as much as before
    // in as long, so 16 routines moved twice what 8 did, in full → the leap to 64.
    clock.now = 2 * PART;
    for (let p = 0; p < 7; p++) control.partDone(1000, PART);
    assert.equal(control.routines, 16);
    control.partDone(1000, PART);
    assert.equal(control.routines, 64);
    // Where the old rule waited for 16 settling parts and then 16 more: two parts' time.
  });

  it("measures a window as routines × bytes / part time, so a full link's slower parts hold it", () => {
    const PART = 1000;
    const { clock, control } = controlled(64);
    clock.now = PART;
    for (let p = 0; p < 8; p++) control.partDone(1000, PART);
    assert.equal(control.routines, 16);
    // The link was full at 8: the step's parts each take twice as long. Half of them finished
    // is already a verdict: 16 × 1000 B / 2000 ms = what 8 carried, so back to the knee, 8.
    clock.now = 3 * PART;
    for (let p = 0; p < 8; p++) control.partDone(1000, 2 * PART);
    assert.equal(control.routines, 8);
    assert.equal(control.backoffs, 0);
  });

  it("after a back-off, counts only parts started after it", () => {
    const PART = 1000;
    const { clock, control } = controlled(64);
    clock.now = PART / 2;
    resets(control, RESETS_CLUSTER); // 8 → 4, at t = 500, climbing back by doublings
    assert.equal(control.routines, 4);
    // Parts started before the reset finish slowly; they are not the first window after it.
    clock.now = PART;
    for (let p = 0; p < 8; p++) control.partDone(10, PART);
    assert.equal(control.routines, 4);
    // The first window of parts started after it (4 of them): no baseline, so it steps up.
    clock.now = 1.5 * PART;
    for (let p = 0; p < 4; p++) control.partDone(1000, PART / 2);
    assert.equal(control.routines, 8);
  });

  it("halves on throttling, resets and timeouts, once per window, never below 1", () => {
    const { clock, control } = controlled(32, 16);
    control.backOff("throttled");
    assert.equal(control.routines, 8);
    control.backOff("throttled"); // the same congestion, met by another part in flight
    control.backOff("reset");
    assert.equal(control.routines, 8);
    for (const reason of ["reset", "timeout", "throttled", "throttled", "throttled"] as const) {
      clock.now += WINDOW;
      control.backOff(reason);
      if (reason === "reset") control.backOff(reason); // a reset counts when a second follows
    }
    assert.equal(control.routines, 1);
    assert.equal(control.backoffs, 6);
    assert.equal(control.lastBackoff, "throttled");
  });

  it("an isolated reset changes nothing; the second within one window halves", () => {
    assert.equal(RESETS_CLUSTER, 2);
    const { clock, control } = controlled(32, 32);
    control.backOff("reset"); // one lost connection: its part is retried, the routines stay
    assert.deepEqual([control.routines, control.backoffs], [32, 0]);
    // A window ends (32 parts, windowMs): the count starts over, so a reset in the next window
    // is isolated again.
    clock.now += WINDOW;
    for (let p = 0; p < 32; p++) control.partDone(1000, 50);
    control.backOff("reset");
    assert.deepEqual([control.routines, control.backoffs], [32, 0]);
    // A second in the same window: a cluster, halved once (the resets that follow in the same
    // congestion are the once-per-window rule's).
    control.backOff("reset");
    assert.deepEqual([control.routines, control.backoffs], [16, 1]);
    assert.equal(control.lastBackoff, "reset");
    control.backOff("reset");
    control.backOff("reset");
    assert.equal(control.routines, 16);
    // Throttling and timeouts back off at the first, as before.
    clock.now += WINDOW;
    control.backOff("timeout");
    assert.deepEqual([control.routines, control.backoffs], [8, 2]);
  });

  it("starts more routines when the first exchange says the server is far away", () => {
    assert.equal(FAR_EXCHANGE_MS, 100);
    const start = (ms: number, max = 32, initial?: number) => {
      const { control } = controlled(max, initial);
      control.firstExchange(ms);
      return control.routines;
    };
    // Loopback, 20 ms and 50 ms away (an exchange is a handshake and a request: two round
    // trips): the usual 8.
    assert.deepEqual([start(1), start(40), start(100)], [8, 8, 8]);
    // Exchanges of 150 ms, 300 ms (150 ms away) and 600 ms (300 ms away): 8 per 100 ms of
    // it, within max.
    assert.deepEqual([start(150), start(300), start(600)], [12, 24, 32]);
    assert.equal(start(600, 100), 48);
    // Never below a start already higher (a one-wave transfer starts with every part); the
    // caller's own `initial` wins.
    assert.equal(start(150, 20, 20), 20);
    assert.equal(start(600, 32, 2), 2);
  });

  it("the first exchange moves only the start, and the first window judges from there", () => {
    const { clock, control } = controlled(64);
    control.firstExchange(300); // 24
    assert.equal(control.routines, 24);
    assert.equal(control.peak, 24);
    // A link that takes 32 at once: the first window has nothing to compare with, so it steps
    // up (24 → 48); 48 brings 32 / 24 of 24's throughput, less than half a doubling's gain: the
    // knee, 32.
    const seen = runWindows(control, clock, 2, 32);
    assert.deepEqual(seen, [24, 48]);
    assert.equal(control.routines, 32);
    // Too late now: a later exchange (or a second call) does not move it.
    control.firstExchange(1000);
    assert.equal(control.routines, 32);
    // Nor once a part was counted.
    const counted = controlled(64);
    counted.clock.now += 1;
    counted.control.partDone(1000, 1);
    counted.control.firstExchange(600);
    assert.equal(counted.control.routines, 8);
  });

  it("backs off when latency rises with no more throughput while held", () => {
    const { clock, control } = controlled(32, 4);
    runWindows(control, clock, 3, 4); // 4 → 8 did not pay: held at 4
    assert.equal(control.routines, 4);
    let slow = 50;
    runWindows(control, clock, 2, 4, () => slow);
    assert.equal(control.backoffs, 0);
    slow = 50 * 3; // others fill the path: each part takes three times as long
    runWindows(control, clock, 1, 4, () => slow);
    assert.equal(control.backoffs, 1);
    assert.equal(control.lastBackoff, "latency");
    assert.equal(control.routines, 2);
  });

  it("tells which failures mean 'too much'", () => {
    const oss = (status: number, code: string) => new OssError({ status, code, message: "" });
    assert.equal(backoffReason(oss(503, "SlowDown")), "throttled");
    assert.equal(backoffReason(oss(429, "QpsLimitExceeded")), "throttled");
    assert.equal(backoffReason(oss(503, "ServiceUnavailable")), "throttled");
    assert.equal(backoffReason(oss(400, "RequestTimeout")), "timeout");
    assert.equal(backoffReason(new NetworkError("ECONNRESET")), "reset");
    assert.equal(backoffReason(new TimeoutError("no answer")), "timeout");
    assert.equal(backoffReason(oss(500, "InternalError")), undefined);
    assert.equal(backoffReason(oss(403, "AccessDenied")), undefined);
  });

  it("refuses a max below 1", () => {
    assert.throws(() => new AdaptiveRoutines({ max: 0 }), RangeError);
  });
});

describe("PartScheduler with AdaptiveRoutines", () => {
  it("starts routines when asked for more, retires them between parts when asked for fewer", async () => {
    const { clock, control } = controlled(8, 2);
    const scheduler = new PartScheduler(undefined);
    const gates: (() => void)[] = [];
    const waiting: number[] = [];
    let next = 0;
    let partsDone = 0;
    const total = 40;
    let overBound = 0;
    // Resolves when `count` parts wait at their gates.
    const waitersAt = async (count: number) => {
      while (waiting.length < count) await new Promise((r) => setTimeout(r, 0));
    };
    const run = scheduler.routines(control, async (nextTurn) => {
      while (next < total && nextTurn()) {
        const n = next++;
        await scheduler.track(1000, async () => {
          if (scheduler.partsInFlight > control.max) overBound++;
          waiting.push(n);
          await new Promise<void>((resolve) => gates.push(resolve));
        });
        partsDone++;
      }
    });
    // Two routines, two parts waiting.
    await waitersAt(2);
    assert.equal(scheduler.liveRoutines, 2);
    clock.now += WINDOW;
    const release = async (k: number) => {
      const open = gates.splice(0, k);
      waiting.splice(0, k);
      for (const g of open) g();
      // Let the released routines record their part and take their next one.
      const target = partsDone + k;
      while (partsDone < target) await new Promise((r) => setTimeout(r, 0));
    };
    await release(2); // a window of 2 parts with no baseline: grow to 4
    assert.equal(control.routines, 4);
    await waitersAt(4);
    assert.equal(scheduler.liveRoutines, 4);
    assert.equal(scheduler.partsInFlight, 4);
    // Throttled: half the routines retire as their parts end; no new part starts meanwhile.
    control.backOff("throttled");
    assert.equal(control.routines, 2);
    await release(4);
    await waitersAt(2);
    assert.equal(scheduler.liveRoutines, 2);
    assert.equal(scheduler.partsInFlight, 2);
    // Let the rest through.
    while (partsDone < total) {
      await waitersAt(Math.min(scheduler.liveRoutines, total - partsDone));
      await release(waiting.length);
    }
    await run;
    scheduler.dispose();
    assert.equal(partsDone, total);
    assert.equal(overBound, 0);
    assert.ok(scheduler.peakPartsInFlight <= control.max);
    assert.equal(scheduler.peakRoutines, 4);
    assert.equal(scheduler.firstError, undefined);
  });
});
