// AppendObject against the local server (memory and disk storage): positions, the wrong
// position (with the length to use), the CRC-64 chain, a non-appendable object, the size
// limit, a lost answer recognised; then appendFile: creating, continuing a grown file,
// refusing an object that holds other bytes, and going on after another writer appended
// the file's own bytes.

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AppendConflictError,
  type AppendObjectOptions,
  type AppendTarget,
  type Bucket,
  crc64,
  IntegrityError,
  OssError,
} from "../mod.ts";
import { KB100, objectBytes, sameBytes, type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";
import { testBytes } from "./_test_bytes.ts";
import { signalled } from "./_signalled.ts";

const text = (s: string) => new TextEncoder().encode(s);

async function rejectsWith<T extends Error>(p: Promise<unknown>, cls: new (...a: never[]) => T) {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err}`);
    return err as T;
  }
  assert.fail(`expected ${cls.name}, but it resolved`);
}

for (const storage of ["memory", "disk"] as const) {
  describe(`AppendObject (${storage} storage)`, () => {
    let env: UploadEnv;
    let bucket: Bucket;
    let dataDir: string | undefined;
    before(async () => {
      if (storage === "disk") dataDir = await mkdtemp(join(tmpdir(), "ossup-append-"));
      env = await uploadEnv("appends", { dataDir });
      bucket = env.bucket;
    });
    after(async () => {
      await env.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it("appends at the object's length, creating it Appendable at 0, the CRC-64 chain checked", async () => {
      const first = await bucket.appendObject("log.txt", "hello ", {
        position: 0,
        contentType: "text/plain",
      });
      assert.equal(first.nextPosition, 6);
      assert.equal(first.crc64, crc64(text("hello ")));
      assert.equal(first.crc64Verified, true);
      const second = await bucket.appendObject("log.txt", new Blob(["world"]), {
        position: first.nextPosition,
        crc64: first.crc64,
      });
      assert.equal(second.nextPosition, 11);
      assert.equal(second.crc64, crc64(text("hello world")));
      assert.equal(second.crc64Verified, true);
      assert.equal(second.recovered, false);
      const head = await bucket.headObject("log.txt");
      assert.equal(head.objectType, "Appendable");
      assert.equal(head.headers.get("x-oss-next-append-position"), "11");
      assert.equal(head.contentType, "text/plain");
      assert.equal(head.crc64, second.crc64);
      assert.equal(await (await bucket.getObject("log.txt")).text(), "hello world");
    });

    it("refuses a wrong position with PositionNotEqualToLength and the length to use", async () => {
      await bucket.appendObject("wrong.txt", "12345", { position: 0 });
      for (const position of [3, 0, 9]) {
        const err = await rejectsWith(
          bucket.appendObject("wrong.txt", "x", { position }),
          OssError,
        );
        assert.equal(err.code, "PositionNotEqualToLength");
        assert.equal(err.status, 409);
        assert.equal(err.nextAppendPosition, 5);
      }
      assert.equal(await (await bucket.getObject("wrong.txt")).text(), "12345");
    });

    it("refuses to append to a Normal object (ObjectNotAppendable)", async () => {
      await bucket.putObject("normal.txt", "abc");
      const err = await rejectsWith(
        bucket.appendObject("normal.txt", "d", { position: 3 }),
        OssError,
      );
      assert.equal(err.code, "ObjectNotAppendable");
      assert.equal(err.status, 409);
      assert.equal(await (await bucket.getObject("normal.txt")).text(), "abc");
    });

    it("a PutObject over an appendable object makes it Normal", async () => {
      await bucket.appendObject("replaced.txt", "a", { position: 0 });
      await bucket.putObject("replaced.txt", "b");
      const head = await bucket.headObject("replaced.txt");
      assert.equal(head.objectType, "Normal");
      assert.equal(head.headers.get("x-oss-next-append-position"), null);
    });

    it("an empty append at 0 creates an empty appendable object", async () => {
      const r = await bucket.appendObject("empty.txt", "", { position: 0 });
      assert.equal(r.nextPosition, 0);
      assert.equal(r.crc64, 0n);
      assert.equal((await bucket.headObject("empty.txt")).objectType, "Appendable");
      const next = await bucket.appendObject("empty.txt", "z", { position: 0 });
      assert.equal(next.nextPosition, 1);
    });

    it("reports a CRC-64 chain that does not hold as IntegrityError", async () => {
      const first = await bucket.appendObject("chain.txt", "abc", { position: 0 });
      await rejectsWith(
        bucket.appendObject("chain.txt", "def", { position: 3, crc64: first.crc64! ^ 1n }),
        IntegrityError,
      );
    });

    it("detects bytes corrupted on the way (fault corrupt) through the chain", async () => {
      const first = await bucket.appendObject("corrupt.txt", "abc", { position: 0 });
      env.server.control.clear();
      env.server.control.add({
        operation: "AppendObject",
        key: "corrupt.txt",
        action: { type: "corrupt", phase: "request", atByte: 1 },
      });
      const err = await rejectsWith(
        bucket.appendObject("corrupt.txt", "def", { position: 3, crc64: first.crc64 }),
        IntegrityError,
      );
      assert.match(err.message, /corrupt\.txt: after appending 3 bytes at 3/);
      env.server.control.clear();
    });

    it("recognises an append whose answer was lost: the retry meets its own bytes", async () => {
      const first = await bucket.appendObject("lost.txt", "abc", { position: 0 });
      env.server.control.clear();
      env.server.control.add({
        operation: "AppendObject",
        key: "lost.txt",
        action: { type: "reset", phase: "response" },
      });
      const r = await bucket.appendObject("lost.txt", "def", { position: 3, crc64: first.crc64 });
      assert.equal(r.recovered, true);
      assert.equal(r.nextPosition, 6);
      assert.equal(r.crc64, crc64(text("abcdef")));
      assert.equal(env.server.control.stats().requests.AppendObject, 2);
      env.server.control.clear();
      assert.equal(await (await bucket.getObject("lost.txt")).text(), "abcdef");
    });

    it("two appends at one position never both land (the storage re-checks at publish)", async () => {
      const storage = env.server.storage;
      const headers = {
        contentType: "text/plain",
        userMeta: {},
        acl: "default",
        storageClass: "Standard",
      };
      // A body that is read once the storage has made its checks, and ends when told.
      const held = (bytes: string) => {
        const reading = signalled();
        const end = signalled();
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            reading.resolve();
            await end.promise;
            controller.enqueue(text(bytes));
            controller.close();
          },
        }, { highWaterMark: 0 });
        return { stream, reading: reading.promise, end: end.resolve };
      };
      const a = held("first");
      const b = held("second");
      const landA = storage.appendObject("appends", "race.txt", 0, { stream: a.stream }, headers);
      const landB = storage.appendObject("appends", "race.txt", 0, { stream: b.stream }, headers);
      await Promise.all([a.reading, b.reading]); // both passed the position check
      a.end();
      assert.equal((await landA).size, 5);
      b.end();
      await assert.rejects(landB, (err: Error & { code?: string }) => {
        assert.equal(err.code, "PositionNotEqualToLength");
        return true;
      });
      assert.equal(await (await bucket.getObject("race.txt")).text(), "first");
    });

    it("checks position before sending", async () => {
      await assert.rejects(
        bucket.appendObject("x", "a", { position: -1 } as AppendObjectOptions),
        /position must be an integer ≥ 0/,
      );
      await assert.rejects(
        bucket.appendObject("x", "a", {} as AppendObjectOptions),
        RangeError,
      );
    });
  });
}

describe("AppendObject size limit", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("limits", { maxAppendableSize: 10 });
  });
  after(() => env.close());

  it("refuses an append that would pass the limit with EntityTooLarge, storing nothing", async () => {
    await env.bucket.appendObject("capped", "12345678", { position: 0 });
    const err = await rejectsWith(
      env.bucket.appendObject("capped", "abc", { position: 8 }),
      OssError,
    );
    assert.equal(err.code, "EntityTooLarge");
    const ok = await env.bucket.appendObject("capped", "ab", { position: 8 });
    assert.equal(ok.nextPosition, 10);
  });
});

describe("appendFile", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("appendfiles");
  });
  after(() => env.close());

  it("creates the object, then appends only what a grown file adds", async () => {
    const path = join(env.dir, "grow.log");
    const all = testBytes(5 * KB100 + 123, 7);
    await writeFile(path, all.subarray(0, 2 * KB100 + 5));
    const progress: number[] = [];
    const first = await env.bucket.appendFile("grow.log", path, {
      appendSize: KB100,
      onProgress: (p) => progress.push(p.bytesDone),
    });
    assert.equal(first.continuedFrom, 0);
    assert.equal(first.bytesSent, 2 * KB100 + 5);
    assert.equal(first.appends, 3);
    assert.equal(first.crc64Verified, true);
    assert.deepEqual(progress, [0, KB100, 2 * KB100, 2 * KB100 + 5]);
    await writeFile(path, all);
    const second = await env.bucket.appendFile("grow.log", path, { appendSize: KB100 });
    assert.equal(second.continuedFrom, 2 * KB100 + 5);
    assert.equal(second.bytesSent, all.length - (2 * KB100 + 5));
    assert.equal(second.size, all.length);
    assert.equal(second.crc64, crc64(all));
    assert.ok(sameBytes(await objectBytes(env.bucket, "grow.log"), all));
    const third = await env.bucket.appendFile("grow.log", path);
    assert.equal(third.bytesSent, 0);
    assert.equal(third.appends, 0);
  });

  it("appends a Blob, and an empty file creates an empty object", async () => {
    const r = await env.bucket.appendFile("blob.bin", new Blob([testBytes(1000, 3)]));
    assert.equal(r.size, 1000);
    const empty = await env.bucket.appendFile("empty.bin", new Blob([]));
    assert.equal(empty.size, 0);
    assert.equal(empty.appends, 1);
    assert.equal((await env.bucket.headObject("empty.bin")).objectType, "Appendable");
  });

  it("never continues an object holding other bytes, nor a longer or Normal one", async () => {
    const path = join(env.dir, "mine.log");
    await writeFile(path, text("the file's own bytes"));
    await env.bucket.appendObject("other.log", "someone else", { position: 0 });
    const err = await rejectsWith(env.bucket.appendFile("other.log", path), AppendConflictError);
    assert.match(err.message, /other\.log holds 12 bytes that are not the first 12 bytes/);
    assert.equal(await (await env.bucket.getObject("other.log")).text(), "someone else");

    await env.bucket.appendObject("longer.log", "the file's own bytes and more", { position: 0 });
    await rejectsWith(env.bucket.appendFile("longer.log", path), AppendConflictError);

    await env.bucket.putObject("normal.log", "the");
    const normal = await rejectsWith(
      env.bucket.appendFile("normal.log", path),
      AppendConflictError,
    );
    assert.match(normal.message, /normal\.log is a Normal object/);
  });

  it("goes on after another writer appended the file's own bytes, and stops at foreign ones", async () => {
    const bytes = testBytes(3 * KB100, 11);
    // A writer that, just before appendFile's first append, appends a part itself.
    const racing = (foreign: boolean): AppendTarget => {
      let raced = false;
      return {
        headObject: (key, o) => env.bucket.headObject(key, o),
        appendObject: async (key, body, o) => {
          if (!raced) {
            raced = true;
            // More than one append of appendFile's, so its own append is refused, not recognised.
            const theirs = foreign ? testBytes(KB100, 99) : bytes.subarray(0, KB100 + KB100 / 2);
            await env.bucket.appendObject(key, theirs, { position: 0 });
          }
          return await env.bucket.appendObject(key, body, o);
        },
      };
    };
    const { appendFile } = await import("../lib/append/append_file.ts");
    const platform = env.client.platform;
    const r = await appendFile(racing(false), platform, "raced.bin", new Blob([bytes]), {
      appendSize: KB100,
    });
    assert.equal(r.continuedFrom, 0);
    assert.equal(r.bytesSent, KB100 + KB100 / 2, "went on from where the other writer ended");
    assert.equal(r.appends, 2);
    assert.ok(sameBytes(await objectBytes(env.bucket, "raced.bin"), bytes));

    await rejectsWith(
      appendFile(racing(true), platform, "foreign.bin", new Blob([bytes]), { appendSize: KB100 }),
      AppendConflictError,
    );
    assert.equal((await env.bucket.headObject("foreign.bin")).size, KB100);
  });
});
