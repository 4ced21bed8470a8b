// Pipes: `ossup cp - oss://b/k` uploads standard input through uploadStream (multipart when it
// is longer than one part, one PutObject when not), `ossup cp oss://b/k -` and `ossup cat`
// write the object to standard output byte for byte, the CRC64 checked at the end: a response
// corrupted in transit exits 5 and says so on stderr.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { crc64 } from "../lib/crc64/crc64.ts";
import { cleanEnv, runOssup, serverFlags } from "./_cli_run.ts";
import { testBytes } from "./_test_bytes.ts";
import { objectBytes, sameBytes, type UploadEnv, uploadEnv } from "./_upload_fixtures.ts";

describe("ossup pipes", () => {
  let env: UploadEnv;
  let flags: string[];
  const run = (args: string[], stdin?: Uint8Array) =>
    runOssup([...args, ...flags], { cwd: env.dir, env: cleanEnv(), stdin });
  before(async () => {
    env = await uploadEnv("pipes");
    flags = serverFlags(env.server);
  });
  after(() => env.close());
  const initiates = () => env.server.control.stats().requests.InitiateMultipartUpload ?? 0;

  it("cp - uploads standard input in parts; cp … - and cat write it back byte-identical", async () => {
    const bytes = testBytes(2 * 1024 * 1024 + 12_345, 7);
    const up = await run(["cp", "-", "oss://pipes/in/stream.bin", "--part-size", "1MB"], bytes);
    assert.equal(up.code, 0, up.stderr);
    assert.match(
      up.stdout,
      /^uploaded standard input to oss:\/\/pipes\/in\/stream\.bin: .* in 3 parts,/,
    );
    assert.ok(sameBytes(await objectBytes(env.bucket, "in/stream.bin"), bytes));
    // The Complete is the second POST on the key; the first initiated the upload.
    await env.server.handled("POST", "/pipes/in/stream.bin", 2);
    const posts = env.server.handledOn("/pipes/in/stream.bin").filter((r) => r.method === "POST");
    assert.match(posts[0].url, /\?uploads/, "a multipart upload was initiated");

    const down = await run(["cp", "oss://pipes/in/stream.bin", "-"]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(sameBytes(down.stdoutBytes, bytes), "cp … - wrote the object's bytes");
    assert.match(
      down.stderr,
      new RegExp(
        `wrote oss://pipes/in/stream.bin to standard output: .*CRC64 ${crc64(bytes)} verified`,
      ),
    );

    const cat = await run(["cat", "oss://pipes/in/stream.bin"]);
    assert.equal(cat.code, 0, cat.stderr);
    assert.ok(sameBytes(cat.stdoutBytes, bytes), "cat wrote the object's bytes");
    assert.doesNotMatch(cat.stderr, /wrote/);
  });

  it("cp - of less than one part is one PutObject", async () => {
    const bytes = new TextEncoder().encode("fourteen bytes");
    const initiated = initiates();
    const up = await run(["cp", "-", "oss://pipes/small.txt", "--json"], bytes);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(JSON.parse(up.stdout).parts, 0);
    await env.server.handled("PUT", "/pipes/small.txt");
    assert.deepEqual(env.server.handledOn("/pipes/small.txt").map((r) => r.method), ["PUT"]);
    // Counted as requests arrive, so none can be still unrecorded once the command exited.
    assert.equal(initiates(), initiated, "no multipart upload was initiated");
    assert.ok(sameBytes(await objectBytes(env.bucket, "small.txt"), bytes));
    assert.equal((await env.bucket.headObject("small.txt")).contentType, "text/plain");
  });

  it("cp - needs a whole key: standard input has no name", async () => {
    const r = await run(["cp", "-", "oss://pipes/dir/"], new Uint8Array(1));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /standard input has no name: write the whole key/);
  });

  it("a body corrupted on its way out exits 5, saying so on stderr", async () => {
    const bytes = testBytes(300_000, 3);
    await env.bucket.putObject("corrupt.bin", bytes);
    env.server.control.add({
      operation: "GetObject",
      key: "corrupt.bin",
      action: { type: "corrupt", phase: "response", atByte: 1000 },
    });
    const r = await run(["cp", "oss://pipes/corrupt.bin", "-"]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /CRC64 mismatch: .* what was written is not the object/);
    assert.equal(r.stdoutBytes.length, bytes.length);
  });

  it("cat of a missing key exits 6 with nothing on stdout", async () => {
    const r = await run(["cat", "oss://pipes/none.bin"]);
    assert.equal(r.code, 6, r.stderr);
    assert.equal(r.stdoutBytes.length, 0);
  });
});
