// A child process running a resumable upload is SIGKILLed at several points;
// the same call then runs again here. It completes, the object is
// byte-identical, it says it resumed, and the bytes the server received for
// parts across both runs exceed the file's size by at most routines × part size.
// Once the child is dead the server drops its connections and lets what had
// arrived end, so none of the child's requests can land while the second run is
// measured.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  exists,
  KB100,
  objectBytes,
  partsReceived,
  sameBytes,
  startUploadChild,
  type UploadEnv,
  uploadEnv,
  uploadIdsOf,
  writeTestFile,
} from "./_upload_fixtures.ts";
import type { FaultStats } from "../lib/server/faults.ts";
import { GatedClock } from "./_gated_clock.ts";

const PARTS = 30;
const SIZE = PARTS * KB100 - 1000; // about 3 MB
const ROUTINES = 3;

describe("uploadFile resumes after SIGKILL", () => {
  let env: UploadEnv;
  // Holds the child's requests at the server until it has been killed.
  const clock = new GatedClock();
  before(async () => {
    env = await uploadEnv("resume", { faultClock: clock });
  });
  after(async () => {
    clock.release();
    await env.close();
  });

  // Where the child is killed, and from which UploadPart on the server holds its parts (so
  // it is surely still at work then, however slow the machine).
  const points: [string, (stats: FaultStats) => boolean, number | undefined][] = [
    ["after the first part", (stats) => partsReceived(stats) >= 1, 2],
    ["midway", (stats) => partsReceived(stats) >= PARTS / 2, PARTS / 2 + 1],
    [
      "right before Complete",
      (stats) => (stats.requests.CompleteMultipartUpload ?? 0) >= 1,
      undefined,
    ],
  ];
  for (const [name, killWhen, holdPartsFrom] of points) {
    it(`completes after a kill ${name}, sending at most routines × part size again`, async () => {
      const key = `killed-${name.replaceAll(" ", "-")}`;
      const { path, bytes } = await writeTestFile(env.dir, `${key}.bin`, SIZE, 21);
      const control = env.server.control;
      control.clear();
      clock.hold();
      if (holdPartsFrom !== undefined) {
        control.add({
          operation: "UploadPart",
          nth: holdPartsFrom,
          times: 0,
          action: { type: "latency", ms: 0 },
        });
      }
      // Complete never gets through: held until the child is dead, then cut.
      control.add({
        operation: "CompleteMultipartUpload",
        times: 0,
        action: { type: "latency", ms: 0 },
      });
      control.add({
        operation: "CompleteMultipartUpload",
        times: 0,
        action: { type: "reset", phase: "request" },
      });

      const run = startUploadChild(env, { key, path, partSize: KB100, routines: ROUTINES });
      await Promise.race([run.exit, control.when(killWhen)]);
      assert.equal(run.exited(), false, `the child ended before it was killed:\n${run.output()}`);
      run.child.kill("SIGKILL");
      assert.equal(await run.exit, "SIGKILL");
      assert.ok(!/^done/m.test(run.output()), "killed before it finished");
      const cp = `${path}.cp`;
      assert.ok(await exists(cp), "the child left its checkpoint");
      // Nothing more can arrive from the child, and what had arrived (held requests let go)
      // has ended.
      clock.release();
      await env.server.dropConnections();
      const sentBefore = control.stats().partBytes;
      control.clear(); // its rules and counts

      const result = await env.bucket.uploadFile(key, path, {
        partSize: KB100,
        routines: ROUTINES,
        checkpoint: true,
      });
      assert.equal(result.resumed, true);
      assert.equal(result.crc64Verified, true);
      assert.ok(sameBytes(await objectBytes(env.bucket, key), bytes), "byte-identical");
      const sentAfter = control.stats().partBytes;
      const again = sentBefore + sentAfter - SIZE;
      assert.ok(
        again <= ROUTINES * KB100,
        `${again} bytes sent again (child sent ${sentBefore}, this run ${sentAfter})`,
      );
      assert.equal(result.bytesSent, sentAfter);
      if (name === "right before Complete") assert.equal(result.partsUploaded, 0);
      assert.equal(await exists(cp), false, "checkpoint deleted");
      assert.equal(await exists(`${cp}.lock`), false, "lock released");
      assert.deepEqual(await uploadIdsOf(env.bucket, key), []);
    });
  }
});
