/**
 * A DiskStorage SIGKILLed mid-write reopens with its buckets, finished
 * objects and unfinished uploads (with their finished parts) intact, and
 * no partial object. The writer runs in a child process on this runtime.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { crc64 } from "../lib/crc64/crc64.ts";
import { DiskStorage } from "../lib/server/disk_storage.ts";
import { md5Hex, multipartEtag } from "./_md5.ts";
import { readAll } from "./_read_stream.ts";
import { durableFixture as f } from "./_storage_disk_fixture.ts";
import { runtimeCommand } from "./_runtime_command.ts";

const here = dirname(fileURLToPath(import.meta.url));
const writer = join(here, "_storage_disk_writer.ts");

/**
 * Runs the writer until it prints `writing`, lets it overwrite the flip key `moreFlips` more
 * times (the other writers run on meanwhile), then SIGKILLs it.
 */
function runAndKill(dataDir: string, round: number, moreFlips: number): Promise<string> {
  const [command, args] = runtimeCommand(writer, [dataDir, String(round)]);
  const child = spawn(command, args, { cwd: join(here, ".."), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let uploadId = "";
  let killed = false;
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d) => err += d);
    child.stdout!.on("data", (d) => {
      out += d;
      const ready = /^ready ([0-9A-F]{32})$/m.exec(out);
      if (ready) uploadId = ready[1];
      const due = moreFlips === 0 ? /^writing$/m : new RegExp(`^flip ${moreFlips}$`, "m");
      if (!killed && due.test(out)) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL" && uploadId) resolve(uploadId);
      else reject(new Error(`writer exited with ${code ?? signal}: ${out}\n${err}`));
    });
  });
}

describe("disk storage: durability across SIGKILL", () => {
  it("reopens whole after being killed mid-write, round after round", async () => {
    const root = await mkdtemp(join(tmpdir(), "ossup-durable-"));
    const data = join(root, "data");
    const uploads: string[] = [];
    try {
      // Killed at different points: as the writers start, and after more writing.
      const moreFlips = [0, 5, 30];
      for (const [round, more] of moreFlips.entries()) {
        uploads.push(await runAndKill(data, round, more));
        const s = await DiskStorage.open(data);
        try {
          assert.deepEqual(await readdir(join(data, "tmp")), [], "stale temp files were cleaned");
          assert.deepEqual((await s.listBuckets()).map((b) => b.name), [f.bucket]);

          for (let r = 0; r <= round; r++) {
            // Finished objects of every round, byte for byte.
            for (let i = 0; i < f.doneCount; i++) {
              const reader = await s.getObject(f.bucket, f.doneKey(r, i));
              const expected = f.doneBytes(r, i);
              assert.equal(reader.meta.etag, md5Hex(expected));
              assert.equal(reader.meta.userMeta.round, String(r));
              assert.equal(md5Hex(await readAll(reader.stream())), md5Hex(expected));
            }
            // The endless put never finished: no trace of it.
            await assert.rejects(s.getObject(f.bucket, f.partialKey(r)), { code: "NoSuchKey" });
          }
          // Each round's unfinished upload is there with its two finished parts only.
          for (const [r, id] of uploads.entries()) {
            const parts = await s.listParts(f.bucket, f.mpuKey(r), id);
            assert.deepEqual(
              parts.map((p) => [p.partNumber, p.etag, p.size]),
              [1, 2].map((n) => [n, md5Hex(f.partBytes(n)), f.partBytes(n).length]),
            );
          }

          // The object overwritten in a loop is one whole version.
          const flip = await s.getObject(f.bucket, f.flipKey);
          const flipBytes = await readAll(flip.stream());
          assert.equal(md5Hex(flipBytes), flip.meta.etag);
          assert.ok(f.flipVersions.some((v) => md5Hex(v) === flip.meta.etag));
          assert.equal(flip.meta.crc64, crc64(flipBytes));

          // The object completed in a loop is whole; leftover loop uploads hold whole parts.
          const loopParts = [f.loopPart(1), f.loopPart(2)];
          const loop = await s.getObject(f.bucket, f.loopKey);
          const loopBytes = await readAll(loop.stream());
          assert.equal(loop.meta.etag, multipartEtag(loopParts));
          assert.equal(loop.meta.objectType, "Multipart");
          assert.equal(loop.meta.crc64, crc64(loopBytes));
          assert.equal(
            md5Hex(loopBytes),
            md5Hex(new Uint8Array([...loopParts[0], ...loopParts[1]])),
          );
          for (const u of await s.listMultipartUploads(f.bucket)) {
            for (const p of await s.listParts(f.bucket, u.key, u.uploadId)) {
              if (u.key === f.loopKey) assert.equal(p.etag, md5Hex(f.loopPart(p.partNumber)));
            }
          }
        } finally {
          await s.close();
        }
      }

      // An upload that survived the kills completes into the right object.
      const s = await DiskStorage.open(data);
      try {
        const meta = await s.completeMultipartUpload(f.bucket, f.mpuKey(0), uploads[0], [
          { partNumber: 1, etag: md5Hex(f.partBytes(1)) },
          { partNumber: 2, etag: md5Hex(f.partBytes(2)) },
        ]);
        assert.equal(meta.etag, multipartEtag([f.partBytes(1), f.partBytes(2)]));
        assert.equal(meta.contentType, "application/x-durable");
        const bytes = await readAll((await s.getObject(f.bucket, f.mpuKey(0))).stream());
        assert.equal(meta.crc64, crc64(bytes));
      } finally {
        await s.close();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
