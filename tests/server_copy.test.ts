// The local server's CopyObject and UploadPartCopy, as OSS documents them: the four
// x-oss-copy-source-if-* conditions (412 PreconditionFailed for if-match and
// if-unmodified-since, 304 NotModified for if-none-match and if-modified-since) on both;
// x-oss-copy-source-range (a range within the source, open-ended to its end; malformed →
// InvalidArgument; not within the source → InvalidRange); a copy onto itself (COPY keeps,
// REPLACE rewrites the metadata); a source in another bucket; a versionId on the source
// ignored (the server keeps no versions); x-oss-forbid-overwrite → FileAlreadyExists; tags
// kept unless x-oss-tagging-directive says Replace; storage class and ACL as asked.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc64 } from "../lib/crc64/crc64.ts";
import { childText, parseXml } from "../lib/xml/xml.ts";
import { startServer, type TestServer } from "./_server.ts";
import { ossFetch, ossText } from "./_oss_http.ts";
import { assertOssError } from "./_assert_oss.ts";
import { testBytes } from "./_test_bytes.ts";

const KB = 1024;
const B = "copies";
const OTHER = "copies-2";
let server: TestServer;
let etag: string;
let lastModified: string;
const SOURCE = testBytes(300 * KB, 11);

before(async () => {
  server = await startServer();
  for (const b of [B, OTHER]) {
    assert.equal((await ossFetch(server, { method: "PUT", bucket: b })).status, 200);
  }
  const put = await ossFetch(server, {
    method: "PUT",
    bucket: B,
    key: "src/a b+c.bin",
    body: SOURCE,
    headers: { "content-type": "image/png", "x-oss-meta-k": "v" },
  });
  assert.equal(put.status, 200);
  etag = put.headers.get("etag")!;
  const head = await ossFetch(server, { method: "HEAD", bucket: B, key: "src/a b+c.bin" });
  lastModified = head.headers.get("last-modified")!;
});
after(async () => {
  await server.close();
});

const SRC = `/${B}/${encodeURIComponent("src/a b+c.bin")}`;
const past = new Date(Date.parse("2000-01-01T00:00:00Z")).toUTCString();
const future = () => new Date(Date.now() + 3600_000).toUTCString();

function copyObject(key: string, headers: Record<string, string>, bucket = B) {
  return ossText(server, {
    method: "PUT",
    bucket,
    key,
    headers: { "x-oss-copy-source": SRC, ...headers },
  });
}

async function initiate(key: string): Promise<string> {
  const r = await ossText(server, {
    method: "POST",
    bucket: B,
    key,
    query: [["uploads", undefined]],
  });
  assert.equal(r.status, 200, r.text);
  return childText(parseXml(r.text), "UploadId")!;
}

function copyPart(key: string, uploadId: string, n: number, headers: Record<string, string>) {
  return ossText(server, {
    method: "PUT",
    bucket: B,
    key,
    query: [["partNumber", String(n)], ["uploadId", uploadId]],
    headers: { "x-oss-copy-source": SRC, ...headers },
  });
}

describe("copy source conditions", () => {
  const cases: [string, () => Record<string, string>, number, string | undefined][] = [
    ["if-match that holds", () => ({ "x-oss-copy-source-if-match": etag }), 200, undefined],
    [
      "if-match that does not",
      () => ({ "x-oss-copy-source-if-match": '"0123456789ABCDEF0123456789ABCDEF"' }),
      412,
      "PreconditionFailed",
    ],
    [
      "if-none-match that holds",
      () => ({ "x-oss-copy-source-if-none-match": '"00"' }),
      200,
      undefined,
    ],
    [
      "if-none-match that does not",
      () => ({ "x-oss-copy-source-if-none-match": etag }),
      304,
      undefined,
    ],
    [
      "if-unmodified-since that holds",
      () => ({ "x-oss-copy-source-if-unmodified-since": future() }),
      200,
      undefined,
    ],
    [
      "if-unmodified-since that does not",
      () => ({ "x-oss-copy-source-if-unmodified-since": past }),
      412,
      "PreconditionFailed",
    ],
    [
      "if-modified-since that holds",
      () => ({ "x-oss-copy-source-if-modified-since": past }),
      200,
      undefined,
    ],
    [
      "if-modified-since that does not",
      () => ({ "x-oss-copy-source-if-modified-since": lastModified }),
      304,
      undefined,
    ],
  ];
  for (const [name, headers, status, code] of cases) {
    it(`CopyObject and UploadPartCopy with ${name}: ${status}`, async () => {
      const key = `cond/${name.replaceAll(" ", "-")}`;
      const whole = await copyObject(key, headers());
      const uploadId = await initiate(key + ".mp");
      const part = await copyPart(key + ".mp", uploadId, 1, headers());
      for (const r of [whole, part]) {
        if (code !== undefined) assertOssError(r, status, code);
        else assert.equal(r.status, status, r.text);
        if (status === 304) assert.equal(r.text, "");
      }
      const stored = await ossFetch(server, { method: "HEAD", bucket: B, key });
      await stored.body?.cancel();
      assert.equal(stored.status, status === 200 ? 200 : 404, "nothing written when refused");
    });
  }
});

describe("x-oss-copy-source-range", () => {
  const size = SOURCE.length;
  const ok: [string, number, number][] = [
    ["bytes=0-102399", 0, 102399],
    [`bytes=100-${size - 1}`, 100, size - 1],
    ["bytes=204800-", 204800, size - 1],
  ];
  for (const [range, start, end] of ok) {
    it(`copies ${range}`, async () => {
      const id = await initiate("range-ok");
      const r = await copyPart("range-ok", id, 1, { "x-oss-copy-source-range": range });
      assert.equal(r.status, 200, r.text);
      assert.equal(
        r.headers.get("x-oss-hash-crc64ecma"),
        crc64(SOURCE.subarray(start, end + 1)).toString(),
      );
    });
  }
  const bad: [string, number, string][] = [
    ["lines=0-1", 400, "InvalidArgument"],
    ["bytes=-100", 400, "InvalidArgument"],
    ["bytes=a-b", 400, "InvalidArgument"],
    [`bytes=${size}-${size + 10}`, 416, "InvalidRange"],
    [`bytes=0-${size}`, 416, "InvalidRange"],
    ["bytes=200-100", 416, "InvalidRange"],
  ];
  for (const [range, status, code] of bad) {
    it(`refuses ${range} with ${code}`, async () => {
      const id = await initiate("range-bad");
      assertOssError(
        await copyPart("range-bad", id, 1, { "x-oss-copy-source-range": range }),
        status,
        code,
      );
    });
  }
});

describe("CopyObject", () => {
  it("copies an object onto itself: COPY keeps its metadata, REPLACE rewrites it", async () => {
    await ossFetch(server, {
      method: "PUT",
      bucket: B,
      key: "self",
      body: "self bytes",
      headers: { "content-type": "text/x-a", "x-oss-meta-a": "1" },
    }).then((r) => r.body?.cancel());
    const kept = await ossText(server, {
      method: "PUT",
      bucket: B,
      key: "self",
      headers: { "x-oss-copy-source": `/${B}/self` },
    });
    assert.equal(kept.status, 200, kept.text);
    let h = await ossFetch(server, { method: "HEAD", bucket: B, key: "self" });
    assert.equal(h.headers.get("content-type"), "text/x-a");
    assert.equal(h.headers.get("x-oss-meta-a"), "1");
    const replaced = await ossText(server, {
      method: "PUT",
      bucket: B,
      key: "self",
      headers: {
        "x-oss-copy-source": `/${B}/self`,
        "x-oss-metadata-directive": "REPLACE",
        "content-type": "text/x-b",
      },
    });
    assert.equal(replaced.status, 200, replaced.text);
    h = await ossFetch(server, { method: "HEAD", bucket: B, key: "self" });
    assert.equal(h.headers.get("content-type"), "text/x-b");
    assert.equal(h.headers.get("x-oss-meta-a"), null);
    const g = await ossText(server, { bucket: B, key: "self" });
    assert.equal(g.text, "self bytes");
  });

  it("copies from another bucket, and ignores a versionId on the source", async () => {
    const r = await ossText(server, {
      method: "PUT",
      bucket: OTHER,
      key: "from-other",
      headers: {
        "x-oss-copy-source":
          `${SRC}?versionId=CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFhZjhjYmY0****`,
      },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("x-oss-hash-crc64ecma"), crc64(SOURCE).toString());
    const g = await ossFetch(server, { bucket: OTHER, key: "from-other" });
    assert.deepEqual(new Uint8Array(await g.arrayBuffer()), SOURCE);
    assert.equal(g.headers.get("x-oss-meta-k"), "v");
  });

  it("keeps the source's tags unless x-oss-tagging-directive is Replace; takes the storage class and ACL asked", async () => {
    await ossFetch(server, {
      method: "PUT",
      bucket: B,
      key: "tagged",
      body: "t",
      headers: { "x-oss-tagging": "a=1" },
    }).then((r) => r.body?.cancel());
    const tagsOf = async (key: string) =>
      (await ossFetch(server, { method: "HEAD", bucket: B, key })).headers;
    const src = { "x-oss-copy-source": `/${B}/tagged` };
    const copy = (key: string, headers: Record<string, string>) =>
      ossText(server, { method: "PUT", bucket: B, key, headers: { ...src, ...headers } });
    assert.equal(
      (await copy("tags-kept", { "x-oss-tagging": "b=2", "x-oss-storage-class": "IA" })).status,
      200,
    );
    let h = await tagsOf("tags-kept");
    assert.equal(h.get("x-oss-tagging-count"), "1");
    assert.equal(h.get("x-oss-storage-class"), "IA");
    assert.equal((await server.storage.getObject(B, "tags-kept")).meta.tagging, "a=1");
    assert.equal(
      (await copy("tags-replaced", {
        "x-oss-tagging": "b=2&c=3",
        "x-oss-tagging-directive": "Replace",
        "x-oss-object-acl": "private",
      })).status,
      200,
    );
    h = await tagsOf("tags-replaced");
    assert.equal(h.get("x-oss-tagging-count"), "2");
    assert.equal((await server.storage.getObject(B, "tags-replaced")).meta.acl, "private");
    assertOssError(
      await copy("tags-bad", { "x-oss-tagging-directive": "MERGE" }),
      400,
      "InvalidArgument",
    );
  });

  it("refuses an invalid metadata directive, and an existing target with x-oss-forbid-overwrite", async () => {
    assertOssError(
      await copyObject("directive", { "x-oss-metadata-directive": "MOVE" }),
      400,
      "InvalidArgument",
    );
    assert.equal((await copyObject("exists", {})).status, 200);
    assertOssError(
      await copyObject("exists", { "x-oss-forbid-overwrite": "true" }),
      409,
      "FileAlreadyExists",
    );
  });
});
