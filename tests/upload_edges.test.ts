// The upload engine at the edges: empty and tiny sources, exact part
// boundaries, both part-size limits, a source that needs the part size
// raised, bad options, progress events and the checkpoint's bytes per part.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AbortError,
  crc64,
  MAX_PART_SIZE,
  MAX_PARTS,
  MemoryCheckpointStore,
  MIN_PART_SIZE,
  partAt,
  planParts,
  type UploadProgress,
} from "../mod.ts";
import { collect } from "./_client_setup.ts";
import {
  countingStore,
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

const GB5 = 5 * 1024 * 1024 * 1024;

describe("planParts", () => {
  it("keeps the part size while 10,000 parts suffice", () => {
    assert.deepEqual(planParts(0, KB100), { partSize: KB100, partSizeRaised: false, partCount: 1 });
    assert.deepEqual(planParts(1, KB100), { partSize: KB100, partSizeRaised: false, partCount: 1 });
    assert.deepEqual(planParts(KB100, KB100).partCount, 1);
    assert.deepEqual(planParts(KB100 + 1, KB100).partCount, 2);
    assert.deepEqual(planParts(MAX_PARTS * KB100, KB100), {
      partSize: KB100,
      partSizeRaised: false,
      partCount: MAX_PARTS,
    });
  });

  it("raises the part size to the smallest 100 KB multiple that fits 10,000 parts", () => {
    const plan = planParts(MAX_PARTS * KB100 + 1, KB100);
    assert.deepEqual(plan, { partSize: 2 * KB100, partSizeRaised: true, partCount: 5001 });
    const tb = 1024 ** 4;
    const big = planParts(tb, 8 * 1024 * 1024);
    assert.equal(big.partSizeRaised, true);
    assert.ok(big.partCount <= MAX_PARTS && big.partSize * big.partCount >= tb);
    assert.ok((big.partSize - KB100) * MAX_PARTS < tb, "not larger than needed by 100 KB or more");
    assert.equal(big.partSize % MIN_PART_SIZE, 0);
    const max = planParts(MAX_PART_SIZE * MAX_PARTS, KB100);
    assert.deepEqual(max, { partSize: MAX_PART_SIZE, partSizeRaised: true, partCount: MAX_PARTS });
  });

  it("rejects what cannot be planned, naming what is allowed", () => {
    assert.throws(() => planParts(MAX_PART_SIZE * MAX_PARTS + 1, KB100), RangeError);
    assert.throws(() => planParts(-1, KB100), RangeError);
    assert.throws(() => planParts(1.5, KB100), RangeError);
    assert.throws(
      () => planParts(MAX_PARTS * KB100 + 1, KB100, { raisePartSize: false }),
      (err: unknown) =>
        err instanceof RangeError && /10000/.test(err.message) && /raisePartSize/.test(err.message),
    );
    for (const bad of [1, KB100 - 1, MAX_PART_SIZE + 1, KB100 + 0.5, NaN]) {
      assert.throws(
        () => planParts(10, bad),
        (err: unknown) =>
          err instanceof RangeError && err.message.includes("102400") &&
          err.message.includes(String(MAX_PART_SIZE)),
        String(bad),
      );
    }
  });

  it("places parts by offset, the last one short", () => {
    assert.deepEqual(partAt(250_000, KB100, 1), { partNumber: 1, offset: 0, size: KB100 });
    assert.deepEqual(partAt(250_000, KB100, 3), { partNumber: 3, offset: 204800, size: 45200 });
  });
});

describe("uploadFile at the edges", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("edges");
  });
  after(async () => {
    await env.close();
  });

  const cases: [string, number, number, number][] = [
    // name, size, part size, routines
    ["empty", 0, KB100, 1],
    ["one-byte", 1, KB100, 1],
    ["one-part", KB100, KB100, 1],
    ["exact-multiple", 4 * KB100, KB100, 2],
    ["ragged", 3 * KB100 + 7, KB100, 3],
    ["max-part-size", 300_000, GB5, 4],
  ];
  for (const [name, size, partSize, routines] of cases) {
    it(`uploads ${name} (${size} bytes, part size ${partSize}, routines ${routines})`, async () => {
      const { path, bytes } = await writeTestFile(env.dir, `${name}.bin`, size, size + 3);
      const progress: UploadProgress[] = [];
      const result = await env.bucket.uploadFile(name, path, {
        partSize,
        routines,
        checkpoint: true,
        onProgress: (p) => progress.push(p),
      });
      const parts = size === 0 ? 0 : Math.ceil(size / partSize);
      assert.equal(result.size, size);
      assert.equal(result.parts, parts);
      assert.equal(result.partSize, partSize);
      assert.equal(result.partSizeRaised, false);
      assert.equal(result.crc64, crc64(bytes));
      assert.equal(result.crc64Verified, true);
      assert.equal(result.resumed, false);
      assert.equal(result.partsUploaded, parts);
      assert.equal(result.bytesSent, size);
      assert.equal(result.bytesResent, 0);
      assert.match(result.etag, /^[0-9A-F]{32}(-\d+)?$/);
      assert.ok(sameBytes(await objectBytes(env.bucket, name), bytes));
      const head = await env.bucket.headObject(name);
      assert.equal(head.size, size);
      assert.equal(head.crc64, crc64(bytes));
      assert.ok(progress.length > 0, "at least one progress event");
      assert.equal(progress.at(-1)!.bytesDone, size);
      assert.equal(progress.at(-1)!.bytesTotal, size);
      assert.deepEqual(await uploadIdsOf(env.bucket, name), [], "no upload left behind");
      assert.equal(
        await env.client.platform.createCheckpointStore!().read(
          `${path}.cp`,
        ),
        null,
      );
    });
  }

  it("rejects bad part sizes and routines before any request, naming what is allowed", async () => {
    const { path } = await writeTestFile(env.dir, "bad-options.bin", 1000);
    const before = env.server.control.stats().requests;
    for (const partSize of [1, KB100 - 1, GB5 + 1, KB100 + 0.5]) {
      await assert.rejects(
        env.bucket.uploadFile("bad", path, { partSize }),
        (err: unknown) =>
          err instanceof RangeError && /partSize/.test(err.message) &&
          err.message.includes("102400") && err.message.includes("5 GB"),
        `partSize ${partSize}`,
      );
    }
    for (const routines of [0, 101, 1.5, -1]) {
      await assert.rejects(
        env.bucket.uploadFile("bad", path, { routines }),
        (err: unknown) =>
          err instanceof RangeError && /routines/.test(err.message) && /1 to 100/.test(err.message),
        `routines ${routines}`,
      );
    }
    await assert.rejects(
      env.bucket.uploadStream("bad", new Blob([new Uint8Array(10)]).stream(), { routines: 0 }),
      RangeError,
    );
    await assert.rejects(
      env.bucket.uploadStream("bad", new Blob([new Uint8Array(10)]).stream(), { partSize: 1 }),
      RangeError,
    );
    assert.deepEqual(env.server.control.stats().requests, before, "no request was sent");
  });

  it("rejects a source that needs more than 10,000 parts when raisePartSize is false", async () => {
    const source = syntheticSource(MAX_PARTS * KB100 + 1);
    const before = env.server.control.stats().requests;
    await assert.rejects(
      env.bucket.uploadFile("too-many", source, { raisePartSize: false }),
      (err: unknown) => err instanceof RangeError && /raisePartSize/.test(err.message),
    );
    assert.deepEqual(env.server.control.stats().requests, before, "no request was sent");
  });

  it("raises the part size of a source that needs more than 10,000 parts", async () => {
    // 1 GB of generated bytes: the plan is checked on the server after the
    // first part, then the upload is cancelled (sending it all would be slow).
    const size = MAX_PARTS * KB100 + 1;
    const source = syntheticSource(size, { seed: 5 });
    const controller = new AbortController();
    const progress: UploadProgress[] = [];
    const store = new MemoryCheckpointStore();
    await assert.rejects(
      env.bucket.uploadFile("raised", source, {
        checkpoint: store,
        checkpointId: "raised",
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p);
          if (p.partsDone >= 1) controller.abort();
        },
      }),
      (err: unknown) => err instanceof AbortError && err.code === "Aborted",
    );
    assert.equal(progress.at(-1)!.partsTotal, 5001);
    assert.equal(progress.at(-1)!.bytesDone, 2 * KB100);
    const [uploadId] = await uploadIdsOf(env.bucket, "raised");
    const parts = await collect(env.bucket.listParts("raised", uploadId));
    assert.equal(parts[0].partNumber, 1);
    assert.equal(parts[0].size, 2 * KB100);
    const text = new TextDecoder().decode((await store.read("raised"))!);
    assert.match(text, /"partSize":204800,"partCount":5001/);
    await env.bucket.abortMultipartUpload("raised", uploadId);
  });

  it("reports progress monotonically up to the size, with the right part count", async () => {
    const size = 23 * KB100 + 11;
    const source = syntheticSource(size, { seed: 2 });
    const progress: UploadProgress[] = [];
    const result = await env.bucket.uploadFile("progress", source, {
      routines: 4,
      onProgress: (p) => progress.push({ ...p }),
    });
    assert.equal(result.parts, 24);
    assert.equal(progress.length, 25, "one at the start, one per part");
    assert.equal(progress[0].bytesDone, 0);
    for (let i = 1; i < progress.length; i++) {
      assert.ok(progress[i].bytesDone > progress[i - 1].bytesDone, `event ${i} grows`);
      assert.equal(progress[i].partsDone, i);
    }
    for (const p of progress) {
      assert.equal(p.partsTotal, 24);
      assert.equal(p.bytesTotal, size);
      assert.equal(p.resumed, false);
      assert.ok(p.bytesPerSecond >= 0 && Number.isFinite(p.bytesPerSecond));
    }
    assert.equal(progress.at(-1)!.bytesDone, size);
    assert.ok(sameBytes(await objectBytes(env.bucket, "progress"), syntheticBytes(size, 2)));
  });

  it("writes at most 256 checkpoint bytes per finished part, appending only", async () => {
    const parts = 100;
    const store = countingStore(new MemoryCheckpointStore());
    const result = await env.bucket.uploadFile("journal", syntheticSource(parts * KB100), {
      routines: 8,
      checkpoint: store,
      checkpointId: "journal-cp",
    });
    assert.equal(result.parts, parts);
    assert.equal(store.writes.length, 2, "two atomic writes: the intent, then the header");
    assert.equal(store.appends.length, parts, "one append per part");
    const perPart = store.appends.reduce((a, b) => a + b, 0) / parts;
    assert.ok(perPart <= 256, `${perPart} bytes per part`);
    assert.equal(await store.read("journal-cp"), null, "removed after Complete");
  });
});
