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
  CheckpointIoError,
  type CheckpointSetAside,
  type UploadFileOptions,
  type UploadProgress,
  type UploadResult,
} from "../mod.ts";
import {
  exists,
  KB100,
  objectBytes,
  sameBytes,
  type UploadEnv,
  uploadEnv,
  uploadIdsOf,
  writeTestFile,
} from "./_upload_fixtures.ts";
import { testBytes } from "./_test_bytes.ts";
import { checkpointFs } from "../lib/adapters/node_api/_checkpoint_fs.ts";
import { GatedClock } from "./_gated_clock.ts";

const PARTS = 8;
const SIZE = PARTS * KB100 - 123;

describe("uploadFile checkpoints", () => {
  let env: UploadEnv;
  // Holds the parts of a run at the server: see the concurrent resumers' tests.
  const clock = new GatedClock();
  before(async () => {
    env = await uploadEnv("checkpoints", { faultClock: clock });
  });
  after(async () => {
    clock.release();
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
    // None of the cancelled run's requests can land while the resume is measured.
    await env.server.dropConnections();
    const cp = `${path}.cp`;
    assert.ok(await exists(cp), "checkpoint kept");
    assert.equal((await uploadIdsOf(env.bucket, "cancel")).length, 1, "parts kept on the server");
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
    assert.equal(await exists(cp), false, "checkpoint deleted after Complete");
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

  // Damage to the header hides which upload the checkpoint was for; damage to a record does not.
  const damages: [string, "unknown" | "aborted", (cp: Uint8Array) => Uint8Array][] = [
    ["a flipped byte in the header", "unknown", (cp) => {
      const out = cp.slice();
      out[40] ^= 0x01;
      return out;
    }],
    ["truncation inside the header", "unknown", (cp) => cp.slice(0, 50)],
    ["garbage", "unknown", () => testBytes(300, 9)],
    ["a flipped byte in an early record", "aborted", (cp) => {
      const out = cp.slice();
      const firstRecord = out.indexOf(0x0a) + 1;
      out[firstRecord + 12] ^= 0x04;
      return out;
    }],
  ];
  for (const [name, upload, damage] of damages) {
    it(`starts over after ${name}, saying so (its upload: ${upload})`, async () => {
      const key = `damaged-${name.replaceAll(" ", "-")}`;
      const { path, bytes } = await writeTestFile(env.dir, `${key}.bin`, SIZE, 3);
      await cancelledRun(key, path, 3);
      const cpFile = `${path}.cp`;
      const cp = await readFile(cpFile);
      await writeFile(cpFile, damage(new Uint8Array(cp)));
      const [stale] = await uploadIdsOf(env.bucket, key);
      const told: CheckpointSetAside[] = [];
      const result = await env.bucket.uploadFile(key, path, {
        checkpoint: true,
        routines: 2,
        onCheckpointSetAside: (s) => told.push(s),
      });
      assert.equal(result.resumed, false);
      assert.equal(result.partsUploaded, PARTS);
      assert.notEqual(result.uploadId, stale);
      assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes));
      assert.equal(await exists(cpFile), false);
      assert.equal(told.length, 1, "told once");
      assert.deepEqual(result.checkpointSetAside, told[0]);
      assert.equal(told[0].checkpoint, cpFile);
      assert.match(told[0].reason, /^damaged: /);
      assert.equal(told[0].upload, upload);
      if (upload === "aborted") {
        assert.equal(told[0].uploadId, stale);
        assert.deepEqual(await uploadIdsOf(env.bucket, key), []);
      } else {
        // A checkpoint damaged this far cannot name its upload: it is left alone, and said so.
        assert.deepEqual(await uploadIdsOf(env.bucket, key), [stale]);
        await env.bucket.abortMultipartUpload(key, stale);
      }
    });
  }

  it("drops a torn last record and resumes from the rest", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "torn.bin", SIZE, 4);
    await cancelledRun("torn", path, 3, { routines: 1 });
    const cpFile = `${path}.cp`;
    const cp = new Uint8Array(await readFile(cpFile));
    await writeFile(cpFile, cp.subarray(0, cp.length - 10));
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
      assert.equal(result.checkpointSetAside?.upload, "aborted", "the stale upload is aborted");
      assert.equal(result.checkpointSetAside?.uploadId, stale);
      assert.match(result.checkpointSetAside?.reason ?? "", /^source /);
      await assertUploaded(key, result, now);
    });
  }

  /** A file whose part 2 is edited (16 bytes, away from the sampled windows) after 3 parts went up. */
  async function editedInsidePart2(key: string): Promise<{ path: string; edited: Uint8Array }> {
    const { path, bytes } = await writeTestFile(env.dir, `${key}.bin`, SIZE, 10);
    const time = new Date(1_700_000_000_000); // whole seconds: every runtime reads it back the same
    await utimes(path, time, time);
    await cancelledRun(key, path, 3);
    const edited = bytes.slice();
    edited.set(
      testBytes(16, 77).map((b, i) => b ^ edited[KB100 + 50_000 + i] ^ 0xff),
      KB100 + 50_000,
    );
    await writeFile(path, edited);
    await utimes(path, time, time);
    return { path, edited };
  }

  it("re-hashes the parts an earlier run sent: an edit inside one (size and time kept) is sent again", async () => {
    const { path, edited } = await editedInsidePart2("edited");
    env.server.control.clear();
    const result = await env.bucket.uploadFile("edited", path, { checkpoint: true });
    assert.equal(result.resumed, true);
    assert.equal(result.verified, "full");
    assert.equal(env.server.control.stats().parts[2], 1, "part 2 sent again");
    assert.equal(env.server.control.stats().parts[1], undefined, "part 1 skipped");
    assert.equal(result.bytesResent, KB100, "only the edited part again");
    await assertUploaded("edited", result, edited);
  });

  it('with resumeCheck: "sampled" trusts recorded parts on the sampled check, and says so', async () => {
    const { path } = await editedInsidePart2("edited-sampled");
    const result = await env.bucket.uploadFile("edited-sampled", path, {
      checkpoint: true,
      resumeCheck: "sampled",
    });
    assert.equal(result.resumed, true);
    assert.equal(result.verified, "sampled", "not claimed as verified in full");
    assert.equal(result.bytesResent, 0, "the edit inside part 2 went unseen, as documented");
    await assert.rejects(
      env.bucket.uploadFile("x", path, { resumeCheck: "some" as "full" }),
      (err: unknown) =>
        err instanceof TypeError && /resumeCheck must be "full" or "sampled"/.test(err.message),
    );
  });

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

  // One checkpoint per file, as the Go SDK's: another key's is set aside, and its upload aborted.
  const sharedPlaces: [string, (path: string) => { checkpoint: true | string; cp: string }][] = [
    ["the default <file>.cp", (path) => ({ checkpoint: true, cp: `${path}.cp` })],
    [
      "a path given twice",
      () => ({ checkpoint: join(env.dir, "shared.cp"), cp: join(env.dir, "shared.cp") }),
    ],
  ];
  for (const [i, [place, where]] of sharedPlaces.entries()) {
    it(`never uses a checkpoint for another key found at ${place}; aborts its upload and says so`, async () => {
      const { path, bytes } = await writeTestFile(env.dir, `shared-${i}.bin`, SIZE, 7);
      const { checkpoint, cp } = where(path);
      await cancelledRun(`first-key-${i}`, path, 3, { checkpoint });
      assert.ok(await exists(cp), `the first key's checkpoint is ${cp}`);
      const [firstUpload] = await uploadIdsOf(env.bucket, `first-key-${i}`);
      const told: CheckpointSetAside[] = [];
      const result = await env.bucket.uploadFile(`second-key-${i}`, path, {
        checkpoint,
        onCheckpointSetAside: (s) => told.push(s),
      });
      assert.equal(result.resumed, false);
      assert.equal(result.partsUploaded, PARTS);
      await assertUploaded(`second-key-${i}`, result, bytes);
      // Its checkpoint is overwritten, so nothing could resume it any more: aborted, out loud.
      const expected: CheckpointSetAside = {
        checkpoint: cp,
        reason: "key differs",
        destination: {
          endpoint: env.bucket.endpointHost,
          bucket: env.bucket.name,
          key: `first-key-${i}`,
        },
        uploadId: firstUpload,
        upload: "aborted",
      };
      assert.deepEqual(told, [expected]);
      assert.deepEqual(result.checkpointSetAside, expected);
      assert.deepEqual(await uploadIdsOf(env.bucket, `first-key-${i}`), [], "no orphan left");
      assert.equal(await exists(cp), false);
    });
  }

  it("a disk that fills up mid-upload (ENOSPC, injected) fails with CheckpointIoError; the upload stays resumable", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "full-disk.bin", SIZE, 13);
    // Appends are the store's only synchronous writes: the third one finds the disk full.
    const realWrite = checkpointFs.writeSync;
    let appends = 0;
    checkpointFs.writeSync = ((...args: Parameters<typeof realWrite>) => {
      if (++appends <= 2) return realWrite(...args);
      throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    }) as typeof realWrite;
    try {
      await assert.rejects(
        env.bucket.uploadFile("full-disk", path, { checkpoint: true }),
        (err: unknown) => {
          assert.ok(err instanceof CheckpointIoError, String(err));
          assert.equal(err.systemCode, "ENOSPC");
          assert.match(
            err.message,
            /cannot append to checkpoint .*full-disk\.bin\.cp \(ENOSPC\)/,
          );
          return true;
        },
      );
    } finally {
      checkpointFs.writeSync = realWrite;
    }
    const cp = `${path}.cp`;
    assert.equal(await exists(`${cp}.lock`), false, "lock released");
    const result = await env.bucket.uploadFile("full-disk", path, { checkpoint: true });
    assert.equal(result.resumed, true, "the two parts recorded before the disk filled are kept");
    await assertUploaded("full-disk", result, bytes);
  });

  it("lets one of two concurrent resumers run; the other fails with CheckpointLocked", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "locked.bin", SIZE, 8);
    await cancelledRun("locked", path, 2);
    // The first resumer's parts are held at the server until the second has been refused:
    // it holds the lock all that time, however slow the machine.
    clock.hold();
    env.server.control.add({
      operation: "UploadPart",
      times: 0,
      action: { type: "latency", ms: 30 },
    });
    const first = env.bucket.uploadFile("locked", path, { checkpoint: true });
    await clock.held(1);
    await assert.rejects(
      env.bucket.uploadFile("locked", path, { checkpoint: true }),
      (err: unknown) => err instanceof CheckpointError && err.code === "CheckpointLocked",
    );
    clock.release();
    const result = await first;
    env.server.control.clear();
    assert.equal(result.resumed, true);
    await assertUploaded("locked", result, bytes);
  });

  it("with waitForCheckpoint the second resumer waits for the first, then completes", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "waiting.bin", SIZE, 9);
    await cancelledRun("waiting", path, 2);
    // The first resumer's parts are held at the server until the second has started: the
    // second surely starts while the first holds the lock.
    clock.hold();
    env.server.control.add({
      operation: "UploadPart",
      times: 0,
      action: { type: "latency", ms: 20 },
    });
    let firstDone = false;
    const first = env.bucket.uploadFile("waiting", path, { checkpoint: true })
      .finally(() => (firstDone = true));
    await clock.held(1);
    let secondStartedBeforeFirstEnded = false;
    const second = env.bucket.uploadFile("waiting", path, {
      checkpoint: true,
      waitForCheckpoint: true,
      onProgress: () => void (secondStartedBeforeFirstEnded ||= !firstDone),
    });
    clock.release();
    const [a, b] = await Promise.all([first, second]);
    env.server.control.clear();
    assert.equal(secondStartedBeforeFirstEnded, false, "never interleaved");
    assert.equal(a.resumed, true);
    assert.notEqual(a.uploadId, b.uploadId);
    await assertUploaded("waiting", b, bytes);
  });
});
