// bucket.copyFile against the local server: one CopyObject below the limit, UploadPartCopy
// parts above it (a small limit stands in for OSS's 1 GiB); the copy byte-identical with the
// source's CRC64; metadata kept or replaced; a source replaced mid-copy fails cleanly with
// its upload aborted; a source replaced between runs starts over; a child SIGKILLed
// mid-copy resumes copying at most `routines` parts again; a CRC64 that does not match is an
// IntegrityError and the copy is deleted; bad options fail before any request.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import {
  type Bucket,
  IntegrityError,
  MemoryCheckpointStore,
  ObjectExistsError,
  OssClient,
  SourceChangedError,
} from "../mod.ts";
import {
  clientOptions,
  exists,
  KB100,
  objectBytes,
  ROOT,
  sameBytes,
  type UploadEnv,
  uploadEnv,
  uploadIdsOf,
} from "./_upload_fixtures.ts";
import { runtimeCommand } from "./_runtime_command.ts";
import { spawn } from "node:child_process";
import { testBytes } from "./_test_bytes.ts";
import { crc64 } from "../lib/crc64/crc64.ts";
import { GatedClock } from "./_gated_clock.ts";

const SOURCE_BUCKET = "copy-source";
const LIMIT = 4 * KB100; // stands in for OSS's 1 GiB
const PARTS = 12;
const BIG = PARTS * KB100 - 777;
const COPY_METHODS = [
  ["below the CopyObject limit", LIMIT, "CopyObject"],
  ["above the CopyObject limit", BIG, "UploadPartCopy"],
] as const;

describe("bucket.copyFile", () => {
  let env: UploadEnv;
  let source: Bucket;
  const clock = new GatedClock();
  before(async () => {
    env = await uploadEnv("copy-dest", { faultClock: clock });
    await env.client.createBucket(SOURCE_BUCKET);
    source = env.client.bucket(SOURCE_BUCKET);
  });
  after(async () => {
    clock.release();
    await env.close();
  });

  async function putSource(key: string, size: number, seed: number) {
    const bytes = testBytes(size, seed);
    await source.putObject(key, bytes, {
      contentType: "image/x-test",
      meta: { origin: "seed-" + seed },
      headers: { "cache-control": "max-age=60", "content-disposition": "inline" },
    });
    return bytes;
  }

  /**
   * Copies source `key` to `dst/<key>` with a checkpoint in memory, failing for good from
   * UploadPartCopy `nth` on; the parts before it are recorded.
   */
  async function failCopyAt(nth: number, key: string) {
    const store = new MemoryCheckpointStore();
    const control = env.server.control;
    control.clear();
    control.add({
      operation: "UploadPartCopy",
      nth,
      times: 0,
      action: { type: "error", status: 403, code: "AccessDenied" },
    });
    const options = {
      copyObjectLimit: LIMIT,
      partSize: KB100,
      checkpoint: store,
      checkpointId: key,
    };
    await assert.rejects(env.bucket.copyFile(SOURCE_BUCKET, key, `dst/${key}`, options), {
      code: "AccessDenied",
    });
    control.clear();
    return { store, options };
  }

  for (
    const [name, size, method] of [
      ["below the CopyObject limit", LIMIT, "CopyObject"],
      ["above the CopyObject limit", BIG, "UploadPartCopy"],
    ] as const
  ) {
    it(`copies an object ${name} with ${method}, CRC64 equal, metadata kept`, async () => {
      const bytes = await putSource(`kept-${method}`, size, 3);
      const progress: number[] = [];
      const result = await env.bucket.copyFile(SOURCE_BUCKET, `kept-${method}`, `dst/${method}`, {
        copyObjectLimit: LIMIT,
        partSize: KB100,
        routines: 3,
        onProgress: (p) => progress.push(p.bytesDone),
      });
      assert.equal(result.method, method);
      assert.equal(result.size, size);
      assert.equal(result.crc64, crc64(bytes));
      assert.equal(result.crc64Verified, true);
      assert.equal(result.parts, method === "CopyObject" ? 0 : PARTS);
      assert.equal(progress.at(-1), size);
      assert.ok(sameBytes(await objectBytes(env.bucket, `dst/${method}`), bytes));
      const head = await env.bucket.headObject(`dst/${method}`);
      assert.equal(head.crc64, crc64(bytes));
      assert.equal(head.contentType, "image/x-test");
      assert.deepEqual(head.meta, { origin: "seed-3" });
      assert.equal(head.headers.get("cache-control"), "max-age=60");
      assert.equal(head.headers.get("content-disposition"), "inline");
      assert.deepEqual(await uploadIdsOf(env.bucket, `dst/${method}`), []);
    });

    it(`replaces the metadata ${name} with metadataDirective REPLACE`, async () => {
      await putSource(`replaced-${method}`, size, 4);
      await env.bucket.copyFile(SOURCE_BUCKET, `replaced-${method}`, `dst/r-${method}`, {
        copyObjectLimit: LIMIT,
        partSize: KB100,
        metadataDirective: "REPLACE",
        contentType: "text/plain",
        meta: { fresh: "yes" },
      });
      const head = await env.bucket.headObject(`dst/r-${method}`);
      assert.equal(head.contentType, "text/plain");
      assert.deepEqual(head.meta, { fresh: "yes" });
      assert.equal(head.headers.get("cache-control"), null);
    });
  }

  for (const [name, size, method] of COPY_METHODS) {
    it(`gives the copy the object settings asked for (${method}), each as OSS takes it`, async () => {
      await putSource(`settings-${method}`, size, 15);
      await source.copyObject(SOURCE_BUCKET, `settings-${method}`, `settings-${method}`, {
        metadataDirective: "REPLACE",
        contentType: "image/x-test",
        tagging: { from: "source" },
      });
      const result = await env.bucket.copyFile(
        SOURCE_BUCKET,
        `settings-${method}`,
        `dst/settings-${method}`,
        {
          copyObjectLimit: LIMIT,
          partSize: KB100,
          acl: "public-read",
          storageClass: "IA",
          serverSideEncryption: "AES256",
          tagging: { copy: "yes" },
          trafficLimit: 100 * 1024 * 1024 * 8,
        },
      );
      assert.equal(result.method, method, name);
      const head = await env.bucket.headObject(`dst/settings-${method}`);
      assert.equal(head.storageClass, "IA");
      assert.equal(head.headers.get("x-oss-server-side-encryption"), "AES256");
      assert.equal(head.contentType, "image/x-test", "metadata still the source's");
      assert.deepEqual(await env.bucket.getObjectTagging(`dst/settings-${method}`), {
        copy: "yes",
      });
      const stored = await env.server.storage.getObject(env.bucketName, `dst/settings-${method}`);
      assert.equal(stored.meta.acl, "public-read");

      // No tags of its own: the source's are carried over, as CopyObject does.
      await env.bucket.copyFile(SOURCE_BUCKET, `settings-${method}`, `dst/tags-${method}`, {
        copyObjectLimit: LIMIT,
        partSize: KB100,
      });
      assert.deepEqual(await env.bucket.getObjectTagging(`dst/tags-${method}`), {
        from: "source",
      });
    });

    it(`refuses to overwrite with forbidOverwrite (${method}); nothing is left`, async () => {
      await putSource(`exists-${method}`, size, 16);
      await env.bucket.putObject(`dst/exists-${method}`, "already here");
      await assert.rejects(
        env.bucket.copyFile(SOURCE_BUCKET, `exists-${method}`, `dst/exists-${method}`, {
          copyObjectLimit: LIMIT,
          partSize: KB100,
          forbidOverwrite: true,
        }),
        (err) => err instanceof ObjectExistsError,
      );
      assert.equal(
        await (await env.bucket.getObject(`dst/exists-${method}`)).text(),
        "already here",
      );
      assert.deepEqual(await uploadIdsOf(env.bucket, `dst/exists-${method}`), []);
    });
  }

  it("copies within one bucket, and onto itself", async () => {
    const bytes = await putSource("self", BIG, 5);
    const a = await source.copyFile(SOURCE_BUCKET, "self", "self-copy", {
      copyObjectLimit: LIMIT,
      partSize: 2 * KB100,
      routines: 2,
    });
    assert.equal(a.crc64, crc64(bytes));
    const b = await source.copyFile(SOURCE_BUCKET, "self", "self", {
      metadataDirective: "REPLACE",
      contentType: "application/x-self",
    });
    assert.equal(b.method, "CopyObject");
    assert.equal((await source.headObject("self")).contentType, "application/x-self");
    assert.ok(sameBytes(await objectBytes(source, "self"), bytes));
  });

  it("fails with SourceChangedError when the source is replaced mid-copy; nothing is left", async () => {
    await putSource("changing", BIG, 6);
    const store = new MemoryCheckpointStore();
    const control = env.server.control;
    control.clear();
    clock.hold();
    // Part 3 is held at the server until the source has been replaced.
    control.add({ operation: "UploadPartCopy", nth: 3, action: { type: "latency", ms: 0 } });
    const copying = env.bucket.copyFile(SOURCE_BUCKET, "changing", "dst/changing", {
      copyObjectLimit: LIMIT,
      partSize: KB100,
      checkpoint: store,
      checkpointId: "changing",
    });
    const outcome = copying.then(() => undefined, (err) => err);
    await clock.held(1);
    await putSource("changing", BIG, 7);
    clock.release();
    const err = await outcome;
    control.clear();
    assert.ok(err instanceof SourceChangedError, String(err));
    assert.match(err.message, /oss:\/\/copy-source\/changing changed during the copy/);
    assert.deepEqual(await uploadIdsOf(env.bucket, "dst/changing"), [], "upload aborted");
    assert.equal(await store.read("changing"), null, "checkpoint removed");
    await assert.rejects(env.bucket.headObject("dst/changing"), { status: 404 });
  });

  it("starts over when the source was replaced between runs", async () => {
    await putSource("between", BIG, 8);
    const { options } = await failCopyAt(4, "between");
    const [kept] = await uploadIdsOf(env.bucket, "dst/between");
    assert.ok(kept, "a failed copy with a checkpoint keeps its upload for a resume");
    const bytes = await putSource("between", BIG, 9);
    const result = await env.bucket.copyFile(SOURCE_BUCKET, "between", "dst/between", options);
    assert.equal(result.resumed, false);
    assert.equal(result.checkpointSetAside?.upload, "aborted");
    assert.equal(result.checkpointSetAside?.uploadId, kept);
    assert.match(result.checkpointSetAside?.reason ?? "", /source/);
    assert.ok(sameBytes(await objectBytes(env.bucket, "dst/between"), bytes));
    assert.deepEqual(await uploadIdsOf(env.bucket, "dst/between"), []);
  });

  it("resumes a failed copy, copying only the missing parts", async () => {
    const bytes = await putSource("resumed", BIG, 10);
    const { store, options } = await failCopyAt(6, "resumed");
    const control = env.server.control;
    const result = await env.bucket.copyFile(SOURCE_BUCKET, "resumed", "dst/resumed", options);
    assert.equal(result.resumed, true);
    assert.equal(result.partsCopied, PARTS - 5);
    assert.equal(control.stats().requests.UploadPartCopy, PARTS - 5);
    assert.ok(sameBytes(await objectBytes(env.bucket, "dst/resumed"), bytes));
    assert.equal(await store.read("resumed"), null);
  });

  it("aborts its upload when stopped through its signal with onFailure abort", async () => {
    await putSource("stopped", BIG, 11);
    const control = env.server.control;
    control.clear();
    clock.hold();
    control.add({ operation: "UploadPartCopy", nth: 2, action: { type: "latency", ms: 0 } });
    const stop = new AbortController();
    const copying = env.bucket.copyFile(SOURCE_BUCKET, "stopped", "dst/stopped", {
      copyObjectLimit: LIMIT,
      partSize: KB100,
      signal: stop.signal,
    }).then(() => undefined, (err) => err);
    await clock.held(1);
    stop.abort();
    const err = await copying;
    clock.release();
    await env.server.idle();
    control.clear();
    assert.equal(err?.name, "AbortError", String(err));
    assert.deepEqual(await uploadIdsOf(env.bucket, "dst/stopped"), []);
  });

  it("resumes after the copying process is SIGKILLed, copying at most routines parts again", async () => {
    const bytes = await putSource("killed", BIG, 12);
    const checkpoint = join(env.dir, "killed-copy.cp");
    const routines = 3;
    const control = env.server.control;
    control.clear();
    clock.hold();
    const heldFrom = 5;
    control.add({
      operation: "UploadPartCopy",
      nth: heldFrom,
      times: 0,
      action: { type: "latency", ms: 0 },
    });
    const args = {
      endpoint: env.server.url,
      region: env.server.region,
      accessKeyId: env.server.accessKeyId,
      accessKeySecret: env.server.accessKeySecret,
      bucket: env.bucketName,
      sourceBucket: SOURCE_BUCKET,
      sourceKey: "killed",
      key: "dst/killed",
      checkpoint,
      partSize: KB100,
      routines,
      copyObjectLimit: LIMIT,
    };
    const [command, argv] = runtimeCommand(join(ROOT, "tests", "_copy_child.ts"), [
      JSON.stringify(args),
    ]);
    const child = spawn(command, argv, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    let exited = false;
    const exit = new Promise<string | null>((resolve) =>
      child.on("exit", (_c, signal) => {
        exited = true;
        resolve(signal);
      })
    );
    // Every routine is held at the server: parts 1..heldFrom-1 are recorded.
    await Promise.race([exit, clock.held(routines)]);
    assert.equal(exited, false, `the child ended before it was killed:\n${output}`);
    child.kill("SIGKILL");
    assert.equal(await exit, "SIGKILL");
    assert.ok(!/^done/m.test(output));
    assert.ok(await exists(checkpoint), "the child left its checkpoint");
    clock.release();
    await env.server.dropConnections();
    const copiedBefore = control.stats().requests.UploadPartCopy ?? 0;
    control.clear();

    const result = await env.bucket.copyFile(SOURCE_BUCKET, "killed", "dst/killed", {
      partSize: KB100,
      routines,
      copyObjectLimit: LIMIT,
      checkpoint,
    });
    assert.equal(result.resumed, true);
    assert.equal(result.crc64Verified, true);
    assert.equal(result.crc64, crc64(bytes));
    const copiedAfter = control.stats().requests.UploadPartCopy ?? 0;
    assert.equal(result.partsCopied, copiedAfter);
    assert.ok(
      copiedBefore + copiedAfter - PARTS <= routines,
      `${copiedBefore + copiedAfter - PARTS} parts copied again`,
    );
    assert.ok(sameBytes(await objectBytes(env.bucket, "dst/killed"), bytes));
    assert.equal(await exists(checkpoint), false, "checkpoint deleted");
    assert.deepEqual(await uploadIdsOf(env.bucket, "dst/killed"), []);
  });

  for (const [name, size] of [["CopyObject", LIMIT], ["UploadPartCopy", BIG]] as const) {
    it(`a copy whose CRC64 differs from the source's is an IntegrityError and is deleted (${name})`, async () => {
      await putSource(`bad-crc-${name}`, size, 13);
      // The answers' CRC64 are rewritten on their way to the client.
      const lying = new OssClient(clientOptions(env.server, {
        fetch: async (input, init) => {
          const res = await fetch(input, init);
          if (!res.headers.has("x-oss-hash-crc64ecma")) return res;
          if (!/[?&](uploadId=)/.test(String(input)) && init?.method !== "PUT") return res;
          if (/partNumber=/.test(String(input))) return res;
          const headers = new Headers(res.headers);
          headers.set("x-oss-hash-crc64ecma", "12345");
          return new Response(res.body, { status: res.status, headers });
        },
      }));
      await assert.rejects(
        lying.bucket(env.bucketName).copyFile(SOURCE_BUCKET, `bad-crc-${name}`, `dst/bad-${name}`, {
          copyObjectLimit: LIMIT,
          partSize: KB100,
        }),
        (err) => err instanceof IntegrityError && /12345/.test(err.message),
      );
      await assert.rejects(env.bucket.headObject(`dst/bad-${name}`), { status: 404 });
      assert.deepEqual(await uploadIdsOf(env.bucket, `dst/bad-${name}`), []);
    });
  }

  it("refuses bad options before sending anything", async () => {
    await putSource("opts", BIG, 14);
    const control = env.server.control;
    control.clear();
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      env.bucket.copyFile(SOURCE_BUCKET, "opts", "x", { metadataDirective: "MOVE" as any }),
      { name: "TypeError", message: /metadataDirective must be "COPY" or "REPLACE"; got "MOVE"/ },
    );
    await assert.rejects(
      env.bucket.copyFile(SOURCE_BUCKET, "opts", "x", { copyObjectLimit: -1 }),
      { name: "RangeError", message: /copyObjectLimit/ },
    );
    await assert.rejects(
      env.bucket.copyFile(SOURCE_BUCKET, "opts", "x", { routines: 0 }),
      { name: "RangeError", message: /routines/ },
    );
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      env.bucket.copyFile(SOURCE_BUCKET, "opts", "x", { storageClass: "Cold" as any }),
      { name: "TypeError", message: /storageClass must be one of "Standard"/ },
    );
    await assert.rejects(
      env.bucket.copyFile(SOURCE_BUCKET, "opts", "x", {
        // deno-lint-ignore no-explicit-any
        callback: { url: "http://127.0.0.1:1/", body: "x" } as any,
      } as never),
      { name: "TypeError", message: /copyFile takes no callback/ },
    );
    assert.equal(control.stats().requests.HeadObject ?? 0, 0, "nothing asked of the server");
    assert.equal(control.stats().requests.InitiateMultipartUpload ?? 0, 0);
    await assert.rejects(
      env.bucket.copyFile(SOURCE_BUCKET, "no-such-key", "x"),
      { code: "NoSuchKey" },
    );
  });
});
