/**
 * Child process of `storage_disk.test.ts`: streams a large generated body
 * into a DiskStorage and back out, checking MD5 and CRC-64 both ways, while
 * an {@linkcode RssProbe} samples its memory.
 *
 * Usage: `<runtime> tests/_storage_disk_stream_child.ts <dataDir> <size>`
 * (size a multiple of 256 KiB). Prints the probe's report; exits non-zero
 * when a check fails.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import process from "node:process";
import { crc64 } from "../lib/crc64/crc64.ts";
import { DiskStorage } from "../lib/server/disk_storage.ts";
import { RssProbe } from "./_memory_probe.ts";
import { bodyOf, headersOf } from "./_storage_contract.ts";
import { testBytes } from "./_test_bytes.ts";

const CHUNK = 256 * 1024;
/** Chunks between two samples: 16 MiB. */
const SAMPLE_EVERY = 64;

/** An object's body as an async iterable (the DOM typings leave that out). */
function chunksOf(o: { stream(): ReadableStream<Uint8Array> }): AsyncIterable<Uint8Array> {
  return o.stream() as unknown as AsyncIterable<Uint8Array>;
}

const [dataDir, sizeText] = process.argv.slice(2);
const size = Number(sizeText);
const s = await DiskStorage.open(dataDir, { fsync: false });
await s.createBucket("bkt", { location: "l", acl: "private", storageClass: "Standard" });
// Warm-up: the first put and get load the code and fill pools that stay; a declared
// length of 1 MiB starts the MD5 threads (each a runtime worker) as the large body will.
const warmUp = testBytes(4 * CHUNK, 3);
await s.putObject("bkt", "warm-up", bodyOf(warmUp, { length: warmUp.length }), headersOf());
for await (const _ of chunksOf(await s.getObject("bkt", "warm-up"))) { /* drain */ }

const probe = new RssProbe();
const block = testBytes(CHUNK, 7);
const md5 = createHash("md5");
let crc = 0n;
let produced = 0;
const stream = new ReadableStream<Uint8Array>({
  pull(controller) {
    if (produced >= size) return controller.close();
    const chunk = block.slice();
    new DataView(chunk.buffer).setUint32(0, produced / CHUNK); // every chunk differs
    md5.update(chunk);
    crc = crc64(chunk, crc);
    produced += CHUNK;
    controller.enqueue(chunk);
    if ((produced / CHUNK) % SAMPLE_EVERY === 0) probe.sample();
  },
}, { highWaterMark: 0 });
const meta = await s.putObject("bkt", "huge", { stream, length: size }, headersOf());
assert.equal(meta.size, size);
assert.equal(meta.etag, md5.digest("hex").toUpperCase());
assert.equal(meta.crc64, crc);

const back = createHash("md5");
let read = 0;
let n = 0;
for await (const chunk of chunksOf(await s.getObject("bkt", "huge"))) {
  back.update(chunk);
  read += chunk.byteLength;
  if (++n % SAMPLE_EVERY === 0) probe.sample();
}
assert.equal(read, size);
assert.equal(back.digest("hex").toUpperCase(), meta.etag);
await s.close();
probe.report();
