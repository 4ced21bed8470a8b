/**
 * Child process of `upload_memory.test.ts`: uploads a large generated source
 * with `uploadFile` while an {@linkcode RssProbe} samples its memory after
 * every part.
 *
 * Usage: `<runtime> tests/_upload_memory_child.ts '<json>'` where the JSON
 * holds endpoint, region, accessKeyId, accessKeySecret, bucket, size,
 * partSize and routines (and, for `routines: "auto"`, maxMemory and the
 * controller's initial routines). Prints the probe's report; exits non-zero
 * when the upload fails or its result is wrong, or when `"auto"` had more
 * parts in flight than maxMemory holds.
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import { childClient } from "./_child_client.ts";
import { RssProbe } from "./_memory_probe.ts";
import { syntheticSource } from "./_upload_fixtures.ts";

const o = JSON.parse(process.argv[process.argv.length - 1]);
const client = childClient(o);
await client.createBucket(o.bucket);
const bucket = client.bucket(o.bucket);
const options = {
  partSize: o.partSize,
  routines: o.routines,
  ...(o.maxMemory === undefined ? {} : { maxMemory: o.maxMemory }),
  ...(o.initial === undefined ? {} : { adaptive: { initial: o.initial } }),
};
// Warm-up: the first upload loads code and fills pools that stay.
await bucket.uploadFile("warm-up", syntheticSource(2 * o.partSize), options);

const probe = new RssProbe();
const result = await bucket.uploadFile("big", syntheticSource(o.size, { seed: 8 }), {
  ...options,
  onProgress: () => probe.sample(),
});
assert.equal(result.size, o.size);
assert.equal(result.parts, o.size / o.partSize);
assert.equal(result.crc64Verified, true);
if (o.maxMemory !== undefined) {
  // The scheduler's count: routines at once (each holds one part) × part size.
  assert.ok(
    result.routines!.peak * o.partSize <= o.maxMemory,
    `${result.routines!.peak} parts of ${o.partSize} bytes in flight, over ${o.maxMemory}`,
  );
}
probe.report();
await bucket.deleteObject("big");
