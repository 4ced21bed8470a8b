// The upload engine over the runtime's default transport (mod.ts's OssClient:
// createHttpFetch on Node and Deno, createSocketFetch on Bun) when the server
// answers a part with 403 AccessDenied before reading it: the upload fails
// with that OssError (not a write error such as EPIPE or ECONNRESET), and the
// part's body stops at the answer, on a connection that is then closed.

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { OssClient, OssError } from "../mod.ts";
import {
  type CountingServer,
  type EarlyOutcome,
  socketBufferBound,
  startCountingServer,
} from "./_counting_server.ts";
import { earlyBodySize } from "../lib/testing/_early_answer.ts";
import { settleWithin } from "../lib/testing/_fetch_outcome.ts";
import { writeTestFile } from "./_upload_fixtures.ts";

describe("uploadFile: a part answered 403 before it is read", () => {
  let server: CountingServer;
  let dir: string;
  before(async () => {
    server = await startCountingServer();
    dir = await mkdtemp(join(tmpdir(), "ossup-early-"));
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("fails with OssError AccessDenied; the part's body stops at the answer and its connection closes", async () => {
    const bound = socketBufferBound();
    const partSize = earlyBodySize(bound);
    const path = "/early-bucket/big.bin";
    server.answerPlain(
      path,
      "<InitiateMultipartUploadResult><Bucket>early-bucket</Bucket><Key>big.bin</Key>" +
        "<UploadId>U1</UploadId></InitiateMultipartUploadResult>",
    );
    server.answerEarly(path, { status: 403, code: "AccessDenied" });
    const client = new OssClient({
      endpoint: server.url,
      region: "cn-hangzhou",
      accessKeyId: "ak",
      accessKeySecret: "sk",
      retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
    // A file, whose parts are read into Uint8Arrays: the body every default transport sends itself.
    const { path: file } = await writeTestFile(dir, "big.bin", partSize + 1024, 5);
    const upload = client.bucket("early-bucket").uploadFile("big.bin", file, {
      partSize,
      routines: 1,
    });
    upload.catch(() => {});
    const exchange = await server.exchange(path);
    // The engine has the answer while the server still reads nothing of the part.
    const settled = await settleWithin(upload, 20_000);
    assert.ok(typeof settled === "object" && "error" in settled, "the upload fails");
    const err = settled.error;
    assert.ok(err instanceof OssError, `expected an OssError, got ${String(err)}`);
    assert.equal(err.code, "AccessDenied");
    assert.equal(err.status, 403);
    exchange.resume();
    const outcome = await settleWithin(exchange.outcome, 20_000);
    assert.ok(typeof outcome === "object" && "res" in outcome, "the connection was left open");
    const { after: sentAfter, how } = outcome.res as EarlyOutcome;
    assert.equal(how, "closed");
    assert.ok(sentAfter <= bound, `${sentAfter} bytes after the answer; at most ${bound}`);
  });
});
