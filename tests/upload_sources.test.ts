// Sources besides file paths: Blob and File (resumable through any
// CheckpointStore, e.g. in memory), and ReadableStreams of unknown length
// through uploadStream (several parts, empty, shorter than one part).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AbortError,
  crc64,
  IntegrityError,
  MemoryCheckpointStore,
  type UploadProgress,
} from "../mod.ts";
import { testBytes } from "./_test_bytes.ts";
import {
  KB100,
  objectBytes,
  sameBytes,
  type UploadEnv,
  uploadEnv,
  uploadIdsOf,
} from "./_upload_fixtures.ts";

/** A stream of `bytes` in chunks of `chunk` bytes (the last one shorter). */
function chunked(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

describe("uploadFile with Blob and File sources", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("blobs");
  });
  after(async () => {
    await env.close();
  });

  it("uploads a Blob and a File in parts", async () => {
    const bytes = testBytes(5 * KB100 + 17, 31);
    const blob = await env.bucket.uploadFile("blob", new Blob([bytes]), { routines: 2 });
    assert.equal(blob.parts, 6);
    assert.equal(blob.crc64, crc64(bytes));
    assert.equal(blob.crc64Verified, true);
    assert.ok(sameBytes(await objectBytes(env.bucket, "blob"), bytes));
    const file = new File([bytes], "photo.bin", { lastModified: 1_700_000_000_000 });
    const fromFile = await env.bucket.uploadFile("file", file, { routines: 3 });
    assert.equal(fromFile.crc64, crc64(bytes));
    assert.ok(sameBytes(await objectBytes(env.bucket, "file"), bytes));
  });

  it("resumes a Blob within the process through a MemoryCheckpointStore after an abort", async () => {
    const bytes = testBytes(8 * KB100, 32);
    const file = new File([bytes], "resumable.bin", { lastModified: 1_700_000_000_000 });
    const store = new MemoryCheckpointStore();
    const controller = new AbortController();
    let stopped: UploadProgress | undefined;
    await assert.rejects(
      env.bucket.uploadFile("resumable", file, {
        checkpoint: store,
        routines: 2,
        signal: controller.signal,
        onProgress: (p) => {
          stopped = p;
          if (p.partsDone >= 3) controller.abort();
        },
      }),
      (err: unknown) => err instanceof AbortError && err.code === "Aborted",
    );
    const result = await env.bucket.uploadFile("resumable", file, {
      checkpoint: store,
      routines: 2,
    });
    assert.equal(result.resumed, true);
    assert.equal(result.partsUploaded, 8 - stopped!.partsDone);
    assert.equal(result.bytesSent, bytes.length - stopped!.bytesDone);
    assert.ok(sameBytes(await objectBytes(env.bucket, "resumable"), bytes));
    assert.deepEqual(await uploadIdsOf(env.bucket, "resumable"), []);
  });

  it("refuses checkpoint: true for a Blob where no store for it is known", async () => {
    await assert.rejects(
      env.bucket.uploadFile("no-store", new Blob([new Uint8Array(10)]), { checkpoint: true }),
      (err: unknown) => err instanceof TypeError && /CheckpointStore/.test(err.message),
    );
  });
});

describe("uploadStream with streams of unknown length", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("streams");
  });
  after(async () => {
    await env.close();
  });

  it("uploads a stream of several parts, routines at once, CRC64 checked", async () => {
    const bytes = testBytes(3 * KB100 + KB100 / 2, 41);
    const progress: UploadProgress[] = [];
    env.server.control.clear();
    const result = await env.bucket.uploadStream("several", chunked(bytes, 7777), {
      partSize: KB100,
      routines: 3,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.size, bytes.length);
    assert.equal(result.parts, 4);
    assert.equal(result.crc64, crc64(bytes));
    assert.equal(result.crc64Verified, true);
    assert.equal(env.server.control.stats().parts["4"], 1);
    assert.equal(progress.length, 4);
    assert.equal(progress.at(-1)!.bytesDone, bytes.length);
    assert.ok(sameBytes(await objectBytes(env.bucket, "several"), bytes));
    assert.deepEqual(await uploadIdsOf(env.bucket, "several"), []);
  });

  for (const [name, size] of [["empty", 0], ["short", 1000], ["one-part", KB100]] as const) {
    it(`uploads a ${name} stream (${size} bytes)`, async () => {
      const bytes = testBytes(size, 42);
      env.server.control.clear();
      const result = await env.bucket.uploadStream(name, chunked(bytes, 4096), { partSize: KB100 });
      assert.equal(result.size, size);
      assert.equal(result.crc64, crc64(bytes));
      assert.equal(result.crc64Verified, true);
      if (size < KB100) {
        assert.equal(result.parts, 0);
        assert.deepEqual(env.server.control.stats().requests, { PutObject: 1 });
      }
      assert.ok(sameBytes(await objectBytes(env.bucket, name), bytes));
    });
  }

  it("sends a part that arrived corrupted again", async () => {
    const bytes = testBytes(3 * KB100, 46);
    env.server.control.clear();
    env.server.control.add({
      operation: "UploadPart",
      partNumber: 2,
      action: { type: "corrupt", phase: "request", atByte: 777 },
    });
    const result = await env.bucket.uploadStream("corrupt-once", chunked(bytes, 65536), {
      partSize: KB100,
      routines: 2,
    });
    assert.equal(env.server.control.stats().parts["2"], 2);
    env.server.control.clear();
    assert.equal(result.bytesResent, KB100);
    assert.ok(sameBytes(await objectBytes(env.bucket, "corrupt-once"), bytes));
  });

  it("fails with IntegrityError on a part that keeps arriving corrupted, aborting the upload", async () => {
    env.server.control.clear();
    env.server.control.add({
      operation: "UploadPart",
      partNumber: 2,
      times: 0,
      action: { type: "corrupt", phase: "request" },
    });
    await assert.rejects(
      env.bucket.uploadStream("corrupt", chunked(testBytes(3 * KB100, 43), 65536), {
        partSize: KB100,
        routines: 2,
      }),
      (err: unknown) => err instanceof IntegrityError && err.code === "CrcMismatch",
    );
    env.server.control.clear();
    assert.deepEqual(await uploadIdsOf(env.bucket, "corrupt"), []);
    await assert.rejects(env.bucket.headObject("corrupt"));
  });

  it("passes on a stream's error and an abort, aborting the upload", async () => {
    const bytes = testBytes(2 * KB100, 44);
    let sent = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= bytes.length) controller.error(new Error("disk on fire"));
        else controller.enqueue(bytes.slice(sent, sent += 50_000));
      },
    });
    await assert.rejects(
      env.bucket.uploadStream("broken", failing, { partSize: KB100 }),
      /disk on fire/,
    );
    assert.deepEqual(await uploadIdsOf(env.bucket, "broken"), []);

    const controller = new AbortController();
    const endless = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(testBytes(KB100 / 4, 45)),
    });
    await assert.rejects(
      env.bucket.uploadStream("aborted", endless, {
        partSize: KB100,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.partsDone >= 2) controller.abort();
        },
      }),
      (err: unknown) => err instanceof AbortError && err.code === "Aborted",
    );
    assert.deepEqual(await uploadIdsOf(env.bucket, "aborted"), []);
  });
});
