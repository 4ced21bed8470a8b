/**
 * Bandwidth limits (`limitRate`): the token bucket's arithmetic, and uploads and downloads with
 * the real local server paced by a limiter on a virtual clock whose time moves only when the limiter waits.
 * The average (bytes the server received over the virtual time the transfer took) must hold
 * within 10% of the limit, across routines and across transfers sharing one limiter. Bad limits
 * are refused before any request, naming what is allowed.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { MIN_RATE_LIMIT, RateLimiter, rateLimiterFor } from "../lib/pacing/rate_limiter.ts";
import { pacedBody, pacedStream } from "../lib/pacing/paced_body.ts";
import { bandwidthLimitFlag } from "../lib/cli/cmd_upload.ts";
import { type Bucket, UsageError } from "../lib/web.ts";
import { SleepDrivenClock } from "./_virtual_clock.ts";
import { startServer, type TestServer } from "./_server.ts";
import { makeClient } from "./_client_setup.ts";
import { testBytes } from "./_test_bytes.ts";
import { readAll } from "./_read_stream.ts";
import { exists, sameBytes, uploadEnv } from "./_upload_fixtures.ts";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const KiB = 1024;
const MiB = 1024 * KiB;

function within10(measured: number, limit: number, what: string): void {
  assert.ok(
    Math.abs(measured - limit) <= 0.1 * limit,
    `${what}: ${Math.round(measured)} B/s against a limit of ${limit}`,
  );
}

describe("RateLimiter", () => {
  it("paces concurrent takers to the rate on average", async () => {
    const clock = new SleepDrivenClock();
    const limiter = new RateLimiter(2 * MiB, { clock });
    const routine = async () => {
      for (let i = 0; i < 40; i++) await limiter.take(64 * KiB);
    };
    await Promise.all([routine(), routine(), routine(), routine()]);
    const total = 4 * 40 * 64 * KiB; // 10 MiB: 5 virtual seconds
    // Exactly: the first burst is free, the rest is paid at the rate.
    assert.ok(
      Math.abs(clock.now() - ((total - limiter.burst) / limiter.bytesPerSecond) * 1000) < 1e-6,
    );
    within10(total / (clock.now() / 1000), 2 * MiB, "4 takers");
  });

  it("gives a cancelled taker's reservation back", async () => {
    const clock = new SleepDrivenClock();
    const limiter = new RateLimiter(MiB, { clock, burst: 1024 });
    const aborted = AbortSignal.abort(new Error("stop"));
    await assert.rejects(limiter.take(MiB, aborted), /stop/);
    await limiter.take(1024);
    assert.equal(clock.now(), 0);
  });

  it("refuses limits it cannot honour, naming what is allowed", () => {
    assert.throws(
      () => new RateLimiter(1000),
      /bytes per second from 1024 \(1 KiB\/s\) up; got 1000/,
    );
    assert.throws(() => new RateLimiter(Infinity), RangeError);
    assert.throws(
      () => rateLimiterFor("fast" as never),
      /limitRate must be bytes per second .* or a RateLimiter/,
    );
    assert.throws(
      () => rateLimiterFor(10),
      /limitRate: a rate limit must be bytes per second from 1024/,
    );
    const shared = new RateLimiter(MIN_RATE_LIMIT);
    assert.equal(rateLimiterFor(shared), shared);
  });

  it("paced bodies and streams carry the same bytes", async () => {
    const limiter = new RateLimiter(64 * MiB, { clock: new SleepDrivenClock() });
    const data = testBytes(300 * KiB + 3, 4);
    assert.deepEqual(await readAll(pacedBody(data, limiter)), data);
    assert.deepEqual(await readAll(pacedBody(new Blob([data]), limiter)), data);
    assert.deepEqual(await readAll(pacedStream(new Blob([data]).stream(), limiter)), data);
  });
});

describe("limitRate on transfers", () => {
  let server: TestServer;
  let bucket: Bucket;
  before(async () => {
    server = await startServer();
    const { client } = makeClient(server, "v4", "path");
    await client.createBucket("limits");
    bucket = client.bucket("limits");
  });
  after(() => server.close());

  it("uploadFile holds the average across its routines", async () => {
    const clock = new SleepDrivenClock();
    const limitRate = new RateLimiter(MiB, { clock });
    const data = testBytes(3 * MiB + 100, 11);
    const result = await bucket.uploadFile("file.bin", new Blob([data]), {
      partSize: 256 * KiB,
      routines: 4,
      limitRate,
    });
    within10(result.bytesSent / (clock.now() / 1000), MiB, "uploadFile, 4 routines");
    assert.deepEqual(await readAll((await bucket.getObject("file.bin")).body), data);
  });

  it("one limiter shared by uploadFile, uploadStream and putObject holds their sum", async () => {
    const clock = new SleepDrivenClock();
    const limitRate = new RateLimiter(2 * MiB, { clock });
    const a = testBytes(2 * MiB, 12);
    const b = testBytes(2 * MiB + 7, 13);
    const c = testBytes(512 * KiB, 14);
    const [ra, rb] = await Promise.all([
      bucket.uploadFile("a.bin", new Blob([a]), { partSize: 256 * KiB, routines: 3, limitRate }),
      bucket.uploadStream("b.bin", new Blob([b]).stream(), {
        partSize: 512 * KiB,
        routines: 2,
        limitRate,
      }),
      bucket.putObject("c.bin", c, { limitRate }),
    ]);
    const sent = ra.bytesSent + rb.bytesSent + c.length;
    within10(sent / (clock.now() / 1000), 2 * MiB, "three transfers");
    assert.deepEqual(await readAll((await bucket.getObject("b.bin")).body), b);
    assert.deepEqual(await readAll((await bucket.getObject("c.bin")).body), c);
  });

  it("a getObject body read with limitRate is paced too", async () => {
    const clock = new SleepDrivenClock();
    const limitRate = new RateLimiter(MiB, { clock });
    const got = await readAll((await bucket.getObject("a.bin", { limitRate })).body);
    assert.equal(got.length, 2 * MiB);
    within10(got.length / (clock.now() / 1000), MiB, "getObject");
  });

  it("downloadFile holds the average across its routines", async () => {
    const clock = new SleepDrivenClock();
    const limitRate = new RateLimiter(MiB, { clock });
    const env = await uploadEnv("limit-downloads");
    try {
      const data = testBytes(3 * MiB + 1, 15);
      await env.bucket.putObject("d.bin", data);
      const path = join(env.dir, "d.bin");
      await env.bucket.downloadFile("d.bin", path, { partSize: 256 * KiB, routines: 4, limitRate });
      within10(data.length / (clock.now() / 1000), MiB, "downloadFile, 4 routines");
      assert.ok(sameBytes(new Uint8Array(await readFile(path)), data));
      await assert.rejects(
        env.bucket.downloadFile("d.bin", join(env.dir, "never.bin"), { limitRate: 1 }),
        /limitRate: a rate limit must be bytes per second from 1024/,
      );
      assert.equal(await exists(join(env.dir, "never.bin.ossup-download")), false);
    } finally {
      await env.close();
    }
  });

  it("a bad limitRate fails before any request", async () => {
    await assert.rejects(
      bucket.uploadFile("never.bin", new Blob([new Uint8Array(10)]), { limitRate: 100 }),
      /limitRate: a rate limit must be bytes per second from 1024/,
    );
    await assert.rejects(
      bucket.headObject("never.bin"),
      (err: { status?: number }) => err.status === 404,
    );
  });
});

describe("--bandwidth-limit", () => {
  it("reads ossutil's units: bytes, K, M, G as powers of 1024", () => {
    assert.equal(bandwidthLimitFlag("20971520")?.bytesPerSecond, 20 * MiB);
    assert.equal(bandwidthLimitFlag("50M")?.bytesPerSecond, 50 * MiB);
    assert.equal(bandwidthLimitFlag("512K")?.bytesPerSecond, 512 * KiB);
    assert.equal(bandwidthLimitFlag(undefined), undefined);
  });

  it("names what is allowed", () => {
    assert.throws(() => bandwidthLimitFlag("1000"), UsageError);
    assert.throws(() => bandwidthLimitFlag("fast"), /from 1024, e.g. 20971520 or 20M/);
  });
});
