// `ossup rm -m oss://bucket[/prefix]` (ossutil's `rm -m`): aborts the unfinished multipart
// uploads under the prefix through bucket.abortMultipartUploads, and says how many and the
// bytes their parts held; the uploads under other prefixes stay.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { collect } from "./_client_setup.ts";
import { cleanEnv, runOssup, serverFlags } from "./_cli_run.ts";
import { testBytes } from "./_test_bytes.ts";
import { KB100, type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";

describe("ossup rm -m", () => {
  let env: UploadEnv;
  before(async () => {
    env = await uploadEnv("rm-multipart");
  });
  after(() => env.close());

  it("aborts the uploads under the prefix and reports the bytes freed", async () => {
    const part = testBytes(KB100, 4);
    for (const key of ["tmp/a", "tmp/b", "keep/c"]) {
      const { uploadId } = await env.bucket.initiateMultipartUpload(key);
      await env.bucket.uploadPart(key, uploadId, 1, part);
    }
    const flags = serverFlags(env.server);
    const r = await runOssup(["rm", "-m", "oss://rm-multipart/tmp/", "--json", ...flags], {
      cwd: env.dir,
      env: cleanEnv(),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      bucket: "rm-multipart",
      prefix: "tmp/",
      uploadsAborted: 2,
      bytesFreed: 2 * KB100,
    });
    const left = await collect(env.bucket.listMultipartUploads());
    assert.deepEqual(left.map((u) => u.key), ["keep/c"]);

    const text = await runOssup(["rm", "-m", "oss://rm-multipart", ...flags], {
      cwd: env.dir,
      env: cleanEnv(),
    });
    assert.equal(text.code, 0, text.stderr);
    assert.equal(
      text.stdout,
      "aborted 1 unfinished multipart upload under oss://rm-multipart/, freeing 100.0 KiB\n",
    );
  });
});
