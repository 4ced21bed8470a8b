// Uploads started but never recorded are found and aborted: an
// InitiateMultipartUpload whose answer was lost and that was retried, and a
// run SIGKILLed between Initiate and writing the upload ID to its checkpoint.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { type FileSource, MemoryCheckpointStore, OssClient } from "../mod.ts";
import { GatedClock } from "./_gated_clock.ts";
import {
  clientOptions,
  exists,
  KB100,
  objectBytes,
  sameBytes,
  startUploadChild,
  type UploadEnv,
  uploadEnv,
  uploadIdsOf,
  writeTestFile,
} from "./_upload_fixtures.ts";

const SIZE = 3 * KB100 + 77;

describe("stray multipart uploads", () => {
  let env: UploadEnv;
  // Holds a fault's wait until the test releases it: see the SIGKILL test.
  const clock = new GatedClock();
  before(async () => {
    env = await uploadEnv("strays", { faultClock: clock });
  });
  after(async () => {
    clock.release();
    await env.close();
  });

  for (const checkpoint of [true, false]) {
    it(`aborts the upload a lost and retried InitiateMultipartUpload made (checkpoint: ${checkpoint})`, async () => {
      const key = `retried-initiate-${checkpoint}`;
      const { path, bytes } = await writeTestFile(env.dir, `${key}.bin`, SIZE, 31);
      const control = env.server.control;
      control.clear();
      // The server makes the upload, then the answer is lost; the client asks again.
      control.add({
        operation: "InitiateMultipartUpload",
        key,
        action: { type: "reset", phase: "response" },
      });
      const result = await env.bucket.uploadFile(key, path, { checkpoint });
      assert.equal(control.stats().requests.InitiateMultipartUpload, 2, "Initiate was retried");
      control.clear();
      assert.equal(result.strayUploadsAborted?.length, 1, "the first upload is the stray");
      assert.notEqual(result.strayUploadsAborted![0], result.uploadId);
      assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes));
      assert.deepEqual(await uploadIdsOf(env.bucket, key), [], "no upload left behind");
    });
  }

  it("aborts the upload a lost and retried Initiate made for a stream too", async () => {
    const key = "retried-initiate-stream";
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "InitiateMultipartUpload",
      key,
      action: { type: "reset", phase: "response" },
    });
    const bytes = new Uint8Array(SIZE).map((_, i) => i * 7);
    const result = await env.bucket.uploadStream(key, new Blob([bytes]).stream(), {
      partSize: KB100,
    });
    assert.equal(control.stats().requests.InitiateMultipartUpload, 2, "Initiate was retried");
    control.clear();
    assert.equal(result.strayUploadsAborted?.length, 1);
    assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes));
    assert.deepEqual(await uploadIdsOf(env.bucket, key), []);
  });

  it("leaves alone an upload of the same key that holds parts", async () => {
    const key = "someone-elses";
    const { path, bytes } = await writeTestFile(env.dir, `${key}.bin`, SIZE, 32);
    const theirs = await env.bucket.initiateMultipartUpload(key);
    await env.bucket.uploadPart(key, theirs.uploadId, 1, new Uint8Array(KB100));
    const result = await env.bucket.uploadFile(key, path, { checkpoint: true });
    assert.equal(result.strayUploadsAborted, undefined);
    assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes));
    assert.deepEqual(await uploadIdsOf(env.bucket, key), [theirs.uploadId]);
    await env.bucket.abortMultipartUpload(key, theirs.uploadId);
  });

  it("aborts the upload of a run SIGKILLed between Initiate and writing its upload ID", async () => {
    const key = "killed-initiating";
    const { path, bytes } = await writeTestFile(env.dir, `${key}.bin`, SIZE, 33);
    const control = env.server.control;
    control.clear();
    // The server makes the upload, but its answer is held (a bandwidth cap whose first wait
    // never ends until released): the child waits for it, killable.
    clock.hold();
    const crawl = control.add({
      operation: "InitiateMultipartUpload",
      key,
      action: { type: "bandwidth", phase: "response", bytesPerSecond: 1 },
    });
    const run = startUploadChild(env, { key, path, partSize: KB100, routines: 1 });
    // The cap's first wait comes once the operation has run: the upload exists.
    await Promise.race([clock.held(1), run.exit]);
    assert.equal(run.exited(), false, `the child ended before it was killed:\n${run.output()}`);
    const [stray] = await uploadIdsOf(env.bucket, key);
    assert.ok(stray !== undefined, "the server made the child's upload");
    run.child.kill("SIGKILL");
    assert.equal(await run.exit, "SIGKILL");
    control.remove(crawl);
    clock.release();
    const cp = `${path}.cp`;
    assert.match(await readFile(cp, "utf8"), /"uploadId":""/, "the child left its intent");

    const result = await env.bucket.uploadFile(key, path, { checkpoint: true });
    assert.equal(result.resumed, false);
    assert.deepEqual(result.strayUploadsAborted, [stray]);
    assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes));
    assert.deepEqual(await uploadIdsOf(env.bucket, key), [], "no upload left behind");
    assert.equal(await exists(cp), false);
  });

  it("looks for strays while the parts go, not before them (a round trip saved far away)", async () => {
    // The ListMultipartUploads of the stray look is held until a part is on its way: an engine
    // that waited for the look before its parts would never finish (and the test would time out).
    const events: string[] = [];
    let partIssued!: () => void;
    const firstPart = new Promise<void>((resolve) => partIssued = resolve);
    const gated: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const method = init?.method ?? "GET";
      if (method === "PUT" && url.searchParams.has("partNumber")) {
        events.push("part");
        partIssued();
      }
      const listing = method === "GET" && url.searchParams.has("uploads");
      if (listing) await firstPart;
      const response = await globalThis.fetch(input, init);
      if (listing) events.push("listed");
      return response;
    };
    const client = new OssClient(clientOptions(env.server, { fetch: gated }));
    const bucket = client.bucket(env.bucketName);
    const { path, bytes } = await writeTestFile(env.dir, "overlap.bin", SIZE, 41);
    for (const checkpoint of [true, false]) {
      events.length = 0;
      const key = `overlap-${checkpoint}`;
      const result = await bucket.uploadFile(key, path, { checkpoint, routines: 1 });
      assert.equal(events[0], "part", `${events}`);
      assert.ok(events.includes("listed"), "the look ran");
      assert.equal(result.strayUploadsAborted, undefined);
      assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes));
    }
    events.length = 0;
    const streamed = await bucket.uploadStream("overlap-stream", new Blob([bytes]).stream(), {
      partSize: KB100,
    });
    assert.equal(events[0], "part", `${events}`);
    assert.ok(events.includes("listed"));
    assert.equal(streamed.strayUploadsAborted, undefined);
  });

  it("hands a part that is ready to the transport before it signs the look for strays", async () => {
    // A source whose reads are done at once: the first part is ready when Initiate answers,
    // and its request must be the first one made then (the look costs a cold process 2–4 ms).
    const bytes = new Uint8Array(SIZE).map((_, i) => (i * 13) & 0xff);
    const source: FileSource = {
      name: "in-memory",
      size: bytes.length,
      lastModified: 0,
      stream: (offset, length) => new Blob([bytes.subarray(offset, offset + length)]).stream(),
      readInto(offset, target) {
        const read = bytes.subarray(offset, offset + target.length);
        target.set(read);
        return Promise.resolve(read.length);
      },
      stat: () => Promise.resolve({ size: bytes.length, lastModified: 0 }),
      close: () => Promise.resolve(),
    };
    const calls: string[] = [];
    const recording: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const method = init?.method ?? "GET";
      if (method === "PUT" && url.searchParams.has("partNumber")) {
        calls.push(`part ${url.searchParams.get("partNumber")}`);
      }
      if (method === "GET" && url.searchParams.has("uploads")) calls.push("list");
      return globalThis.fetch(input, init);
    };
    const client = new OssClient(clientOptions(env.server, { fetch: recording }));
    const bucket = client.bucket(env.bucketName);
    for (const checkpoint of [false, new MemoryCheckpointStore()]) {
      calls.length = 0;
      const key = `ready-part-first-${checkpoint !== false}`;
      await bucket.uploadFile(key, source, {
        partSize: KB100,
        routines: 1,
        checkpoint,
        checkpointId: key,
      });
      assert.equal(calls[0], "part 1", `${calls}`);
      assert.ok(calls.includes("list"), "the look ran");
      assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes));
    }
  });
});
