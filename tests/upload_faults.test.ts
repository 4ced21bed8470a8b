// The upload engine under injected faults: 5xx answers and connection resets
// (retried), parts whose CRC64 the server disagrees with (re-sent, or an
// IntegrityError), a Complete whose answer is lost, a crash between Complete
// and removing the checkpoint, and a source changing during the upload.

import assert from "node:assert/strict";
import { appendFileSync, truncateSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { IntegrityError, OssError, SourceChangedError } from "../mod.ts";
import { collect } from "./_client_setup.ts";
import {
  exists,
  KB100,
  objectBytes,
  sameBytes,
  syntheticBytes,
  syntheticSource,
  type UploadEnv,
  uploadEnv,
  uploadIdsOf,
  writeTestFile,
} from "./_upload_fixtures.ts";

describe("uploadFile under faults", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("faults");
  });
  after(async () => {
    await env.close();
  });

  it("retries 5xx answers and connection resets on chosen requests", async () => {
    const size = 6 * KB100 + 99;
    const { path, bytes } = await writeTestFile(env.dir, "flaky.bin", size, 11);
    const control = env.server.control;
    control.clear();
    const error = (status: number, code: string) => ({ type: "error" as const, status, code });
    control.add({ operation: "InitiateMultipartUpload", action: error(503, "ServiceUnavailable") });
    control.add({
      operation: "UploadPart",
      partNumber: 2,
      times: 2,
      action: error(500, "InternalError"),
    });
    control.add({ operation: "UploadPart", partNumber: 5, action: error(503, "SlowDown") });
    control.add({
      operation: "UploadPart",
      partNumber: 3,
      action: { type: "reset", phase: "request", afterBytes: 1000 },
    });
    control.add({
      operation: "UploadPart",
      partNumber: 4,
      action: { type: "reset", phase: "response" },
    });
    control.add({ operation: "CompleteMultipartUpload", action: error(500, "InternalError") });
    const result = await env.bucket.uploadFile("flaky", path, { routines: 3, checkpoint: true });
    assert.equal(control.stats().injected, 7, "every fault was met");
    control.clear();
    assert.equal(result.crc64Verified, true);
    assert.ok(result.bytesResent >= 3 * KB100, `${result.bytesResent} bytes sent again`);
    assert.ok(sameBytes(await objectBytes(env.bucket, "flaky"), bytes));
    assert.deepEqual(await uploadIdsOf(env.bucket, "flaky"), []);
    assert.equal(await exists(`${path}.cp`), false);
  });

  it("re-sends a part whose CRC64 the server disagrees with, once corrupted", async () => {
    const size = 5 * KB100;
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "UploadPart",
      partNumber: 2,
      action: { type: "corrupt", phase: "request", atByte: 5000 },
    });
    const result = await env.bucket.uploadFile("corrupt-once", syntheticSource(size, { seed: 3 }), {
      routines: 2,
    });
    assert.equal(control.stats().injected, 1);
    assert.equal(control.stats().parts["2"], 2, "part 2 went up twice");
    control.clear();
    assert.equal(result.bytesResent, KB100);
    assert.equal(result.crc64Verified, true);
    assert.ok(sameBytes(await objectBytes(env.bucket, "corrupt-once"), syntheticBytes(size, 3)));
  });

  it("fails with IntegrityError when a part keeps arriving corrupted, leaving no object", async () => {
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "UploadPart",
      partNumber: 3,
      times: 0,
      action: { type: "corrupt", phase: "request" },
    });
    await assert.rejects(
      env.bucket.uploadFile("corrupt-always", syntheticSource(4 * KB100), { routines: 2 }),
      (err: unknown) =>
        err instanceof IntegrityError && err.code === "CrcMismatch" && /part 3/.test(err.message),
    );
    assert.equal(control.stats().parts["3"], 3, "sent three times in all");
    assert.equal(control.stats().requests.CompleteMultipartUpload, undefined, "never completed");
    control.clear();
    await assert.rejects(
      env.bucket.headObject("corrupt-always"),
      (err: unknown) => err instanceof OssError && err.status === 404,
    );
    assert.deepEqual(await uploadIdsOf(env.bucket, "corrupt-always"), [], "aborted");
  });

  it("accepts the object when Complete's answer is lost and its retry finds NoSuchUpload", async () => {
    const size = 3 * KB100 + 5;
    const { path, bytes } = await writeTestFile(env.dir, "lost-answer.bin", size, 12);
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "CompleteMultipartUpload",
      action: { type: "reset", phase: "response" },
    });
    const result = await env.bucket.uploadFile("lost-answer", path, { checkpoint: true });
    assert.ok(control.stats().requests.CompleteMultipartUpload! >= 2, "Complete was retried");
    assert.equal(control.stats().requests.HeadObject, 1, "the object was checked");
    control.clear();
    const head = await env.bucket.headObject("lost-answer");
    assert.equal(result.etag, head.etag.replaceAll('"', ""));
    assert.equal(result.crc64, head.crc64);
    assert.equal(result.crc64Verified, true);
    assert.ok(sameBytes(await objectBytes(env.bucket, "lost-answer"), bytes));
    assert.equal(await exists(`${path}.cp`), false);
  });

  it("recognizes an upload completed by a run that died before removing its checkpoint", async () => {
    const size = 4 * KB100;
    const { path, bytes } = await writeTestFile(env.dir, "completed.bin", size, 13);
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "CompleteMultipartUpload",
      action: { type: "error", status: 403, code: "AccessDenied" },
    });
    await assert.rejects(
      env.bucket.uploadFile("completed", path, { checkpoint: true, routines: 2 }),
      (err: unknown) => err instanceof OssError && err.code === "AccessDenied",
    );
    assert.ok(await exists(`${path}.cp`), "checkpoint kept");
    // What the dead run's Complete would have done.
    const [uploadId] = await uploadIdsOf(env.bucket, "completed");
    const parts = await collect(env.bucket.listParts("completed", uploadId));
    await env.bucket.completeMultipartUpload("completed", uploadId, parts);
    control.clear();
    const result = await env.bucket.uploadFile("completed", path, { checkpoint: true });
    assert.equal(result.resumed, true);
    assert.equal(result.partsUploaded, 0);
    assert.equal(result.uploadId, uploadId);
    assert.equal(control.stats().requests.UploadPart, undefined, "nothing sent again");
    assert.ok(sameBytes(await objectBytes(env.bucket, "completed"), bytes));
    assert.equal(await exists(`${path}.cp`), false);
  });

  it("uploads afresh when the upload is gone and the object is not the checkpoint's", async () => {
    const size = 4 * KB100;
    const { path, bytes } = await writeTestFile(env.dir, "replaced.bin", size, 14);
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "CompleteMultipartUpload",
      action: { type: "error", status: 403, code: "AccessDenied" },
    });
    await assert.rejects(env.bucket.uploadFile("replaced", path, { checkpoint: true }), OssError);
    control.clear();
    const [uploadId] = await uploadIdsOf(env.bucket, "replaced");
    await env.bucket.abortMultipartUpload("replaced", uploadId);
    const other = bytes.slice();
    other[1000] ^= 1;
    await env.bucket.putObject("replaced", other);
    const result = await env.bucket.uploadFile("replaced", path, { checkpoint: true });
    assert.equal(result.resumed, false);
    assert.equal(result.partsUploaded, 4);
    assert.ok(sameBytes(await objectBytes(env.bucket, "replaced"), bytes));
  });

  it('aborts the upload when Complete fails for good and onFailure is "abort"', async () => {
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "CompleteMultipartUpload",
      action: { type: "error", status: 403, code: "AccessDenied" },
    });
    await assert.rejects(
      env.bucket.uploadFile("no-complete", syntheticSource(2 * KB100)),
      OssError,
    );
    control.clear();
    assert.deepEqual(await uploadIdsOf(env.bucket, "no-complete"), []);
  });

  it("fails with SourceChangedError when the file shrinks during the upload", async () => {
    const { path } = await writeTestFile(env.dir, "shrinks.bin", 8 * KB100, 15);
    await assert.rejects(
      env.bucket.uploadFile("shrinks", path, {
        checkpoint: true,
        onProgress: (p) => {
          if (p.partsDone === 1) truncateSync(path, 3 * KB100);
        },
      }),
      (err: unknown) => err instanceof SourceChangedError && err.code === "SourceChanged",
    );
    await assert.rejects(env.bucket.headObject("shrinks"), OssError);
    // The next run sees another size and uploads what is there now, whole.
    const result = await env.bucket.uploadFile("shrinks", path, { checkpoint: true });
    assert.equal(result.resumed, false);
    assert.equal(result.size, 3 * KB100);
    assert.deepEqual(await uploadIdsOf(env.bucket, "shrinks"), []);
  });

  it("fails with SourceChangedError when the file grows during the upload", async () => {
    const { path } = await writeTestFile(env.dir, "grows.bin", 4 * KB100, 16);
    await assert.rejects(
      env.bucket.uploadFile("grows", path, {
        onProgress: (p) => {
          if (p.partsDone === 1) appendFileSync(path, new Uint8Array(10));
        },
      }),
      (err: unknown) => err instanceof SourceChangedError && err.code === "SourceChanged",
    );
    await assert.rejects(env.bucket.headObject("grows"), OssError);
    assert.deepEqual(await uploadIdsOf(env.bucket, "grows"), [], "aborted: no checkpoint");
  });
});
