// Bun's opt-in slice bodies (openBunFile(path, { sendSlices: true })): parts
// go out as file slices that Bun sends from the file, hashed on the side
// through 1 MiB; the object is byte-identical and its CRC64 confirmed, also
// when a checkpointed upload is cancelled and resumed, and when the server
// receives a corrupted part (the slice is sent again).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AbortError, crc64, MemoryCheckpointStore } from "../mod.ts";
import { openBunFile } from "../lib/bun.ts";
import {
  KB100,
  objectBytes,
  sameBytes,
  type UploadEnv,
  uploadEnv,
  writeTestFile,
} from "./_upload_fixtures.ts";

describe("uploadFile from a Bun file sent by slices", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("bunslices");
  });
  after(async () => {
    await env.close();
  });

  it("uploads parts larger than the 1 MiB hashing buffer byte-identically", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "big.bin", 3 * 1024 * 1024 + 12_345);
    const source = await openBunFile(path, { sendSlices: true });
    try {
      assert.equal(typeof source.slice, "function");
      const result = await env.bucket.uploadFile("big.bin", source, {
        partSize: 1536 * 1024,
        routines: 2,
      });
      assert.equal(result.parts, 3);
      assert.equal(result.crc64, crc64(bytes));
      assert.equal(result.crc64Verified, true);
      assert.ok(sameBytes(await objectBytes(env.bucket, "big.bin"), bytes));
    } finally {
      await source.close();
    }
  });

  it("resumes after a cancel, sending only the missing parts", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "resume.bin", 8 * KB100 + 5);
    const store = new MemoryCheckpointStore();
    const source = await openBunFile(path, { sendSlices: true });
    try {
      const controller = new AbortController();
      await assert.rejects(
        env.bucket.uploadFile("resume.bin", source, {
          checkpoint: store,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.partsDone === 3) controller.abort();
          },
        }),
        AbortError,
      );
      const result = await env.bucket.uploadFile("resume.bin", source, { checkpoint: store });
      assert.equal(result.resumed, true);
      assert.ok(result.partsUploaded <= 6, `sent ${result.partsUploaded} of 9 parts again`);
      assert.ok(sameBytes(await objectBytes(env.bucket, "resume.bin"), bytes));
    } finally {
      await source.close();
    }
  });

  it("sends a part again when the server received it corrupted", async () => {
    const { path, bytes } = await writeTestFile(env.dir, "corrupt.bin", 3 * KB100);
    env.server.control.add({
      operation: "UploadPart",
      nth: 2,
      action: { type: "corrupt", phase: "request" },
    });
    const source = await openBunFile(path, { sendSlices: true });
    try {
      const result = await env.bucket.uploadFile("corrupt.bin", source, {});
      assert.ok(result.bytesResent >= KB100, `resent ${result.bytesResent} bytes`);
      assert.ok(sameBytes(await objectBytes(env.bucket, "corrupt.bin"), bytes));
    } finally {
      env.server.control.clear();
      await source.close();
    }
  });
});
