// Resuming from a checkpoint, and refusing to: a damaged checkpoint, a
// changed source, an expired upload ID, a checkpoint of another key, two
// resumers at once, cancel then resume, and onFailure: "abort". Each ends in
// a byte-identical object or a clear typed error.

import assert from "node:assert/strict";
import { readFile, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AbortError,
  CheckpointError,
  type UploadFileOptions,
  type UploadProgress,
  type UploadResult,
} from "../mod.ts";
import {
  delay,
  exists,
  KB100,
  objectBytes,
  sameBytes,
  type UploadEnv,
  uploadEnv,
  uploadIdsOf,
  waitFor,
  writeTestFile,
} from "./_upload_fixtures.ts";
import { testBytes } from "./_client_setup.ts";

const PARTS = 8;
const SIZE = PARTS * KB100 - 123;

describe("uploadFile checkpoints", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("checkpoints");
  });
  after(async () => {
    await env.close();
  });

  /**
   * Runs the upload and cancels it once `parts` parts are done; returns what
   * the last progress event said. The checkpoint stays behind.
   */
  async function cancelledRun(
    key: string,
    path: string,
    parts: number,
    options: UploadFileOptions = {},
  ): Promise<UploadProgress> {
    const controller = new AbortController();
    let last: UploadProgress | undefined;
    await assert.rejects(
      env.bucket.uploadFile(key, path, {
        checkpoint: true,
        ...options,
        signal: controller.signal,
        onProgress: (p) => {
          last = p;
          if (p.partsDone >= parts) controller.abort();
        },
      }),
      (err: unknown) => err instanceof AbortError && err.code === "Aborted",
    );
    assert.ok(last && last.partsDone >= parts);
    return last;
  }

  async function assertUploaded(key: string, result: UploadResult, bytes: Uint8Array) {
    assert.equal(result.size, bytes.length);
    assert.equal(result.crc64Verified, true);
    assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes), `${key} is byte-identical`);
    assert.deepEqual(await uploadIdsOf(env.bucket, key), [], `${key}: no upload left behind`);
  }

  it("cancels through an AbortSignal, keeps the checkpoint, and resumes sending only what is missing", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "cancel.bin", SIZE, 1);
    const stopped = await cancelledRun("cancel", path, 3, { routines: 3 });
    assert.ok(await exists(`${path}.cp`), "checkpoint kept");
    assert.equal((await uploadIdsOf(env.bucket, "cancel")).length, 1, "parts kept on the server");
    await delay(100); // let the server finish the requests the cancel cut short
    env.server.control.clear();
    const progress: UploadProgress[] = [];
    const result = await env.bucket.uploadFile("cancel", path, {
      checkpoint: true,
      routines: 3,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.resumed, true);
    assert.equal(progress[0].bytesDone, stopped.bytesDone, "starts from what was confirmed");
    assert.equal(progress[0].resumed, true);
    assert.equal(result.partsUploaded, PARTS - stopped.partsDone);
    assert.equal(env.server.control.stats().partBytes, SIZE - stopped.bytesDone);
    assert.equal(result.bytesSent, SIZE - stopped.bytesDone);
    await assertUploaded("cancel", result, bytes);
    assert.equal(await exists(`${path}.cp`), false, "checkpoint deleted after Complete");
  });

  it('aborts the multipart upload and removes the checkpoint with onFailure: "abort"', async () => {
    const { path } = await writeTestFile(env.dir, "abort.bin", SIZE, 2);
    await cancelledRun("abort", path, 2, { onFailure: "abort" });
    assert.deepEqual(await uploadIdsOf(env.bucket, "abort"), []);
    assert.equal(await exists(`${path}.cp`), false);
    // Without a checkpoint "abort" is the default.
    env.server.control.add({
      operation: "UploadPart",
      partNumber: 3,
      action: { type: "error", status: 403, code: "AccessDenied" },
    });
    await assert.rejects(
      env.bucket.uploadFile("abort", path),
      (err: unknown) => err instanceof Error && (err as { code?: string }).code === "AccessDenied",
    );
    env.server.control.clear();
    assert.deepEqual(await uploadIdsOf(env.bucket, "abort"), []);
  });

  const damages: [string, (cp: Uint8Array) => Uint8Array][] = [
    ["a flipped byte in the header", (cp) => {
      const out = cp.slice();
      out[40] ^= 0x01;
      return out;
    }],
    ["truncation inside the header", (cp) => cp.slice(0, 50)],
    ["garbage", () => testBytes(300, 9)],
    ["a flipped byte in an early record", (cp) => {
      const out = cp.slice();
      const firstRecord = out.indexOf(0x0a) + 1;
      out[firstRecord + 12] ^= 0x04;
      return out;
    }],
  ];
  for (const [name, damage] of damages) {
    it(`starts over after ${name}`, async () => {
      const key = `damaged-${name.replaceAll(" ", "-")}`;
      const { path, bytes } = await writeTestFile(env.dir, `${key}.bin`, SIZE, 3);
      await cancelledRun(key, path, 3);
      const cp = await readFile(`${path}.cp`);
      await writeFile(`${path}.cp`, damage(new Uint8Array(cp)));
      const [stale] = await uploadIdsOf(env.bucket, key);
      const result = await env.bucket.uploadFile(key, path, { checkpoint: true, routines: 2 });
      assert.equal(result.resumed, false);
      assert.equal(result.partsUploaded, PARTS);
      assert.notEqual(result.uploadId, stale);
      assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes));
      assert.equal(await exists(`${path}.cp`), false);
      // The damaged checkpoint's upload cannot be known for sure: it is left alone.
      await env.bucket.abortMultipartUpload(key, stale);
    });
  }

  it("drops a torn last record and resumes from the rest", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "torn.bin", SIZE, 4);
    await cancelledRun("torn", path, 3, { routines: 1 });
    const cp = new Uint8Array(await readFile(`${path}.cp`));
    await writeFile(`${path}.cp`, cp.subarray(0, cp.length - 10));
    env.server.control.clear();
    const result = await env.bucket.uploadFile("torn", path, { checkpoint: true });
    assert.equal(result.resumed, true);
    assert.ok(result.partsUploaded < PARTS);
    await assertUploaded("torn", result, bytes);
  });

  const changes: [string, (path: string, bytes: Uint8Array) => Promise<Uint8Array>][] = [
    ["same size, different content, same modification time", async (path, bytes) => {
      const { mtime } = await stat(path);
      const changed = bytes.slice();
      changed[0] ^= 0xff; // inside a sampled window
      await writeFile(path, changed);
      await utimes(path, mtime, mtime);
      return changed;
    }],
    ["a different size", async (path, bytes) => {
      const changed = bytes.slice(0, bytes.length - KB100);
      await truncate(path, changed.length);
      return changed;
    }],
    ["a touched modification time", async (path, bytes) => {
      const { mtime } = await stat(path);
      const later = new Date(mtime.getTime() + 5000);
      await utimes(path, later, later);
      return bytes;
    }],
  ];
  for (const [name, change] of changes) {
    it(`uploads a source changed between runs whole again (${name}), aborting the stale upload`, async () => {
      const key = `changed-${name.split(",")[0].replaceAll(" ", "-")}`;
      const { path, bytes } = await writeTestFile(env.dir, `${key}.bin`, SIZE, 5);
      // Whole seconds, so every runtime's file adapter reads the same time back.
      await utimes(path, new Date(1_700_000_000_000), new Date(1_700_000_000_000));
      await cancelledRun(key, path, 3);
      const [stale] = await uploadIdsOf(env.bucket, key);
      assert.ok(stale);
      const now = await change(path, bytes);
      const result = await env.bucket.uploadFile(key, path, { checkpoint: true, routines: 2 });
      assert.equal(result.resumed, false);
      assert.equal(result.partsUploaded, Math.ceil(now.length / KB100));
      assert.notEqual(result.uploadId, stale);
      await assertUploaded(key, result, now);
    });
  }

  it("starts a fresh upload when the checkpoint's upload ID was aborted or expired", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "expired.bin", SIZE, 6);
    await cancelledRun("expired", path, 4);
    const [stale] = await uploadIdsOf(env.bucket, "expired");
    await env.bucket.abortMultipartUpload("expired", stale);
    const result = await env.bucket.uploadFile("expired", path, { checkpoint: true });
    assert.equal(result.resumed, false);
    assert.equal(result.partsUploaded, PARTS);
    assert.notEqual(result.uploadId, stale);
    await assertUploaded("expired", result, bytes);
  });

  it("never uses a checkpoint for another key found at the same path", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "shared.bin", SIZE, 7);
    const cp = join(env.dir, "shared.cp");
    await cancelledRun("first-key", path, 3, { checkpoint: cp });
    const [firstUpload] = await uploadIdsOf(env.bucket, "first-key");
    const result = await env.bucket.uploadFile("second-key", path, { checkpoint: cp });
    assert.equal(result.resumed, false);
    assert.equal(result.partsUploaded, PARTS);
    await assertUploaded("second-key", result, bytes);
    // The other key's upload is not this upload's to abort.
    assert.deepEqual(await uploadIdsOf(env.bucket, "first-key"), [firstUpload]);
    await env.bucket.abortMultipartUpload("first-key", firstUpload);
    assert.equal(await exists(cp), false);
  });

  it("lets one of two concurrent resumers run; the other fails with CheckpointLocked", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "locked.bin", SIZE, 8);
    await cancelledRun("locked", path, 2);
    env.server.control.add({
      operation: "UploadPart",
      times: 0,
      action: { type: "latency", ms: 30 },
    });
    let started = false;
    const first = env.bucket.uploadFile("locked", path, {
      checkpoint: true,
      onProgress: () => void (started = true),
    });
    await waitFor(() => started, "the first resumer to start");
    await assert.rejects(
      env.bucket.uploadFile("locked", path, { checkpoint: true }),
      (err: unknown) => err instanceof CheckpointError && err.code === "CheckpointLocked",
    );
    const result = await first;
    env.server.control.clear();
    assert.equal(result.resumed, true);
    await assertUploaded("locked", result, bytes);
  });

  it("with waitForCheckpoint the second resumer waits for the first, then completes", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "waiting.bin", SIZE, 9);
    await cancelledRun("waiting", path, 2);
    env.server.control.add({
      operation: "UploadPart",
      times: 0,
      action: { type: "latency", ms: 20 },
    });
    let firstStarted = false;
    let firstDone = false;
    const first = env.bucket.uploadFile("waiting", path, {
      checkpoint: true,
      onProgress: () => void (firstStarted = true),
    }).finally(() => (firstDone = true));
    await waitFor(() => firstStarted, "the first resumer to start");
    let secondStartedBeforeFirstEnded = false;
    const second = env.bucket.uploadFile("waiting", path, {
      checkpoint: true,
      waitForCheckpoint: true,
      onProgress: () => void (secondStartedBeforeFirstEnded ||= !firstDone),
    });
    const [a, b] = await Promise.all([first, second]);
    env.server.control.clear();
    assert.equal(secondStartedBeforeFirstEnded, false, "never interleaved");
    assert.equal(a.resumed, true);
    assert.notEqual(a.uploadId, b.uploadId);
    await assertUploaded("waiting", b, bytes);
  });
});
