// bucket.downloadFile against the local server: ranges in parallel into <file>.ossup-download,
// renamed into place only when complete and CRC-verified; resumable through a checkpoint bound
// to the object's identity; a corrupted range is an IntegrityError with nothing left behind, a
// truncated one is fetched again; abort then resume; bad options are refused by name.

import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AbortError,
  type FileSink,
  IntegrityError,
  MemoryCheckpointStore,
  openNodeFileSink,
  SourceChangedError,
} from "../mod.ts";
import type { FaultAction } from "../lib/server/mod.ts";
import { testBytes } from "./_test_bytes.ts";
import { exists, sameBytes, type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";

const PART = 64 * 1024;
const SIZE = 10 * PART - 123;
const ROUTINES = 3;

describe("bucket.downloadFile", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("downloads");
  });
  after(() => env.close());

  /** Puts `size` bytes at `key`; returns them. */
  async function put(key: string, size = SIZE, seed = 7): Promise<Uint8Array> {
    const bytes = testBytes(size, seed);
    await env.bucket.putObject(key, bytes);
    return bytes;
  }

  /** Asserts `path` holds `bytes` and nothing of the download is left beside it. */
  /** The `nth` GetObject of `key` meets `action` (the server's other rules cleared). */
  function faultOnGet(key: string, nth: number, action: FaultAction): void {
    env.server.control.clear();
    env.server.control.add({ operation: "GetObject", key, nth, action });
  }

  async function assertDone(path: string, bytes: Uint8Array): Promise<void> {
    assert.ok(sameBytes(new Uint8Array(await readFile(path)), bytes), "byte-identical");
    assert.equal(await exists(`${path}.ossup-download`), false, "no partial file left");
    assert.equal(await exists(`${path}.ossup-download.cp`), false, "no checkpoint left");
    assert.equal(await exists(`${path}.ossup-download.cp.lock`), false, "no lock left");
  }

  it("downloads in parallel ranges, CRC-verified, leaving only the file", async () => {
    const bytes = await put("whole.bin");
    const path = join(env.dir, "whole.bin");
    const seen: number[] = [];
    const result = await env.bucket.downloadFile("whole.bin", path, {
      partSize: PART,
      routines: ROUTINES,
      checkpoint: true,
      onProgress: (p) => seen.push(p.partsDone),
    });
    await assertDone(path, bytes);
    assert.equal(result.size, SIZE);
    assert.equal(result.parts, 10);
    assert.equal(result.crc64Verified, true);
    assert.equal(result.resumed, false);
    assert.equal(result.bytesReceived, SIZE);
    assert.equal(result.bytesRefetched, 0);
    assert.equal(result.file, path);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it("downloads an empty object to an empty file", async () => {
    await put("empty.bin", 0);
    const path = join(env.dir, "empty.bin");
    const result = await env.bucket.downloadFile("empty.bin", path, { checkpoint: true });
    await assertDone(path, new Uint8Array(0));
    assert.equal(result.parts, 0);
    assert.equal(result.crc64, 0n);
  });

  it("downloads a range into the file, not CRC-verified", async () => {
    const bytes = await put("ranged.bin");
    const path = join(env.dir, "ranged.bin");
    const result = await env.bucket.downloadFile("ranged.bin", path, {
      partSize: PART,
      routines: 2,
      range: { start: 1000, end: 3 * PART + 5 },
    });
    await assertDone(path, bytes.subarray(1000, 3 * PART + 6));
    assert.equal(result.crc64Verified, false);
    assert.equal(result.size, 3 * PART + 6 - 1000);
  });

  it("refuses bad options by name, before any file appears", async () => {
    await put("bad.bin", 10);
    const path = join(env.dir, "bad.bin");
    await assert.rejects(env.bucket.downloadFile("bad.bin", path, { routines: 0 }), {
      name: "RangeError",
      message: /routines must be "auto" or a whole number from 1 to 100; got 0/,
    });
    await assert.rejects(env.bucket.downloadFile("bad.bin", path, { partSize: 0 }), {
      name: "RangeError",
      message: /partSize must be "auto" or a whole number of bytes from 1/,
    });
    await assert.rejects(
      env.bucket.downloadFile("bad.bin", path, { range: { start: 10 } }),
      {
        name: "RangeError",
        message: /range 10- is not within oss:\/\/downloads\/bad.bin \(10 bytes\)/,
      },
    );
    await assert.rejects(env.bucket.downloadFile("bad.bin", ""), {
      name: "TypeError",
      message: /non-empty path/,
    });
    assert.equal(await exists(path), false);
    assert.equal(await exists(`${path}.ossup-download`), false);
  });

  it("pauses through its signal and resumes, fetching only what was not recorded", async () => {
    const bytes = await put("paused.bin");
    const path = join(env.dir, "paused.bin");
    const controller = new AbortController();
    let recorded = 0;
    await assert.rejects(
      env.bucket.downloadFile("paused.bin", path, {
        partSize: PART,
        routines: ROUTINES,
        checkpoint: true,
        signal: controller.signal,
        onProgress: (p) => {
          recorded = p.bytesDone;
          if (p.partsDone === 4) controller.abort();
        },
      }),
      AbortError,
    );
    assert.equal(await exists(path), false, "nothing at the file before it is complete");
    assert.ok(await exists(`${path}.ossup-download`), "the partial file is kept");
    assert.ok(await exists(`${path}.ossup-download.cp`), "the checkpoint is kept");
    const result = await env.bucket.downloadFile("paused.bin", path, {
      partSize: PART,
      routines: ROUTINES,
      checkpoint: true,
    });
    await assertDone(path, bytes);
    assert.equal(result.resumed, true);
    assert.equal(result.bytesReceived, SIZE - recorded);
    assert.equal(result.bytesRefetched, 0);
  });

  it("starts over when the object was replaced between runs", async () => {
    await put("replaced.bin", SIZE, 1);
    const path = join(env.dir, "replaced.bin");
    const controller = new AbortController();
    await assert.rejects(
      env.bucket.downloadFile("replaced.bin", path, {
        partSize: PART,
        checkpoint: true,
        signal: controller.signal,
        onProgress: (p) => p.partsDone === 3 && controller.abort(),
      }),
      AbortError,
    );
    const now = await put("replaced.bin", SIZE, 2);
    const result = await env.bucket.downloadFile("replaced.bin", path, {
      partSize: PART,
      checkpoint: true,
    });
    await assertDone(path, now);
    assert.equal(result.resumed, false);
    assert.equal(result.bytesReceived, SIZE);
    assert.match(result.checkpointDiscarded ?? "", /source content differs|modification time/);
  });

  it("fails with SourceChangedError, leaving nothing, when the object changes mid-download", async () => {
    await put("changing.bin", SIZE, 3);
    const path = join(env.dir, "changing.bin");
    const fileSink = openNodeFileSink(path);
    let replaced = false;
    // Replaces the object while part 1 is being written: part 2's If-Match then fails.
    const sink: FileSink = {
      ...fileSink,
      name: fileSink.name,
      write: async (offset, chunk) => {
        if (!replaced) {
          replaced = true;
          await put("changing.bin", SIZE, 4);
        }
        await fileSink.write(offset, chunk);
      },
    };
    await assert.rejects(
      env.bucket.downloadFile("changing.bin", sink, { partSize: PART, checkpoint: path + ".cp" }),
      (err) => err instanceof SourceChangedError && /changed on the server/.test(err.message),
    );
    assert.equal(await exists(path), false);
    assert.equal(await exists(`${path}.ossup-download`), false);
    assert.equal(await exists(`${path}.cp`), false);
  });

  it("a range corrupted in transit is an IntegrityError and nothing is left", async () => {
    await put("corrupt.bin");
    const path = join(env.dir, "corrupt.bin");
    faultOnGet("corrupt.bin", 2, { type: "corrupt", phase: "response", atByte: 100 });
    await assert.rejects(
      env.bucket.downloadFile("corrupt.bin", path, {
        partSize: PART,
        routines: ROUTINES,
        checkpoint: true,
      }),
      (err) => err instanceof IntegrityError && /CRC64/.test(err.message),
    );
    env.server.control.clear();
    assert.equal(await exists(path), false, "nothing at the file");
    assert.equal(await exists(`${path}.ossup-download`), false, "no partial file");
    assert.equal(await exists(`${path}.ossup-download.cp`), false, "no checkpoint");
  });

  it("fetches again a range cut short (Go SDK #300) and a partial part broken on disk", async () => {
    const bytes = await put("short.bin");
    const path = join(env.dir, "short.bin");
    faultOnGet("short.bin", 3, { type: "reset", phase: "response", afterBytes: 1000 });
    const controller = new AbortController();
    await assert.rejects(
      env.bucket.downloadFile("short.bin", path, {
        partSize: PART,
        checkpoint: true,
        signal: controller.signal,
        onProgress: (p) => p.partsDone === 5 && controller.abort(),
      }),
      AbortError,
    );
    env.server.control.clear();
    // A recorded part's bytes damaged on disk: the resume reads it back and fetches it again.
    const partial = `${path}.ossup-download`;
    const onDisk = new Uint8Array(await readFile(partial));
    onDisk[PART + 10] ^= 0xff;
    await writeFile(partial, onDisk);
    const result = await env.bucket.downloadFile("short.bin", path, {
      partSize: PART,
      checkpoint: true,
    });
    await assertDone(path, bytes);
    assert.equal(result.resumed, true);
    assert.equal(result.bytesRefetched, PART, "the damaged part");
    assert.equal(result.bytesReceived, SIZE - 4 * PART);
  });

  it("fetches a range broken mid-body again from where the sink has it, not from its start", async () => {
    // Parts of 1 MiB; the second part's answer is cut after about 600 KiB: what was written of
    // it (whole 128 KiB buffers) stays, and only the rest is asked for again.
    const part = 1024 * 1024;
    const size = 3 * part - 99;
    const bytes = await put("broken.bin", size, 11);
    const path = join(env.dir, "broken.bin");
    faultOnGet("broken.bin", 2, { type: "reset", phase: "response", afterBytes: 600 * 1024 });
    const result = await env.bucket.downloadFile("broken.bin", path, {
      partSize: part,
      routines: 1,
    });
    const stats = env.server.control.stats();
    env.server.control.clear();
    assert.equal(stats.injected, 1, "the reset was met");
    await assertDone(path, bytes);
    assert.equal(result.crc64Verified, true, "the part's CRC-64 runs on across its two answers");
    // Refetched: at most the write buffer that had not reached the sink (128 KiB), not the
    // 600 KiB received nor the whole part.
    assert.ok(result.bytesRefetched > 0, "the cut answer's unwritten rest");
    assert.ok(result.bytesRefetched < 128 * 1024, `${result.bytesRefetched} refetched`);
    assert.equal(result.bytesReceived, size + result.bytesRefetched);
  });

  it("a failure at the rename leaves all for the next run, which fetches nothing", async () => {
    const bytes = await put("commit.bin");
    const path = join(env.dir, "commit.bin");
    const fileSink = openNodeFileSink(path);
    const failing: FileSink = {
      ...fileSink,
      name: fileSink.name,
      commit: () => Promise.reject(new Error("disk full (injected)")),
    };
    const store = new MemoryCheckpointStore();
    const checkpointId = "commit-download";
    await assert.rejects(
      env.bucket.downloadFile("commit.bin", failing, {
        partSize: PART,
        checkpoint: store,
        checkpointId,
      }),
      /disk full/,
    );
    assert.equal(await exists(path), false);
    const result = await env.bucket.downloadFile("commit.bin", path, {
      partSize: PART,
      checkpoint: store,
      checkpointId,
    });
    await assertDone(path, bytes);
    assert.equal(result.resumed, true);
    assert.equal(result.bytesReceived, 0);
  });
});
