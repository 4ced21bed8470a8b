/**
 * Property-based fuzzing of object keys through the request target: the
 * client's encoder (escapeKey / buildUrl), the WHATWG URL parsing every
 * `fetch` applies, and the server's decoder (splitUrl / resolveAddress)
 * give back every UTF-8 key exactly; and, end to end over a real socket,
 * a key stored through the client is read, listed and deleted under the
 * same name on this runtime's server engine. Seeds and runs: tests/_fuzz.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildUrl, parseEndpoint } from "../lib/client/endpoint.ts";
import { resolveAddress, splitUrl } from "../lib/server/addressing.ts";
import { type Bucket, OssClient } from "../lib/web.ts";
import { startServer, type TestServer } from "./_server.ts";
import { checkProperty, fc } from "./_fuzz.ts";

const BUCKET = "fuzz-keys";

/** Pieces that stress encoders: dot segments, slashes, escapes, reserved and non-ASCII characters. */
const keyPiece = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      ".",
      "..",
      "/",
      "%",
      "%2F",
      "%25",
      "+",
      "?",
      "#",
      " ",
      "&",
      "=",
      ";",
      "~",
      "\\",
      "*",
      "'",
      "(",
      ")",
      "!",
      "@",
      ":",
      "[",
      "]",
      "é",
      "中",
      "😀",
      "\u00A0",
      "\t",
      "\n",
      "\r",
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 6 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,8}$/) },
);

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

/**
 * Keys OSS accepts: 1–1023 bytes of UTF-8, not starting with `/` or `\`, no NUL; but not
 * `.` or `..`, which no URL carries (the client refuses them, see below).
 */
const objectKey = fc.array(keyPiece, { minLength: 1, maxLength: 12 })
  .map((pieces) => pieces.join("").replaceAll("\u0000", ""))
  .filter((k) =>
    k !== "" && k !== "." && k !== ".." && !k.startsWith("/") && !k.startsWith("\\") &&
    utf8Length(k) <= 1023
  );

describe("fuzz: request target", () => {
  it("decodes every key the client encodes, path-style and virtual-hosted, through WHATWG URL", () =>
    checkProperty(
      fc.property(objectKey, fc.boolean(), (key, pathStyle) => {
        const endpoint = parseEndpoint(
          pathStyle ? "http://127.0.0.1:9000" : "oss-cn-hangzhou.aliyuncs.com",
        );
        const url = buildUrl(endpoint, pathStyle, { bucket: BUCKET, key });
        // What fetch sends: the WHATWG-parsed path (dot segments resolved), and the raw string.
        const parsed = new URL(url);
        for (const path of [parsed.pathname, splitUrl(url).path]) {
          const address = resolveAddress(path, parsed.host);
          assert.equal(address.bucket, BUCKET, `${url} → ${path}`);
          assert.equal(address.key, key, `${url} → ${path}`);
        }
      }),
      { runs: 500 },
    ));

  describe("end to end on this runtime's server", () => {
    let server: TestServer;
    let bucket: Bucket;
    before(async () => {
      server = await startServer();
      const client = new OssClient({
        endpoint: server.url,
        region: server.region,
        accessKeyId: server.accessKeyId,
        accessKeySecret: server.accessKeySecret,
      });
      await client.createBucket(BUCKET);
      bucket = client.bucket(BUCKET);
    });
    after(() => server.close());

    it("stores, reads, lists and deletes every key under its own name", () =>
      checkProperty(
        fc.asyncProperty(objectKey, async (key) => {
          const body = new TextEncoder().encode(`body of ${key}`);
          await bucket.putObject(key, body);
          const got = await bucket.getObject(key);
          assert.deepEqual(new Uint8Array(await new Response(got.body).arrayBuffer()), body);
          const listed: string[] = [];
          for await (const o of bucket.listObjects({ prefix: key })) listed.push(o.key);
          assert.equal(listed[0], key);
          await bucket.deleteObject(key);
          const left: string[] = [];
          for await (const o of bucket.listObjects()) left.push(o.key);
          assert.deepEqual(left, [], `left behind after deleting ${JSON.stringify(key)}`);
        }),
        { runs: 40, weight: 0.05, examples: [["./"], ["../x"], ["a/.."], ["%2e"]] },
      ));

    // Found by the soak: a '%' in a key made the client's CompleteMultipartUpload answer
    // parsing throw "URI malformed" (it url-decoded Location, which OSS does not encode).
    it("initiates, lists, uploads and completes a multipart upload of every key", () =>
      checkProperty(
        fc.asyncProperty(objectKey, async (key) => {
          const { uploadId, key: initiated } = await bucket.initiateMultipartUpload(key);
          assert.equal(initiated, key);
          const part = await bucket.uploadPart(key, uploadId, 1, new TextEncoder().encode(key));
          const listedUploads: string[] = [];
          for await (const u of bucket.listMultipartUploads({ prefix: key })) {
            listedUploads.push(u.key);
          }
          assert.equal(listedUploads[0], key);
          const done = await bucket.completeMultipartUpload(key, uploadId, [
            { partNumber: 1, etag: part.etag },
          ]);
          assert.equal(done.key, key);
          await bucket.deleteObject(key);
        }),
        { runs: 25, weight: 0.03, examples: [["%"], ["a%zz"], ["ü+%"]] },
      ));

    // Found by the property above: "." and ".." went out as /bucket/ and / (fetch drops the
    // segment), answered with SignatureDoesNotMatch or MethodNotAllowed for the bucket.
    it("refuses the keys . and .. before sending anything, naming the reason", async () => {
      for (const key of [".", ".."]) {
        await assert.rejects(bucket.putObject(key, new Uint8Array(1)), (err: Error) => {
          assert.ok(err instanceof TypeError);
          assert.match(err.message, /cannot be addressed in a URL/);
          return true;
        });
        await assert.rejects(bucket.deleteObject(key), TypeError);
      }
    });
  });
});
