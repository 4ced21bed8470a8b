// The file sink flushes as it goes: after every WRITEBACK_BYTES written it starts a datasync in
// the background, so the commit's sync has little left to write; a flush that fails fails the
// commit, and nothing reaches the target. Counted on FileHandle's own datasync, on each runtime.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { access, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openNodeFileSink, WRITEBACK_BYTES } from "../lib/adapters/node_api/file_sink.ts";
import { openDenoFileSink } from "../lib/adapters/deno/file_sink.ts";
import { type FileSink, PARTIAL_DOWNLOAD_SUFFIX } from "../mod.ts";
import { testBytes } from "../lib/testing/_test_bytes.ts";
import { sameBytes } from "../lib/testing/_same_bytes.ts";

type Datasync = () => Promise<void>;

const MiB = 1024 * 1024;
const SINKS: [string, (path: string) => FileSink][] = [["node:fs sink", openNodeFileSink]];
if ((globalThis as { Deno?: unknown }).Deno !== undefined) {
  SINKS.push(["Deno sink", openDenoFileSink]);
}

let dir: string;
let proto: { datasync: Datasync };
let original: Datasync;
let calls = 0;
let failWith: Error | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "ossup-writeback-"));
  // FileHandle is not exported by name; every runtime's handles share one prototype.
  const probe = await open(join(dir, "probe"), "w");
  proto = Object.getPrototypeOf(probe);
  await probe.close();
  original = proto.datasync;
  proto.datasync = function (this: unknown) {
    calls++;
    return failWith ? Promise.reject(failWith) : original.call(this);
  };
});

after(async () => {
  proto.datasync = original;
  await rm(dir, { recursive: true, force: true });
});

const exists = (path: string) => access(path).then(() => true, () => false);

/** Writes `size` bytes in 1 MiB pieces, one after another, and says how many flushes began. */
async function writeAll(sink: FileSink, data: Uint8Array): Promise<number> {
  const before = calls;
  for (let at = 0; at < data.length; at += MiB) {
    await sink.write(at, data.subarray(at, Math.min(at + MiB, data.length)));
  }
  return calls - before;
}

for (const [name, openSink] of SINKS) {
  describe(`file sink writeback: ${name}`, () => {
    it("starts a background flush once WRITEBACK_BYTES are written, at most one per that many", async () => {
      failWith = undefined;
      const path = join(dir, `${name}-big.bin`);
      const data = testBytes(3 * WRITEBACK_BYTES + 5, 3);
      const sink = openSink(path);
      await sink.open(false);
      const flushes = await writeAll(sink, data);
      // The first starts as the write reaching WRITEBACK_BYTES ends; a later one only when the
      // one before has ended, so 1 to 3 for 3 × WRITEBACK_BYTES.
      assert.ok(flushes >= 1 && flushes <= 3, `${flushes} flushes before the commit`);
      await sink.commit(data.length);
      const h = await open(path, "r");
      const back = new Uint8Array(data.length);
      await h.read(back, 0, back.length, 0);
      await h.close();
      assert.ok(sameBytes(back, data), "the target holds the bytes");
    });

    it("leaves a small download to the commit's sync alone", async () => {
      failWith = undefined;
      const path = join(dir, `${name}-small.bin`);
      const data = testBytes(WRITEBACK_BYTES - 1, 4);
      const sink = openSink(path);
      await sink.open(false);
      assert.equal(await writeAll(sink, data), 0);
      await sink.commit(data.length);
      assert.ok(await exists(path));
    });

    it("fails the commit when a background flush failed; the target is not written", async () => {
      const path = join(dir, `${name}-failed.bin`);
      const data = testBytes(WRITEBACK_BYTES + 1, 5);
      const sink = openSink(path);
      await sink.open(false);
      failWith = Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
      try {
        assert.ok(await writeAll(sink, data) >= 1);
        await assert.rejects(sink.commit(data.length), (err) => err === failWith);
      } finally {
        failWith = undefined;
      }
      assert.equal(await exists(path), false, "nothing at the target");
      await sink.discard();
      assert.equal(
        await exists(path + PARTIAL_DOWNLOAD_SUFFIX),
        false,
        "discard removes the partial file",
      );
    });
  });
}
