// Memory stays bounded by about routines × part size whatever the source's
// size: a 384 MB generated source goes up with 4 routines of 4 MB parts while
// this process's RSS is sampled. The server runs in a child process, so the
// RSS measured is the client's alone.
//
// Why 4 MB parts: fetch copies every request body (the Fetch spec's "copy of
// the byte sequence"), and Deno's V8 collects those copies only every few
// parts, so its RSS grows about 5 × routines × part size with large parts
// (measured: ~90 MB at 4 MB parts, 160–240 MB at 8 MB, ~300 MB at 16 MB).
// The engine's own share is one reused buffer per routine.

import assert from "node:assert/strict";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { OssClient } from "../mod.ts";
import { type ServerProcess, startServerProcess } from "./_server_process.ts";
import { syntheticSource } from "./_upload_fixtures.ts";

const MB = 1024 * 1024;
const SIZE = 384 * MB;
const PART_SIZE = 4 * MB;
const ROUTINES = 4;
const AK = "mem-ak";
const SECRET = "mem-secret-key";

describe("uploadFile memory", () => {
  let server: ServerProcess;
  let url: string;
  before(async () => {
    server = await startServerProcess([
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--memory",
      "--access-key-id",
      AK,
      "--access-key-secret",
      SECRET,
    ]);
    url = server.url;
  });
  after(async () => {
    await server.stop();
  });

  it(`uploads ${SIZE / MB} MB with ${ROUTINES} × ${PART_SIZE / MB} MB parts in bounded memory`, async () => {
    const client = new OssClient({
      endpoint: url,
      region: "cn-hangzhou",
      accessKeyId: AK,
      accessKeySecret: SECRET,
    });
    await client.createBucket("memory");
    const bucket = client.bucket("memory");
    // Warm up: the first upload loads code and fills pools that stay.
    await bucket.uploadFile("warm-up", syntheticSource(2 * PART_SIZE), {
      partSize: PART_SIZE,
      routines: ROUTINES,
    });
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    try {
      const result = await bucket.uploadFile("big", syntheticSource(SIZE, { seed: 8 }), {
        partSize: PART_SIZE,
        routines: ROUTINES,
      });
      assert.equal(result.size, SIZE);
      assert.equal(result.parts, SIZE / PART_SIZE);
      assert.equal(result.crc64Verified, true);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growth = peak - baseline;
    const limit = ROUTINES * PART_SIZE * 3 + 100 * MB;
    assert.ok(
      growth < limit,
      `RSS grew ${(growth / MB).toFixed(0)} MB uploading ${SIZE / MB} MB (limit ${limit / MB} MB)`,
    );
    await bucket.deleteObject("big");
  });
});
