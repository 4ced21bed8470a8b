// A new upload reads and hashes its first parts while InitiateMultipartUpload is on its way
// (lib/upload/_prefetch_part.ts): the server holds Initiate until the source has been read that
// many parts, which happens only if they were read ahead (the parts phase starts after the
// answer). Each part is still read once, and the upload is whole.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OssClient } from "../mod.ts";
import type { FetchHandler } from "../lib/server/listen.ts";
import { PartPrefetch } from "../lib/upload/_prefetch_part.ts";
import { planParts } from "../lib/upload/part_plan.ts";
import { startServer, type TestServer } from "./_server.ts";
import {
  clientOptions,
  objectBytes,
  sameBytes,
  syntheticBytes,
  syntheticSource,
} from "./_upload_fixtures.ts";

const KiB = 1024;
const PART = 100 * KiB;

describe("a new upload reads its first parts while Initiate is on its way", () => {
  let server: TestServer;
  /** Parts read so far (reads of a part's length; the fingerprint reads 4 KiB windows). */
  let partsRead = 0;
  let wake: (() => void) | undefined;
  let holdUntil = 0;
  let readAtAnswer: number | undefined;

  const holding = (inner: FetchHandler): FetchHandler => async (req, env) => {
    const url = new URL(req.url);
    if (req.method === "POST" && url.searchParams.has("uploads") && holdUntil > 0) {
      if (partsRead < holdUntil) await new Promise<void>((resolve) => wake = resolve);
      readAtAnswer = partsRead;
    }
    return await inner(req, env);
  };

  before(async () => {
    server = await startServer({ wrapHandler: holding });
    await new OssClient(clientOptions(server)).createBucket("prefetch");
  });

  after(async () => {
    await server.close();
  });

  for (const routines of [4, "auto"] as const) {
    // "auto" runs 11 parts as one wave: all at once (see routinesFor).
    const ahead = routines === "auto" ? 11 : routines;
    // Without reading ahead, the held Initiate is never answered: the timeout fails the test.
    it(
      `routines ${routines}: ${ahead} parts are read before Initiate is answered, each part once`,
      { timeout: 30_000 },
      async () => {
        const size = 10 * PART + 123;
        const reads = new Map<number, number>();
        partsRead = 0;
        const source = syntheticSource(size, {
          seed: 7,
          name: `prefetch-${routines}`,
          onRead: (offset, length) => {
            if (offset % PART !== 0 || (length !== PART && offset + length !== size)) return; // fingerprint
            reads.set(offset, (reads.get(offset) ?? 0) + 1);
            partsRead++;
            if (partsRead >= holdUntil) wake?.();
          },
        });
        holdUntil = ahead;
        readAtAnswer = undefined;
        const bucket = new OssClient(clientOptions(server)).bucket("prefetch");
        try {
          const result = await bucket.uploadFile(`k-${routines}`, source, {
            partSize: PART,
            routines,
          });
          assert.equal(result.parts, 11);
          assert.equal(result.crc64Verified, true);
        } finally {
          holdUntil = 0;
        }
        // Exactly the routines' first parts: no more were read before the parts phase began.
        assert.equal(readAtAnswer, ahead);
        assert.deepEqual(
          [...reads.keys()].sort((a, b) => a - b),
          Array.from({ length: 11 }, (_, i) => i * PART),
        );
        assert.deepEqual([...new Set(reads.values())], [1], "every part read once");
        assert.ok(sameBytes(await objectBytes(bucket, `k-${routines}`), syntheticBytes(size, 7)));
      },
    );
  }

  it("PartPrefetch: release() hands back the buffers read, take() of another plan's part stops it", async () => {
    // What the engine relies on when the part size changes after Initiate: the buffers read
    // ahead come back once no read is in flight, for the new parts.
    const size = 5 * PART;
    let read = 0;
    let thirdRead!: () => void;
    const third = new Promise<void>((resolve) => thirdRead = resolve);
    const source = syntheticSource(size, {
      onRead: () => {
        if (++read === 3) thirdRead();
      },
    });
    const prefetch = new PartPrefetch(source, planParts(size, PART), 3);
    await third;
    const buffers = await prefetch.release();
    assert.equal(read, 3);
    assert.deepEqual(buffers.map((b) => b.length), [PART, PART, PART]);
    assert.equal(prefetch.take(1, PART), undefined, "released: nothing left to take");

    const other = new PartPrefetch(syntheticSource(size), planParts(size, PART), 3);
    assert.equal(other.take(1, 2 * PART), undefined, "another plan's parts are not these");
    assert.ok((await other.release()).length <= 1, "the first take stopped the reading ahead");
  });
});
