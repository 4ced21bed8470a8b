/**
 * Child process of `storage_disk_durability.test.ts`: writes through a
 * DiskStorage without end until the test SIGKILLs it.
 *
 * Usage: `<runtime> tests/_storage_disk_writer.ts <dataDir> <round>`.
 * Prints `ready <uploadId>` once round's finished objects and parts are in,
 * then `writing` once every endless writer has completed at least one cycle,
 * then `flip <n>` after each of the next 100 overwrites of the flip key (the
 * test's measure of how much more was written before it kills).
 *
 * @module
 */

import process from "node:process";
import { DiskStorage } from "../lib/server/disk_storage.ts";
import type { ObjectHeaders } from "../lib/server/storage.ts";
import { durableFixture } from "./_storage_disk_fixture.ts";
import { streamOf } from "./_byte_stream.ts";

const [dataDir, roundText] = process.argv.slice(2);
const round = Number(roundText);
const f = durableFixture;
const headers: ObjectHeaders = {
  contentType: "application/x-durable",
  userMeta: { round: String(round) },
  acl: "default",
  storageClass: "Standard",
};

/** A stream of `bytes` in 64 KiB chunks. */
const once = (bytes: Uint8Array) => streamOf(bytes, 65536);

function endless(): ReadableStream<Uint8Array> {
  let n = 0;
  return new ReadableStream({
    async pull(controller) {
      if (++n % 2 === 0) await new Promise((r) => setTimeout(r, 1));
      controller.enqueue(new Uint8Array(65536).fill(n & 0xff));
    },
  });
}

const s = await DiskStorage.open(dataDir);
if (!await s.getBucket(f.bucket)) {
  await s.createBucket(f.bucket, {
    location: "oss-cn-hangzhou",
    acl: "private",
    storageClass: "Standard",
  });
}
for (let i = 0; i < f.doneCount; i++) {
  await s.putObject(
    f.bucket,
    f.doneKey(round, i),
    { stream: once(f.doneBytes(round, i)) },
    headers,
  );
}
const upload = await s.initiateMultipartUpload(f.bucket, f.mpuKey(round), headers);
for (const n of [1, 2]) {
  await s.uploadPart(f.bucket, f.mpuKey(round), upload.uploadId, n, {
    stream: once(f.partBytes(n)),
  });
}
console.log(`ready ${upload.uploadId}`);

// Endless writers; the test kills the process while they run.
s.putObject(f.bucket, f.partialKey(round), { stream: endless() }, headers).catch(() => {});
s.uploadPart(f.bucket, f.mpuKey(round), upload.uploadId, 3, { stream: endless() }).catch(() => {});

let flips = 0;
let loops = 0;
let announced = false;
let flipsAtAnnounce = 0;
const announce = () => {
  if (!announced && flips > 0 && loops > 0) {
    announced = true;
    flipsAtAnnounce = flips;
    console.log("writing");
  }
};
(async () => {
  for (;;) {
    const version = f.flipVersions[flips % f.flipVersions.length];
    await s.putObject(f.bucket, f.flipKey, { stream: once(version) }, headers);
    if (flips % 3 === 2) await s.setObjectAcl(f.bucket, f.flipKey, "public-read");
    flips++;
    const more = flips - flipsAtAnnounce;
    if (announced && more <= 100) console.log(`flip ${more}`);
    announce();
  }
})();
(async () => {
  for (;;) {
    const u = await s.initiateMultipartUpload(f.bucket, f.loopKey, headers);
    const parts = [];
    for (const n of [1, 2]) {
      const meta = await s.uploadPart(f.bucket, f.loopKey, u.uploadId, n, {
        stream: once(f.loopPart(n)),
      });
      parts.push({ partNumber: n, etag: meta.etag });
    }
    await s.completeMultipartUpload(f.bucket, f.loopKey, u.uploadId, parts);
    loops++;
    announce();
  }
})();
