/**
 * Child process of `download_memory.test.ts`: puts a large generated object, then downloads it
 * with `downloadFile` while an {@linkcode RssProbe} samples its memory after every part.
 *
 * Usage: `<runtime> tests/_download_memory_child.ts '<json>'` where the JSON holds endpoint,
 * region, accessKeyId, accessKeySecret, bucket, size, partSize and routines. Prints the probe's
 * report; exits non-zero when the download fails or its result is wrong.
 *
 * @module
 */

import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { childClient } from "./_child_client.ts";
import { RssProbe } from "./_memory_probe.ts";
import { syntheticSource } from "./_upload_fixtures.ts";

const o = JSON.parse(process.argv[process.argv.length - 1]);
const client = childClient(o);
await client.createBucket(o.bucket);
const bucket = client.bucket(o.bucket);
const options = { partSize: o.partSize, routines: o.routines };
await bucket.uploadFile("big", syntheticSource(o.size, { seed: 9 }), options);
await bucket.uploadFile("warm-up", syntheticSource(2 * o.partSize), options);
const dir = await mkdtemp(join(tmpdir(), "ossup-download-memory-"));
try {
  // Warm-up: the first download loads code and fills pools that stay.
  await bucket.downloadFile("warm-up", join(dir, "warm-up"), options);
  const probe = new RssProbe();
  const path = join(dir, "big");
  const result = await bucket.downloadFile("big", path, {
    ...options,
    onProgress: () => probe.sample(),
  });
  assert.equal(result.size, o.size);
  assert.equal(result.crc64Verified, true);
  assert.equal((await stat(path)).size, o.size);
  probe.report();
} finally {
  await rm(dir, { recursive: true, force: true });
}
