import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc64, crc64Combine } from "../lib/crc64/crc64.ts";
import { childElement, childElements, childText, parseXml } from "../lib/xml/xml.ts";
import { startServer, type TestServer } from "./_server.ts";
import { ossFetch, ossText } from "./_oss_http.ts";
import { md5Hex, multipartEtag } from "./_md5.ts";
import { assertOssError } from "./_assert_oss.ts";
import { testBytes as bytes } from "./_test_bytes.ts";

let server: TestServer;
const B = "multi";
const KB = 1024;

before(async () => {
  server = await startServer();
  assert.equal((await ossFetch(server, { method: "PUT", bucket: B })).status, 200);
});
after(async () => {
  await server.close();
});

async function initiate(key: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await ossText(server, {
    method: "POST",
    bucket: B,
    key,
    query: [["uploads", undefined]],
    headers,
  });
  assert.equal(r.status, 200, r.text);
  const root = parseXml(r.text);
  assert.equal(root.name, "InitiateMultipartUploadResult");
  assert.equal(childText(root, "Bucket"), B);
  assert.equal(childText(root, "Key"), key);
  return childText(root, "UploadId")!;
}

async function uploadPart(key: string, uploadId: string, n: number, body: Uint8Array) {
  const r = await ossFetch(server, {
    method: "PUT",
    bucket: B,
    key,
    query: [["partNumber", String(n)], ["uploadId", uploadId]],
    body,
  });
  await r.body?.cancel();
  assert.equal(r.status, 200);
  return r;
}

function completeBody(parts: [number, string][]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>${
    parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>${e}</ETag></Part>`).join("")
  }</CompleteMultipartUpload>`;
}

async function complete(key: string, uploadId: string, parts: [number, string][]) {
  return await ossText(server, {
    method: "POST",
    bucket: B,
    key,
    query: [["uploadId", uploadId]],
    body: completeBody(parts),
  });
}

describe("multipart upload", () => {
  it("uploads, lists and completes parts into one object", async () => {
    const key = "big/object +1.bin";
    const id = await initiate(key, { "content-type": "video/mp4", "x-oss-meta-src": "test" });
    const p1 = bytes(100 * KB, 1);
    const p2 = bytes(150 * KB, 2);
    const p3 = bytes(10 * KB, 3);
    const r1 = await uploadPart(key, id, 1, p1);
    assert.equal(r1.headers.get("etag"), `"${md5Hex(p1)}"`);
    assert.equal(r1.headers.get("x-oss-hash-crc64ecma"), crc64(p1).toString());
    const r2 = await uploadPart(key, id, 2, p2);
    await uploadPart(key, id, 3, bytes(20 * KB, 9)); // replaced below
    const r3 = await uploadPart(key, id, 3, p3);

    const lp = await ossText(server, { bucket: B, key, query: [["uploadId", id]] });
    assert.equal(lp.status, 200, lp.text);
    const root = parseXml(lp.text);
    assert.equal(root.name, "ListPartsResult");
    assert.equal(childText(root, "UploadId"), id);
    assert.equal(childText(root, "Key"), key);
    assert.equal(childText(root, "IsTruncated"), "false");
    const parts = childElements(root, "Part");
    assert.deepEqual(parts.map((p) => childText(p, "PartNumber")), ["1", "2", "3"]);
    assert.deepEqual(parts.map((p) => childText(p, "Size")), [
      String(100 * KB),
      String(150 * KB),
      String(10 * KB),
    ]);
    assert.equal(childText(parts[2], "ETag"), `"${md5Hex(p3)}"`);
    assert.equal(childText(parts[0], "HashCrc64ecma"), crc64(p1).toString());

    const c = await complete(key, id, [
      [1, r1.headers.get("etag")!],
      [2, r2.headers.get("etag")!],
      [3, r3.headers.get("etag")!],
    ]);
    assert.equal(c.status, 200, c.text);
    const cr = parseXml(c.text);
    assert.equal(cr.name, "CompleteMultipartUploadResult");
    assert.equal(childText(cr, "Bucket"), B);
    assert.equal(childText(cr, "Key"), key);
    const etag = `"${multipartEtag([p1, p2, p3])}"`;
    assert.equal(childText(cr, "ETag"), etag);
    assert.ok(childText(cr, "Location"));
    const all = new Uint8Array([...p1, ...p2, ...p3]);
    const crc = crc64Combine(crc64Combine(crc64(p1), crc64(p2), p2.length), crc64(p3), p3.length);
    assert.equal(crc, crc64(all));
    assert.equal(c.headers.get("x-oss-hash-crc64ecma"), crc.toString());

    const g = await ossFetch(server, { bucket: B, key });
    assert.equal(g.status, 200);
    assert.equal(g.headers.get("etag"), etag);
    assert.equal(g.headers.get("x-oss-object-type"), "Multipart");
    assert.equal(g.headers.get("content-type"), "video/mp4");
    assert.equal(g.headers.get("x-oss-meta-src"), "test");
    assert.equal(g.headers.get("x-oss-hash-crc64ecma"), crc.toString());
    assert.equal(g.headers.get("content-length"), String(all.length));
    assert.deepEqual(new Uint8Array(await g.arrayBuffer()), all);

    // The upload is gone.
    assertOssError(
      await ossText(server, { bucket: B, key, query: [["uploadId", id]] }),
      404,
      "NoSuchUpload",
    );
  });

  it("pages ListParts with max-parts and part-number-marker", async () => {
    const key = "pages.bin";
    const id = await initiate(key);
    for (let n = 1; n <= 5; n++) await uploadPart(key, id, n, bytes(10, n));
    const page = async (marker: number) => {
      const r = await ossText(server, {
        bucket: B,
        key,
        query: [["uploadId", id], ["max-parts", "2"], ["part-number-marker", String(marker)]],
      });
      return parseXml(r.text);
    };
    const p1 = await page(0);
    assert.equal(childText(p1, "IsTruncated"), "true");
    assert.equal(childText(p1, "NextPartNumberMarker"), "2");
    assert.equal(childText(p1, "MaxParts"), "2");
    const p3 = await page(4);
    assert.equal(childText(p3, "IsTruncated"), "false");
    assert.deepEqual(childElements(p3, "Part").map((p) => childText(p, "PartNumber")), ["5"]);
  });

  it("enforces OSS's rules at UploadPart and Complete", async () => {
    const key = "rules.bin";
    const id = await initiate(key);
    for (const n of ["0", "10001", "abc", "-1"]) {
      assertOssError(
        await ossText(server, {
          method: "PUT",
          bucket: B,
          key,
          query: [["partNumber", n], ["uploadId", id]],
          body: "x",
        }),
        400,
        "InvalidArgument",
      );
    }
    const max = await uploadPart(key, id, 10000, bytes(10, 1));
    assert.equal(max.status, 200);
    assertOssError(
      await ossText(server, {
        method: "PUT",
        bucket: B,
        key,
        query: [["partNumber", "1"], ["uploadId", "0000000000000000000000000000000A"]],
        body: "x",
      }),
      404,
      "NoSuchUpload",
    );
    const small = await uploadPart(key, id, 1, bytes(50 * KB, 1));
    const big = await uploadPart(key, id, 2, bytes(100 * KB, 2));
    const last = await uploadPart(key, id, 3, bytes(1, 3));
    const e = (r: Response) => r.headers.get("etag")!;

    assertOssError(await complete(key, id, [[2, e(big)], [1, e(small)]]), 400, "InvalidPartOrder");
    assertOssError(
      await complete(key, id, [[1, e(small)], [1, e(small)]]),
      400,
      "InvalidPartOrder",
    );
    assertOssError(await complete(key, id, [[2, e(big)], [4, e(big)]]), 400, "InvalidPart");
    assertOssError(await complete(key, id, [[2, e(small)]]), 400, "InvalidPart");
    assertOssError(
      await complete(key, id, [[1, e(small)], [2, e(big)], [3, e(last)]]),
      400,
      "EntityTooSmall",
    );
    for (
      const bad of ["<CompleteMultipartUpload><Part>", "<Other/>", "<CompleteMultipartUpload/>"]
    ) {
      assertOssError(
        await ossText(server, {
          method: "POST",
          bucket: B,
          key,
          query: [["uploadId", id]],
          body: bad,
        }),
        400,
        "MalformedXML",
      );
    }
    assertOssError(
      await complete(key, "0000000000000000000000000000000A", [[2, e(big)]]),
      404,
      "NoSuchUpload",
    );
    // A small part is fine as the last one, and ETags match without quotes too.
    const ok = await complete(key, id, [[2, e(big).replaceAll('"', "")], [3, e(last)]]);
    assert.equal(ok.status, 200, ok.text);
    const g = await ossFetch(server, { method: "HEAD", bucket: B, key });
    assert.equal(g.headers.get("content-length"), String(100 * KB + 1));
  });

  it("aborts an upload", async () => {
    const key = "abort.bin";
    const id = await initiate(key);
    await uploadPart(key, id, 1, bytes(10, 1));
    const r = await ossFetch(server, {
      method: "DELETE",
      bucket: B,
      key,
      query: [["uploadId", id]],
    });
    assert.equal(r.status, 204);
    assertOssError(
      await ossText(server, { method: "DELETE", bucket: B, key, query: [["uploadId", id]] }),
      404,
      "NoSuchUpload",
    );
    assertOssError(await complete(key, id, [[1, '"X"']]), 404, "NoSuchUpload");
  });

  it("copies ranges of an object into parts (UploadPartCopy)", async () => {
    const src = bytes(300 * KB, 5);
    const put = await ossFetch(server, {
      method: "PUT",
      bucket: B,
      key: "copy-src.bin",
      body: src,
    });
    assert.equal(put.status, 200);
    const key = "copy-dst.bin";
    const id = await initiate(key);
    const copy = async (n: number, range?: string) =>
      await ossText(server, {
        method: "PUT",
        bucket: B,
        key,
        query: [["partNumber", String(n)], ["uploadId", id]],
        headers: {
          "x-oss-copy-source": `/${B}/copy-src.bin`,
          ...(range ? { "x-oss-copy-source-range": range } : {}),
        },
      });
    const c1 = await copy(1, `bytes=0-${200 * KB - 1}`);
    assert.equal(c1.status, 200, c1.text);
    const r1 = parseXml(c1.text);
    assert.equal(r1.name, "CopyPartResult");
    assert.equal(childText(r1, "ETag"), `"${md5Hex(src.subarray(0, 200 * KB))}"`);
    const c2 = await copy(2, `bytes=${200 * KB}-${300 * KB - 1}`);
    assert.equal(c2.status, 200);
    assertOssError(await copy(3, `bytes=${400 * KB}-${500 * KB}`), 416, "InvalidRange");
    assertOssError(await copy(3, "lines=1-2"), 400, "InvalidArgument");
    const done = await complete(key, id, [
      [1, childText(r1, "ETag")!],
      [2, childText(parseXml(c2.text), "ETag")!],
    ]);
    assert.equal(done.status, 200, done.text);
    const g = await ossFetch(server, { bucket: B, key });
    assert.deepEqual(new Uint8Array(await g.arrayBuffer()), src);
  });

  it("lists unfinished uploads with prefix, delimiter and markers", async () => {
    const b = "uploads-list";
    await ossFetch(server, { method: "PUT", bucket: b });
    const start = async (key: string) => {
      const r = await ossText(server, {
        method: "POST",
        bucket: b,
        key,
        query: [["uploads", undefined]],
      });
      return childText(parseXml(r.text), "UploadId")!;
    };
    const ids: Record<string, string> = {};
    for (const k of ["a/1", "a/2", "b", "c"]) ids[k] = await start(k);
    const second = await start("b");
    const lu = async (q: [string, string | undefined][]) => {
      const r = await ossText(server, { bucket: b, query: [["uploads", undefined], ...q] });
      assert.equal(r.status, 200, r.text);
      const root = parseXml(r.text);
      assert.equal(root.name, "ListMultipartUploadsResult");
      return root;
    };
    const all = await lu([]);
    const uploads = childElements(all, "Upload");
    assert.deepEqual(uploads.map((u) => childText(u, "Key")), ["a/1", "a/2", "b", "b", "c"]);
    assert.ok(childText(uploads[0], "Initiated"));
    const d = await lu([["delimiter", "/"]]);
    assert.deepEqual(childElements(d, "CommonPrefixes").map((p) => childText(p, "Prefix")), ["a/"]);
    assert.deepEqual(childElements(d, "Upload").map((u) => childText(u, "Key")), ["b", "b", "c"]);
    const p = await lu([["prefix", "a/"]]);
    assert.equal(childElements(p, "Upload").length, 2);
    const m1 = await lu([["max-uploads", "3"]]);
    assert.equal(childText(m1, "IsTruncated"), "true");
    assert.equal(childText(m1, "NextKeyMarker"), "b");
    assert.equal(childText(m1, "NextUploadIdMarker"), ids["b"]);
    const m2 = await lu([
      ["max-uploads", "3"],
      ["key-marker", childText(m1, "NextKeyMarker")!],
      ["upload-id-marker", childText(m1, "NextUploadIdMarker")!],
    ]);
    assert.deepEqual(childElements(m2, "Upload").map((u) => childText(u, "UploadId")), [
      second,
      ids["c"],
    ]);
    assert.equal(childText(m2, "IsTruncated"), "false");
    const m3 = await lu([["key-marker", "b"]]);
    assert.deepEqual(childElements(m3, "Upload").map((u) => childText(u, "Key")), ["c"]);
    assert.equal(childElement(m3, "Bucket")?.text, b);
  });
});
