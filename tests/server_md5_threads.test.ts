/**
 * MD5 on worker threads: the same ETag and CRC64 as hashing inline, for
 * bodies in odd-sized chunks across batch boundaries, Content-MD5 still
 * checked, failures still reported, and the threads stopped by close(). Then
 * a real upload over a socket into storages with and without hash threads.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc64 } from "../lib/crc64/crc64.ts";
import { Md5Threads } from "../lib/server/_md5_threads.ts";
import { drainBody } from "../lib/server/_storage_body.ts";
import { createOssApp } from "../lib/server/app.ts";
import { listen } from "../lib/server/listen.ts";
import { MemoryStorage } from "../lib/server/memory_storage.ts";
import { StorageError } from "../lib/server/storage.ts";
import { md5Base64, md5Hex } from "./_md5.ts";
import { streamOf } from "./_byte_stream.ts";
import { testBytes as bytes } from "./_test_bytes.ts";

describe("MD5 on worker threads", () => {
  let threads: Md5Threads;
  before(() => {
    threads = new Md5Threads(2);
  });
  after(async () => {
    await threads.close();
  });

  it("digests like inline hashing, across batch boundaries, for concurrent bodies", async () => {
    const bodies = [bytes(5 * 1024 * 1024 + 17, 3), bytes(3 * 1024 * 1024, 4), bytes(1 << 20, 5)];
    const results = await Promise.all(bodies.map(async (data, i) => {
      const received: Uint8Array[] = [];
      const digest = await drainBody(
        {
          stream: streamOf(data, [65536, 1000 + i, 300_001, 1 << 20]),
          length: data.byteLength,
          contentMd5: md5Base64(data),
        },
        (chunk) => {
          received.push(chunk);
        },
        { md5Threads: threads },
      );
      return { digest, received: received.reduce((n, c) => n + c.byteLength, 0) };
    }));
    for (const [i, { digest, received }] of results.entries()) {
      assert.equal(digest.etag, md5Hex(bodies[i]));
      assert.equal(digest.crc64, crc64(bodies[i]));
      assert.equal(digest.size, bodies[i].byteLength);
      assert.equal(received, bodies[i].byteLength);
    }
  });

  it("still rejects a wrong Content-MD5 with InvalidDigest", async () => {
    const data = bytes(2 << 20, 6);
    await assert.rejects(
      drainBody(
        {
          stream: streamOf(data, [65536]),
          length: data.byteLength,
          contentMd5: md5Base64(bytes(1)),
        },
        () => {},
        { md5Threads: threads },
      ),
      (err) => err instanceof StorageError && err.code === "InvalidDigest",
    );
  });

  it("reports a body cut short, and the next body still hashes", async () => {
    const data = bytes(2 << 20, 7);
    let sent = 0;
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 1 << 20) return controller.error(new Error("connection reset"));
        controller.enqueue(data.slice(sent, sent + 65536));
        sent += 65536;
      },
    });
    await assert.rejects(
      drainBody({ stream: broken, length: data.byteLength }, () => {}, { md5Threads: threads }),
      (err) => err instanceof StorageError && err.code === "IncompleteBody",
    );
    const digest = await drainBody(
      { stream: streamOf(data, [65536]), length: data.byteLength },
      () => {},
      { md5Threads: threads },
    );
    assert.equal(digest.etag, md5Hex(data));
  });

  it("hashes inline once closed", async () => {
    const pool = new Md5Threads(1);
    await pool.close();
    const data = bytes(2 << 20, 8);
    const digest = await drainBody(
      { stream: streamOf(data, [65536]), length: data.byteLength },
      () => {},
      { md5Threads: pool },
    );
    assert.equal(digest.etag, md5Hex(data));
  });

  it("refuses a bad pool size", () => {
    assert.throws(() => new Md5Threads(0), RangeError);
    assert.throws(() => new MemoryStorage({ hashThreads: -1 }), RangeError);
  });
});

describe("uploads over a socket, with and without hash threads", () => {
  for (const hashThreads of [0, 1, 3]) {
    it(`stores the same bytes, ETag and CRC64 with hashThreads ${hashThreads}`, async () => {
      const storage = new MemoryStorage({ hashThreads });
      const { app } = createOssApp({ storage });
      const server = await listen(app.fetch, { port: 0 });
      try {
        assert.equal((await fetch(`${server.url}/threads`, { method: "PUT" })).status, 200);
        const data = bytes(3 * 1024 * 1024 + 5, 9 + hashThreads);
        const puts = await Promise.all(
          [0, 1, 2].map((i) =>
            fetch(`${server.url}/threads/obj-${i}`, {
              method: "PUT",
              body: data,
              headers: { "content-md5": md5Base64(data) },
            })
          ),
        );
        for (const res of puts) {
          await res.body?.cancel();
          assert.equal(res.status, 200);
          assert.equal(res.headers.get("etag"), `"${md5Hex(data)}"`);
          assert.equal(res.headers.get("x-oss-hash-crc64ecma"), crc64(data).toString());
        }
        const got = new Uint8Array(
          await (await fetch(`${server.url}/threads/obj-1`)).arrayBuffer(),
        );
        assert.equal(md5Hex(got), md5Hex(data));
      } finally {
        await server.close();
        await storage.close();
      }
    });
  }
});
