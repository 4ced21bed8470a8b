/**
 * Interop with Alibaba Cloud's official npm SDK, ali-oss 6.x, over a real
 * socket, unchanged: put, get, head, list, multipartUpload of several parts and
 * its checkpoint resume, with signature V1 and with `authorizationV4: true`.
 * Every object downloads byte-identical and the server's `x-oss-hash-crc64ecma`
 * equals lib/crc64/crc64.ts over the bytes.
 *
 * Given an IP endpoint, ali-oss sends requests to `http://127.0.0.1:PORT/<key>`
 * with `Host: <bucket>.oss-cn-hangzhou.aliyuncs.com` (virtual-hosted style by
 * the Host header), even with `sldEnable: true` (then it also puts the bucket in
 * the path, which neither OSS nor this server can make sense of). Path-style
 * needs a host name: `sldEnable` with `http://ossup-loopback:PORT` and an agent
 * that resolves it to 127.0.0.1. Both addressing styles are covered.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OSS from "ali-oss";
import { crc64 } from "../lib/crc64/crc64.ts";
import { startServer, type TestServer } from "./_server.ts";

const PART = 100 * 1024; // ali-oss's and OSS's minimum part size

interface Headers {
  [name: string]: string | undefined;
}

/** A checkpoint as ali-oss hands it to the progress callback. */
interface AliCheckpoint {
  file: unknown;
  name: string;
  fileSize: number;
  partSize: number;
  uploadId: string;
  doneParts: { number: number; etag: string }[];
}

function randomData(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

function bytesOf(content: Uint8Array): Uint8Array {
  return new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
}

/** A dotless host name (so not `<bucket>.<host>`) that {@link loopbackAgent} resolves. */
const LOOPBACK_NAME = "ossup-loopback";

/**
 * An HTTP agent that resolves every name to 127.0.0.1: ali-oss goes path-style only
 * with a host name, and this keeps the test off /etc/hosts and DNS.
 */
function loopbackAgent(): http.Agent {
  type Lookup = (host: string, o: { all?: boolean }, cb: (...args: unknown[]) => void) => void;
  const lookup: Lookup = (_host, o, cb) =>
    o?.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4);
  return new http.Agent({ keepAlive: true, lookup } as http.AgentOptions);
}

const variants: { name: string; options: Record<string, unknown>; host?: string }[] = [
  { name: "signature V1", options: {} },
  { name: "signature V4", options: { authorizationV4: true } },
  {
    name: "signature V4, path-style (sldEnable and a host name)",
    options: { authorizationV4: true, sldEnable: true, agent: loopbackAgent() },
    host: LOOPBACK_NAME,
  },
];

for (const [index, variant] of variants.entries()) {
  describe(`ali-oss against the local server, ${variant.name}`, () => {
    let server: TestServer;
    // deno-lint-ignore no-explicit-any
    let client: any;
    let dir: string;
    const bucket = `ali-interop-${index}`;

    function newClient() {
      return new OSS({
        region: `oss-${server.region}`,
        // http://127.0.0.1:PORT: ali-oss sends Host: <bucket>.oss-<region>.aliyuncs.com
        endpoint: variant.host ? server.url.replace("127.0.0.1", variant.host) : server.url,
        accessKeyId: server.accessKeyId,
        accessKeySecret: server.accessKeySecret,
        bucket,
        secure: false,
        timeout: 60_000,
        ...variant.options,
      });
    }

    async function assertStoredIntact(key: string, data: Uint8Array) {
      const got = await client.get(key);
      assert.deepEqual(bytesOf(got.content), data, `${key} downloads byte-identical`);
      const head = await client.head(key);
      const headers = head.res.headers as Headers;
      assert.equal(
        headers["x-oss-hash-crc64ecma"],
        crc64(data).toString(),
        "server CRC64 = lib/crc64",
      );
      assert.equal(headers["content-length"], String(data.length));
      return headers;
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "ossup-ali-interop-"));
      server = await startServer();
      client = newClient();
      await client.putBucket(bucket);
    });

    after(async () => {
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("put, get and head an object, with metadata and a UTF-8 key", async () => {
      const key = "目录/a+b c ü.bin";
      const data = randomData(300 * 1024 + 17);
      const put = await client.put(key, Buffer.from(data), {
        mime: "application/x-test",
        meta: { origin: "ali-oss" },
      });
      assert.equal(put.res.status, 200);
      assert.equal(put.name, key);
      const headers = await assertStoredIntact(key, data);
      assert.equal(headers["content-type"], "application/x-test");
      assert.equal(headers["x-oss-meta-origin"], "ali-oss");
      assert.equal(headers["x-oss-object-type"], "Normal");
      assert.equal(headers.etag, put.res.headers.etag);
      assert.match(headers.etag!, /^"[0-9A-F]{32}"$/);

      const range = await client.get(key, { headers: { Range: "bytes=100-199" } });
      assert.equal(range.res.status, 206);
      assert.deepEqual(bytesOf(range.content), data.subarray(100, 200));
    });

    it("lists objects with prefix, delimiter and pagination", async () => {
      for (const key of ["list/a.txt", "list/b.txt", "list/sub/c.txt", "list/sub/d.txt"]) {
        await client.put(key, Buffer.from(key));
      }
      const flat = await client.list({ prefix: "list/", "max-keys": 100 }, {});
      assert.deepEqual(
        flat.objects.map((o: { name: string }) => o.name),
        ["list/a.txt", "list/b.txt", "list/sub/c.txt", "list/sub/d.txt"],
      );
      const tree = await client.list({ prefix: "list/", delimiter: "/" }, {});
      assert.deepEqual(tree.objects.map((o: { name: string }) => o.name), [
        "list/a.txt",
        "list/b.txt",
      ]);
      assert.deepEqual(tree.prefixes, ["list/sub/"]);

      const page1 = await client.list({ prefix: "list/", "max-keys": 3 }, {});
      assert.equal(page1.objects.length, 3);
      assert.equal(page1.isTruncated, true);
      const page2 = await client.list(
        { prefix: "list/", "max-keys": 3, marker: page1.nextMarker },
        {},
      );
      assert.deepEqual(page2.objects.map((o: { name: string }) => o.name), ["list/sub/d.txt"]);
      assert.equal(page2.isTruncated, false);
    });

    it("multipartUpload of a file in several parts, in parallel", async () => {
      const key = "multipart/seven-parts.bin";
      const data = randomData(6 * PART + 999);
      const path = join(dir, "seven-parts.bin");
      writeFileSync(path, data);
      const result = await client.multipartUpload(key, path, { partSize: PART, parallel: 3 });
      assert.equal(result.res.status, 200);
      const headers = await assertStoredIntact(key, data);
      assert.equal(headers["x-oss-object-type"], "Multipart");
      assert.match(headers.etag!, /^"[0-9A-F]{32}-7"$/);
    });

    it("multipartUpload cancelled partway resumes from its saved checkpoint", async () => {
      const key = "multipart/resumed.bin";
      const data = randomData(9 * PART + 123); // 10 parts
      const path = join(dir, "resumed.bin");
      writeFileSync(path, data);

      // Save the checkpoint as an application would (a JSON copy) and cancel after 3 parts.
      let saved: AliCheckpoint | undefined;
      const interrupted = client.multipartUpload(key, path, {
        partSize: PART,
        parallel: 2,
        progress: (_p: number, cpt: AliCheckpoint | undefined) => {
          if (cpt && cpt.doneParts.length >= 3 && saved === undefined) {
            saved = JSON.parse(JSON.stringify(cpt));
            client.cancel();
          }
        },
      });
      await assert.rejects(interrupted, (err: Error) => err.name === "cancel");
      assert.ok(saved, "progress reported a checkpoint");
      const done = saved.doneParts.length;
      // Before the resume: ali-oss pushes the parts it sends onto the checkpoint it is given.
      const finished = new Set(saved.doneParts.map((p) => p.number));
      assert.ok(done >= 3 && done < 10);

      // The server holds the unfinished upload with the checkpoint's parts.
      const parts = await client.listParts(key, saved.uploadId);
      const listed = parts.parts.map((p: { PartNumber: string }) => Number(p.PartNumber));
      for (const p of saved.doneParts) {
        assert.ok(listed.includes(p.number), `part ${p.number} listed`);
      }

      // Resume in a new client, as after a restart; count what it sends.
      client = newClient();
      await server.idle(); // what the cancelled client had in flight is handled before the count starts
      server.control.clear(); // zero the server's request counts
      let partsSent = 0;
      const resumed = await client.multipartUpload(key, path, {
        checkpoint: saved,
        partSize: PART,
        parallel: 2,
        progress: (_p: number, cpt: AliCheckpoint | undefined, res: unknown) => {
          if (cpt && res) partsSent++;
        },
      });
      assert.equal(resumed.res.status, 200);
      assert.equal(partsSent, 10 - done, "only the parts missing from the checkpoint are sent");
      // By part number, not by count: a part the cancelled client had in flight may still reach
      // the server after clear(), and it is one of the missing parts, never a finished one.
      const { requests: seen, parts: partsSeen } = server.control.stats();
      for (let n = 1; n <= 10; n++) {
        if (finished.has(n)) {
          assert.equal(
            partsSeen[String(n)],
            undefined,
            `part ${n} from the checkpoint not sent again`,
          );
        } else {
          assert.ok((partsSeen[String(n)] ?? 0) >= 1, `missing part ${n} sent`);
        }
      }
      assert.equal(seen.InitiateMultipartUpload, undefined, "no new upload was started");
      await assertStoredIntact(key, data);

      // Completed on the checkpoint's upload: nothing left unfinished.
      const uploads = await client.listUploads({ prefix: "multipart/" });
      assert.deepEqual(uploads.uploads, []);
    });
  });
}
