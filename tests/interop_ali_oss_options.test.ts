/**
 * The write settings of Alibaba Cloud's npm SDK, ali-oss 6.x, unchanged, against the local
 * server (signature V1 and V4): the upload callback on `put` and on `multipartUpload` (its
 * Complete), with custom variables, answered back as `result.data`; a failing callback as
 * OSS's 203 `CallbackFailed`; `x-oss-storage-class`, `x-oss-tagging`, `x-oss-object-acl` and
 * `x-oss-forbid-overwrite` headers; and objects ossup wrote with its settings read back by
 * ali-oss (`getObjectTagging`, `getACL`, `head`).
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import OSS from "ali-oss";
import { OssClient } from "../mod.ts";
import { type Recorder, startRecorder } from "./_recording_server.ts";
import { startServer, type TestServer } from "./_server.ts";
import { testBytes } from "./_test_bytes.ts";
import { clientOptions, objectBytes, sameBytes } from "./_upload_fixtures.ts";

const PART = 100 * 1024;

function answerJson(body: unknown, status = 200) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

for (const [index, v4] of [false, true].entries()) {
  describe(`ali-oss write settings against the local server, signature ${v4 ? "V4" : "V1"}`, () => {
    let server: TestServer;
    let callbacks: Recorder;
    // deno-lint-ignore no-explicit-any
    let client: any;
    const bucket = `ali-options-${index}`;

    before(async () => {
      server = await startServer();
      callbacks = await startRecorder();
      callbacks.route("/cb", answerJson({ stored: true }));
      callbacks.route("/cb-502", answerJson({ stored: false }, 502));
      client = new OSS({
        region: `oss-${server.region}`,
        endpoint: server.url,
        accessKeyId: server.accessKeyId,
        accessKeySecret: server.accessKeySecret,
        bucket,
        secure: false,
        timeout: 60_000,
        ...(v4 ? { authorizationV4: true } : {}),
      });
      await client.putBucket(bucket);
    });

    after(async () => {
      await callbacks?.close();
      await server?.close();
    });

    function seenWith(text: string): { body: string; type: string | undefined } {
      const seen = callbacks.requests("/cb").find((r) =>
        new TextDecoder().decode(r.body).includes(text)
      );
      assert.ok(seen, `a callback whose body has ${text}`);
      return {
        body: new TextDecoder().decode(seen.body),
        type: seen.headers["content-type"] as string | undefined,
      };
    }

    it("put with a callback: the callback gets OSS's variables, put gets its answer", async () => {
      const result = await client.put("cb/put.txt", Buffer.from("hello"), {
        callback: {
          url: `${callbacks.url}/cb`,
          body: "object=${object}&size=${size}&who=${x:who}",
          customValue: { who: "ali" },
        },
      });
      assert.deepEqual(result.data, { stored: true });
      assert.equal(seenWith("cb%2Fput.txt").body, "object=cb%2Fput.txt&size=5&who=ali");
    });

    it("multipartUpload with a callback calls back on Complete, with the object's settings", async () => {
      const data = testBytes(2 * PART + 9, 7);
      const result = await client.multipartUpload("cb/multi.bin", Buffer.from(data), {
        partSize: PART,
        headers: { "x-oss-storage-class": "IA", "x-oss-tagging": "via=ali&n=2" },
        callback: {
          url: `${callbacks.url}/cb`,
          body: '{"o":"${object}","s":${size}}',
          contentType: "application/json",
        },
      });
      assert.deepEqual(result.data, { stored: true });
      const seen = seenWith('"o":"cb/multi.bin"');
      assert.equal(seen.type, "application/json");
      assert.deepEqual(JSON.parse(seen.body), { o: "cb/multi.bin", s: data.length });
      const ours = new OssClient(clientOptions(server)).bucket(bucket);
      assert.ok(sameBytes(await objectBytes(ours, "cb/multi.bin"), data));
      assert.equal((await ours.headObject("cb/multi.bin")).storageClass, "IA");
      assert.deepEqual(await ours.getObjectTagging("cb/multi.bin"), { via: "ali", n: "2" });
    });

    it("a failing callback is OSS's 203 CallbackFailed, and the object is stored", async () => {
      await assert.rejects(
        client.put("cb/failed.txt", Buffer.from("kept"), {
          callback: { url: `${callbacks.url}/cb-502`, body: "o=${object}" },
        }),
        (err: { status: number; code: string }) => {
          assert.equal(err.status, 203);
          assert.equal(err.code, "CallbackFailed");
          return true;
        },
      );
      const got = await client.get("cb/failed.txt");
      assert.equal(Buffer.from(got.content).toString(), "kept");
    });

    it("x-oss-forbid-overwrite refuses to replace an object with FileAlreadyExists", async () => {
      await client.put("guard.txt", Buffer.from("first"));
      await assert.rejects(
        client.put("guard.txt", Buffer.from("second"), {
          headers: { "x-oss-forbid-overwrite": "true" },
        }),
        (err: { status: number; code: string }) =>
          err.status === 409 && err.code === "FileAlreadyExists",
      );
      assert.equal(Buffer.from((await client.get("guard.txt")).content).toString(), "first");
    });

    it("reads back ossup's ACL, storage class and tags", async () => {
      const ours = new OssClient(clientOptions(server)).bucket(bucket);
      await ours.uploadFile("ossup.bin", new Blob([testBytes(PART + 1)]), {
        partSize: PART,
        acl: "public-read",
        storageClass: "Archive",
        tagging: { project: "apollo", "retention:days": "30" },
      });
      const tags = await client.getObjectTagging("ossup.bin");
      assert.deepEqual(tags.tag, { project: "apollo", "retention:days": "30" });
      assert.equal((await client.getACL("ossup.bin")).acl, "public-read");
      const head = await client.head("ossup.bin");
      assert.equal(head.res.headers["x-oss-storage-class"], "Archive");
      assert.equal(head.res.headers["x-oss-tagging-count"], "2");
    });
  });
}
