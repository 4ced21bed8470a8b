// The download's tail split (routines: "auto"): a routine with no part left to start takes the
// back half of a range another routine is still waiting on, and again until the rest is under
// two 64 KiB spans. The server holds one range (a latency fault on a held clock), so the
// split happens the same way however slow the machine: 3 parts of 256 KiB (too few for the
// staggered first wave), 2 routines; one routine is held on its first range, the other
// fetches the two other parts, then the held
// part's bytes 128-256 KiB, then 64-128 KiB, then waits. Released, the held answer is read up to
// 64 KiB and cancelled. The file is byte-identical and CRC-checked (the part's CRC-64 combined
// from its three spans'), no byte is taken twice, and a kill mid-split leaves a checkpoint
// that knows the split part is not in the file.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { testBytes } from "./_test_bytes.ts";
import { exists, heldUploadEnv, sameBytes, startTransferChild } from "./_upload_fixtures.ts";

const PART = 256 * 1024;
const SIZE = 3 * PART - 77;
// The 3 parts' ranges and the 2 pieces split off the held one.
const GETS = 3 + 2;
// "auto" with 2 routines at most; its clock stands still, so it neither climbs nor backs off.
const AUTO = {
  partSize: PART,
  routines: "auto",
  maxRoutines: 2,
  adaptive: { clock: () => 0 },
} as const;

describe("downloadFile splits the tail across idle routines", () => {
  const held = heldUploadEnv("dl-tail");
  const clock = held.clock;

  /** Puts `key`, and holds its first ranged GET at the server until the clock is released. */
  async function putAndHoldFirstRange(key: string, seed: number): Promise<Uint8Array> {
    const bytes = testBytes(SIZE, seed);
    await held.env.bucket.putObject(key, bytes);
    const control = held.env.server.control;
    control.clear();
    clock.hold();
    control.add({ operation: "GetObject", key, nth: 1, action: { type: "latency", ms: 1 } });
    return bytes;
  }

  /** The held range is waiting and both pieces of it have been asked for. */
  async function splitTwice(): Promise<void> {
    await clock.held(1);
    await held.env.server.control.when((s) => (s.requests.GetObject ?? 0) >= GETS);
  }

  it("fetches a held range's rest on the idle routine, byte-identical, nothing twice", async () => {
    const key = "tail.bin";
    const bytes = await putAndHoldFirstRange(key, 3);
    const path = join(held.env.dir, key);
    const download = held.env.bucket.downloadFile(key, path, AUTO);
    await splitTwice();
    clock.release();
    const result = await download;
    const stats = held.env.server.control.stats();
    held.env.server.control.clear();

    assert.ok(sameBytes(new Uint8Array(await readFile(path)), bytes), "byte-identical");
    assert.equal(result.crc64Verified, true, "the split part's CRC-64 combined from its spans");
    assert.equal(result.parts, 3);
    assert.equal(stats.requests.GetObject, GETS, "one range per part and one per piece");
    assert.equal(result.bytesReceived, SIZE, "no byte taken twice");
    assert.equal(result.bytesRefetched, 0);
    assert.equal(result.routines?.peak, 2, "the split ran within the routines");
    assert.equal(await exists(`${path}.ossup-download`), false, "no partial file left");
  });

  it("resumes after a kill mid-split: the split part was never recorded, so it is fetched whole", async () => {
    const key = "tail-killed.bin";
    const bytes = await putAndHoldFirstRange(key, 4);
    const path = join(held.env.dir, key);
    const run = startTransferChild(held.env, "_download_child.ts", {
      key,
      path,
      partSize: PART,
      routines: "auto",
      maxRoutines: 2,
      stillAuto: true,
    });
    const threeParts = run.printed("part 2/3 ");
    await run.killWhen(Promise.all([threeParts, splitTwice()]));
    clock.release();
    await held.env.server.dropConnections();
    held.env.server.control.clear();
    assert.ok(await exists(`${path}.ossup-download.cp`), "the checkpoint is there");

    const result = await held.env.bucket.downloadFile(key, path, { ...AUTO, checkpoint: true });
    assert.ok(sameBytes(new Uint8Array(await readFile(path)), bytes), "byte-identical");
    assert.equal(result.crc64Verified, true);
    assert.equal(result.resumed, true);
    assert.equal(result.bytesReceived, PART, "only the split part, whole");
    assert.equal(await exists(`${path}.ossup-download`), false, "no partial file left");
    assert.equal(await exists(`${path}.ossup-download.cp`), false, "no checkpoint left");
  });

  it("staggers the first wave: the first part's back half goes to the second routine", async () => {
    // 4 parts of 100 KiB, 2 routines: routine 0 fetches the first half of part 1, routine 1
    // part 2 and then the back half of part 1. No rest is ever two 64 KiB spans, so nothing
    // else is split, whatever the timing.
    const part = 100 * 1024;
    const size = 4 * part - 5;
    const key = "staggered.bin";
    const bytes = testBytes(size, 5);
    await held.env.bucket.putObject(key, bytes);
    held.env.server.control.clear();
    const path = join(held.env.dir, key);
    const result = await held.env.bucket.downloadFile(key, path, {
      ...AUTO,
      partSize: part,
      checkpoint: true,
    });
    const stats = held.env.server.control.stats();
    assert.ok(sameBytes(new Uint8Array(await readFile(path)), bytes), "byte-identical");
    assert.equal(result.crc64Verified, true, "part 1's CRC-64 combined from its two halves");
    assert.equal(stats.requests.GetObject, 5, "4 parts and part 1's back half");
    assert.equal(result.bytesReceived, size);
  });
});
