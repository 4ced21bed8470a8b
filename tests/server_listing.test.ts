import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { childElements, childText, parseXml, type XmlElement } from "../lib/xml/xml.ts";
import { startServer, type TestServer } from "./_server.ts";
import { ossFetch, ossText } from "./_oss_http.ts";
import { assertOssError } from "./_assert_oss.ts";

let server: TestServer;
const B = "listing";
const KEYS = [
  "a.txt",
  "b/1.txt",
  "b/2.txt",
  "b/c/3.txt",
  "d/4.txt",
  "e.txt",
  "sp ace/+plus.txt",
  "中文/文件.txt",
];

before(async () => {
  server = await startServer();
  await ossFetch(server, { method: "PUT", bucket: B });
  for (const k of KEYS) {
    const r = await ossFetch(server, { method: "PUT", bucket: B, key: k, body: k });
    assert.equal(r.status, 200);
  }
});
after(async () => {
  await server.close();
});

async function list(query: [string, string | undefined][]): Promise<XmlElement> {
  const r = await ossText(server, { bucket: B, query });
  assert.equal(r.status, 200, r.text);
  const root = parseXml(r.text);
  assert.equal(root.name, "ListBucketResult");
  return root;
}
const keys = (root: XmlElement) => childElements(root, "Contents").map((c) => childText(c, "Key")!);
const prefixes = (root: XmlElement) =>
  childElements(root, "CommonPrefixes").map((c) => childText(c, "Prefix")!);

describe("ListObjects (v1)", () => {
  it("lists every key in UTF-8 order with OSS's elements", async () => {
    const root = await list([]);
    assert.deepEqual(keys(root), KEYS);
    assert.equal(childText(root, "Name"), B);
    assert.equal(childText(root, "MaxKeys"), "100");
    assert.equal(childText(root, "IsTruncated"), "false");
    const c = childElements(root, "Contents")[0];
    assert.match(childText(c, "ETag")!, /^"[0-9A-F]{32}"$/);
    assert.equal(childText(c, "Size"), "5");
    assert.equal(childText(c, "Type"), "Normal");
    assert.equal(childText(c, "StorageClass"), "Standard");
    assert.match(childText(c, "LastModified")!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("groups by delimiter into CommonPrefixes", async () => {
    const root = await list([["delimiter", "/"]]);
    assert.deepEqual(keys(root), ["a.txt", "e.txt"]);
    assert.deepEqual(prefixes(root), ["b/", "d/", "sp ace/", "中文/"]);
    const sub = await list([["delimiter", "/"], ["prefix", "b/"]]);
    assert.deepEqual(keys(sub), ["b/1.txt", "b/2.txt"]);
    assert.deepEqual(prefixes(sub), ["b/c/"]);
    assert.equal(childText(sub, "Prefix"), "b/");
    assert.equal(childText(sub, "Delimiter"), "/");
  });

  it("pages with max-keys and marker, counting prefixes as entries", async () => {
    const seen: string[] = [];
    let marker = "";
    for (let i = 0; i < 10; i++) {
      const root = await list([["delimiter", "/"], ["max-keys", "2"], ["marker", marker]]);
      seen.push(...keys(root), ...prefixes(root));
      if (childText(root, "IsTruncated") === "false") {
        assert.equal(childText(root, "NextMarker"), undefined);
        break;
      }
      marker = childText(root, "NextMarker")!;
    }
    assert.deepEqual(seen.sort(), ["a.txt", "b/", "d/", "e.txt", "sp ace/", "中文/"].sort());
    const page = await list([["max-keys", "3"]]);
    assert.deepEqual(keys(page), KEYS.slice(0, 3));
    assert.equal(childText(page, "NextMarker"), KEYS[2]);
    const next = await list([["max-keys", "3"], ["marker", KEYS[2]]]);
    assert.deepEqual(keys(next), KEYS.slice(3, 6));
  });

  it("URL-encodes keys with encoding-type=url", async () => {
    const root = await list([["encoding-type", "url"], ["prefix", "sp"]]);
    assert.equal(childText(root, "EncodingType"), "url");
    assert.deepEqual(keys(root), ["sp%20ace%2F%2Bplus.txt"]);
    assert.equal(decodeURIComponent(keys(root)[0]), "sp ace/+plus.txt");
    const cn = await list([["encoding-type", "url"], ["delimiter", "/"], ["prefix", "中"]]);
    assert.deepEqual(prefixes(cn).map(decodeURIComponent), ["中文/"]);
  });

  it("refuses bad max-keys and encoding-type", async () => {
    for (const q of [[["max-keys", "1001"]], [["max-keys", "x"]], [["encoding-type", "base64"]]]) {
      assertOssError(
        await ossText(server, { bucket: B, query: q as [string, string][] }),
        400,
        "InvalidArgument",
      );
    }
    assertOssError(await ossText(server, { bucket: "no-such" }), 404, "NoSuchBucket");
  });
});

describe("ListObjectsV2", () => {
  it("pages with continuation tokens and KeyCount", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    for (;;) {
      const q: [string, string][] = [["list-type", "2"], ["max-keys", "3"]];
      if (token) q.push(["continuation-token", token]);
      const root = await list(q);
      pages++;
      const k = keys(root);
      assert.equal(childText(root, "KeyCount"), String(k.length));
      assert.equal(
        childElements(root, "Contents")[0]?.children.some((c) => c.name === "Owner"),
        false,
      );
      seen.push(...k);
      if (token) assert.equal(childText(root, "ContinuationToken"), token);
      if (childText(root, "IsTruncated") === "false") break;
      token = childText(root, "NextContinuationToken");
      assert.ok(token);
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, KEYS);
  });

  it("supports start-after, delimiter, fetch-owner and encoding-type", async () => {
    const root = await list([["list-type", "2"], ["start-after", "b/2.txt"], [
      "fetch-owner",
      "true",
    ]]);
    assert.deepEqual(keys(root), KEYS.slice(3));
    assert.equal(childText(root, "StartAfter"), "b/2.txt");
    assert.ok(childElements(root, "Contents")[0].children.some((c) => c.name === "Owner"));
    const d = await list([["list-type", "2"], ["delimiter", "/"], ["encoding-type", "url"]]);
    assert.deepEqual(prefixes(d), ["b%2F", "d%2F", "sp%20ace%2F", encodeURIComponent("中文/")]);
    assert.equal(childText(d, "KeyCount"), "6");
    assertOssError(
      await ossText(server, {
        bucket: B,
        query: [["list-type", "2"], ["continuation-token", "%%%not-base64"]],
      }),
      400,
      "InvalidArgument",
    );
  });
});
