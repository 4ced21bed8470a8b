// A child process running a resumable downloadFile is SIGKILLed at several points; the same
// call then runs again here. Until then nothing is at the file's path; the rerun finishes it
// byte-identical, fetching at most routines × part size again, and leaves neither the partial
// file nor the checkpoint. The server holds the child's ranges from the nth on (a latency fault
// on a gated clock), so at the kill exactly n-1 parts were fetched and recorded, however slow
// the machine; once the child is dead the held requests are let go and their connections cut.

import assert from "node:assert/strict";
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { testBytes } from "./_test_bytes.ts";
import { exists, heldUploadEnv, sameBytes, startTransferChild } from "./_upload_fixtures.ts";

const PART = 64 * 1024;
const PARTS = 30;
const SIZE = PARTS * PART - 777;
const ROUTINES = 3;

describe("downloadFile resumes after SIGKILL", () => {
  const held = heldUploadEnv("dl-resume");
  const clock = held.clock;

  // Where the child is killed: the ranges from this one on are held at the server.
  const points: [string, number][] = [
    ["before any part", 1],
    ["after the first part", 2],
    ["midway", PARTS / 2 + 1],
    ["before the last parts", PARTS - 1],
  ];
  for (const [name, heldFrom] of points) {
    it(`finishes after a kill ${name}, fetching at most routines × part size again`, async () => {
      const key = `killed-${name.replaceAll(" ", "-")}`;
      const bytes = testBytes(SIZE, heldFrom);
      await held.env.bucket.putObject(key, bytes);
      const path = join(held.env.dir, `${key}.bin`);
      const control = held.env.server.control;
      control.clear();
      clock.hold();
      control.add({
        operation: "GetObject",
        key,
        nth: heldFrom,
        times: 0,
        action: { type: "latency", ms: 1 },
      });

      const run = startTransferChild(held.env, "_download_child.ts", {
        key,
        path,
        partSize: PART,
        routines: ROUTINES,
      });
      // The child printed that it recorded the parts before the held ones (with fewer held ranges
      // than routines near the end, a routine may still be on an earlier part when the others
      // are held), and every routine left waits on a held range.
      const recorded = run.printed(`part ${heldFrom - 1}/${PARTS} `);
      const waiting = Math.min(ROUTINES, PARTS - heldFrom + 1);
      await run.killWhen(Promise.all([recorded, clock.held(waiting)]));
      clock.release();
      await held.env.server.dropConnections();
      control.clear();
      // The bytes the child recorded: n-1 parts, though not always the first n-1 (the ranges
      // of the last parts may reach the server out of order, and the last part is short).
      const fetchedBefore = Math.max(
        ...[...run.output().matchAll(/^part \d+\/\d+ bytes (\d+)$/gm)].map((m) => Number(m[1])),
      );
      assert.ok(
        fetchedBefore > (heldFrom - 2) * PART && fetchedBefore <= (heldFrom - 1) * PART,
        `the child recorded ${heldFrom - 1} parts: ${fetchedBefore} bytes`,
      );

      assert.equal(await exists(path), false, "nothing at the file before it is complete");
      assert.ok(await exists(`${path}.ossup-download`), "the partial file is there");
      // The ranges go before the journal's header is stored, and its records after it: once a
      // part is recorded the checkpoint is there; before any, it may not be yet.
      if (heldFrom > 1) {
        assert.ok(await exists(`${path}.ossup-download.cp`), "the checkpoint is there");
      }

      const result = await held.env.bucket.downloadFile(key, path, {
        partSize: PART,
        routines: ROUTINES,
        checkpoint: true,
      });
      assert.ok(sameBytes(new Uint8Array(await readFile(path)), bytes), "byte-identical");
      assert.equal(result.crc64Verified, true);
      assert.equal(result.resumed, heldFrom > 1);
      const again = fetchedBefore + result.bytesReceived - SIZE;
      assert.ok(
        again <= ROUTINES * PART,
        `${again} bytes fetched again (child ${fetchedBefore}, rerun ${result.bytesReceived})`,
      );
      assert.equal(
        result.bytesReceived,
        SIZE - fetchedBefore,
        `only the parts not recorded (rerun ${result.bytesReceived}, expected ${
          SIZE - fetchedBefore
        })`,
      );
      assert.equal(await exists(`${path}.ossup-download`), false, "no partial file left");
      assert.equal(await exists(`${path}.ossup-download.cp`), false, "no checkpoint left");
      assert.equal(await exists(`${path}.ossup-download.cp.lock`), false, "lock released");
    });
  }
});
