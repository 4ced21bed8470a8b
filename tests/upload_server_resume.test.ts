// Resuming with no checkpoint (`resume: "server"`): a child is SIGKILLed at 40 %, its
// checkpoint deleted, and the rerun sends only the parts the server lacks; an upload with a
// part whose bytes differ on the server (fault "corrupt"), or an unrelated upload of the
// same key, is not adopted and left alone. Then the cleanup: abortMultipartUploads counts
// and frees what unfinished uploads hold.

import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { Bucket, PartSummary } from "../mod.ts";
import {
  exists,
  KB100,
  objectBytes,
  partsReceived,
  sameBytes,
  startUploadChild,
  type UploadEnv,
  uploadEnv,
  uploadIdsOf,
  writeTestFile,
} from "./_upload_fixtures.ts";
import { collect } from "./_client_setup.ts";
import { testBytes } from "./_test_bytes.ts";
import { GatedClock } from "./_gated_clock.ts";

const PARTS = 20;
const SIZE = PARTS * KB100 - 777;
const ROUTINES = 2;

/** An upload of `key` holding parts `numbers` of `bytes` cut at `partSize`. */
async function uploadWithParts(
  bucket: Bucket,
  key: string,
  bytes: Uint8Array,
  partSize: number,
  numbers: number[],
): Promise<string> {
  const { uploadId } = await bucket.initiateMultipartUpload(key);
  for (const n of numbers) {
    const body = bytes.slice((n - 1) * partSize, Math.min(n * partSize, bytes.length));
    await bucket.uploadPart(key, uploadId, n, body);
  }
  return uploadId;
}

describe('uploadFile resume: "server"', () => {
  let env: UploadEnv;
  const clock = new GatedClock();
  before(async () => {
    env = await uploadEnv("serverresume", { faultClock: clock });
  });
  after(async () => {
    clock.release();
    await env.close();
  });

  it("after a kill at 40 % and the checkpoint deleted, sends only the missing parts", async () => {
    const key = "killed-40";
    const { path, bytes } = await writeTestFile(env.dir, "killed.bin", SIZE, 5);
    const control = env.server.control;
    control.clear();
    clock.hold();
    // From the part after 40 % on, the server holds the child's parts until it is dead.
    const at = (PARTS * 2) / 5;
    control.add({
      operation: "UploadPart",
      nth: at + 1,
      times: 0,
      action: { type: "latency", ms: 0 },
    });
    const run = startUploadChild(env, { key, path, partSize: KB100, routines: ROUTINES });
    await Promise.race([run.exit, control.when((s) => partsReceived(s) >= at)]);
    assert.equal(run.exited(), false, `the child ended before it was killed:\n${run.output()}`);
    run.child.kill("SIGKILL");
    assert.equal(await run.exit, "SIGKILL");
    clock.release();
    await env.server.dropConnections();
    await rm(`${path}.cp`);
    await rm(`${path}.cp.lock`, { recursive: true, force: true });
    control.clear();

    const [uploadId] = await uploadIdsOf(env.bucket, key);
    const onServer: PartSummary[] = await collect(env.bucket.listParts(key, uploadId));
    assert.ok(onServer.length >= at, `${onServer.length} parts on the server`);
    const have = onServer.reduce((n, p) => n + p.size, 0);

    const result = await env.bucket.uploadFile(key, path, {
      partSize: KB100,
      routines: ROUTINES,
      resume: "server",
    });
    assert.equal(result.resumed, true);
    assert.equal(result.resumedFrom, "server");
    assert.equal(result.uploadId, uploadId);
    assert.equal(result.partsUploaded, PARTS - onServer.length);
    assert.equal(result.bytesSent, SIZE - have, "only the missing parts were sent");
    assert.equal(control.stats().partBytes, SIZE - have);
    assert.equal(result.crc64Verified, true);
    assert.equal(result.verified, "full");
    assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes), "byte-identical");
    assert.deepEqual(await uploadIdsOf(env.bucket, key), []);
    assert.equal(await exists(`${path}.cp`), false);
  });

  it("does not adopt an upload with a part whose bytes differ on the server (fault corrupt)", async () => {
    const key = "corrupted";
    const { path, bytes } = await writeTestFile(env.dir, "corrupted.bin", 5 * KB100, 6);
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "UploadPart",
      key,
      partNumber: 2,
      action: { type: "corrupt", phase: "request", atByte: 1000 },
    });
    const stale = await uploadWithParts(env.bucket, key, bytes, KB100, [1, 2, 3]);
    control.clear();

    const result = await env.bucket.uploadFile(key, path, { partSize: KB100, resume: "server" });
    assert.equal(result.resumed, false);
    assert.notEqual(result.uploadId, stale);
    assert.deepEqual(result.serverUploadsNotAdopted, [
      { uploadId: stale, reason: "part 2 holds other bytes than the file's (CRC64 differs)" },
    ]);
    assert.equal(result.partsUploaded, 5, "part 2 (and every other) sent again");
    assert.equal(control.stats().parts["2"], 1);
    assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes), "byte-identical");
    // Not provably ours: left for the owner (or abortMultipartUploads).
    assert.deepEqual(await uploadIdsOf(env.bucket, key), [stale]);
    await env.bucket.abortMultipartUpload(key, stale);
  });

  it("adopts its own upload, never an unrelated one of the same key", async () => {
    const key = "shared-key";
    const { path, bytes } = await writeTestFile(env.dir, "shared.bin", 4 * KB100 + 10, 7);
    const other = testBytes(4 * KB100 + 10, 8);
    const unrelated = await uploadWithParts(env.bucket, key, other, KB100, [1, 2]);
    const otherPartSize = await uploadWithParts(env.bucket, key, bytes, 2 * KB100, [1]);
    const ours = await uploadWithParts(env.bucket, key, bytes, KB100, [1, 3]);
    env.server.control.clear();

    const result = await env.bucket.uploadFile(key, path, { partSize: KB100, resume: "server" });
    assert.equal(result.resumedFrom, "server");
    assert.equal(result.uploadId, ours);
    assert.equal(result.partsUploaded, 3);
    assert.deepEqual(
      Object.keys(env.server.control.stats().parts).sort(),
      ["2", "4", "5"],
      "parts 1 and 3 were not sent",
    );
    assert.deepEqual(
      new Map(result.serverUploadsNotAdopted!.map((u) => [u.uploadId, u.reason])),
      new Map([
        [unrelated, "part 1 holds other bytes than the file's (CRC64 differs)"],
        [otherPartSize, `part 1 has ${2 * KB100} bytes where this upload plans ${KB100}`],
      ]),
    );
    assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes), "byte-identical");
    assert.deepEqual(
      (await uploadIdsOf(env.bucket, key)).sort(),
      [unrelated, otherPartSize].sort(),
    );
  });

  it("keeps the parts for a later run when it fails without a checkpoint", async () => {
    const key = "kept";
    const { path } = await writeTestFile(env.dir, "kept.bin", 3 * KB100, 9);
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "UploadPart",
      partNumber: 3,
      times: 0,
      action: { type: "error", status: 403, code: "AccessDenied" },
    });
    await assert.rejects(
      env.bucket.uploadFile(key, path, { partSize: KB100, resume: "server" }),
      /AccessDenied/,
    );
    control.clear();
    assert.equal((await uploadIdsOf(env.bucket, key)).length, 1);
    const result = await env.bucket.uploadFile(key, path, { partSize: KB100, resume: "server" });
    assert.equal(result.resumedFrom, "server");
    assert.equal(result.partsUploaded, 1);
  });

  it("refuses an unknown resume mode", async () => {
    await assert.rejects(
      // @ts-expect-error: not a mode
      env.bucket.uploadFile("x", new Blob(["x"]), { resume: "guess" }),
      /resume must be "checkpoint" or "server"; got "guess"/,
    );
  });
});

describe("abortMultipartUploads", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("cleanup");
  });
  after(() => env.close());

  it("aborts the uploads under a prefix and reports the uploads and bytes freed", async () => {
    const bytes = testBytes(3 * KB100, 2);
    const a = await uploadWithParts(env.bucket, "tmp/a", bytes, KB100, [1, 2, 3]);
    const b = await uploadWithParts(env.bucket, "tmp/b", bytes, KB100, [2]);
    const c = await uploadWithParts(env.bucket, "tmp/c", bytes, KB100, []);
    const kept = await uploadWithParts(env.bucket, "keep/d", bytes, KB100, [1]);

    const none = await env.bucket.abortMultipartUploads({ prefix: "tmp/", olderThan: new Date(0) });
    assert.deepEqual(none, { uploadsAborted: 0, bytesFreed: 0, uploads: [] });

    const r = await env.bucket.abortMultipartUploads({
      prefix: "tmp/",
      olderThan: new Date(Date.now() + 60_000),
    });
    assert.equal(r.uploadsAborted, 3);
    assert.equal(r.bytesFreed, 4 * KB100);
    assert.deepEqual(
      r.uploads.map((u) => [u.key, u.uploadId, u.parts, u.bytes]),
      [["tmp/a", a, 3, 3 * KB100], ["tmp/b", b, 1, KB100], ["tmp/c", c, 0, 0]],
    );
    const left = await collect(env.bucket.listMultipartUploads());
    assert.deepEqual(left.map((u) => u.uploadId), [kept]);
    const all = await env.bucket.abortMultipartUploads();
    assert.equal(all.uploadsAborted, 1);
    assert.equal(all.bytesFreed, KB100);
  });

  it("refuses a cutoff that is no date or age", async () => {
    await assert.rejects(
      env.bucket.abortMultipartUploads({ olderThan: -5 }),
      /olderThan must be a Date or an age in milliseconds ≥ 0; got -5/,
    );
    await assert.rejects(
      env.bucket.abortMultipartUploads({ olderThan: new Date("nope") }),
      RangeError,
    );
  });
});
