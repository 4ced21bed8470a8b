// Memory stays bounded by about routines × part size whatever the source's
// size: a 384 MB generated source goes up with 4 routines of 4 MB parts while
// the client's RSS is sampled after every part. The server and the client run
// in child processes of their own, so the RSS measured is the client's alone,
// against a baseline the client took itself after a warm-up (_memory_probe.ts).
//
// Each sample follows a full collection, so it measures what is held: per
// routine the engine's one reused part buffer plus fetch's copy of the body
// (the Fetch spec's "copy of the byte sequence") and the transport's. Without
// the collection, Deno's V8 collects those copies only every few parts and
// RSS grows about 5 × routines × part size (measured: ~90 MB at 4 MB parts,
// 160–240 MB at 8 MB, ~300 MB at 16 MB), which is what a user sees at peak.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { measureInChild } from "./_memory_probe.ts";
import { childArgsFor, type ServerProcess, startMemoryServerProcess } from "./_server_process.ts";
import { ROOT } from "./_upload_fixtures.ts";

const CHILD = join(ROOT, "tests", "_upload_memory_child.ts");

const MB = 1024 * 1024;
const SIZE = 384 * MB;
const PART_SIZE = 4 * MB;
const ROUTINES = 4;

describe("uploadFile memory", () => {
  let server: ServerProcess;
  before(async () => {
    server = await startMemoryServerProcess();
  });
  after(async () => {
    await server.stop();
  });

  it(`uploads ${SIZE / MB} MB with ${ROUTINES} × ${PART_SIZE / MB} MB parts in bounded memory`, async () => {
    const { baseline, peak } = await measureInChild(
      CHILD,
      childArgsFor(server, {
        bucket: "memory",
        size: SIZE,
        partSize: PART_SIZE,
        routines: ROUTINES,
      }),
      ROOT,
    );
    const growth = peak - baseline;
    // Per routine: the engine's part buffer, fetch's copy of it, and the transport's.
    const limit = ROUTINES * PART_SIZE * 3;
    console.log(`rss growth uploading ${SIZE / MB} MB: ${(growth / MB).toFixed(1)} MB`);
    assert.ok(
      growth < limit,
      `RSS grew ${(growth / MB).toFixed(0)} MB uploading ${SIZE / MB} MB (limit ${limit / MB} MB)`,
    );
  });

  // routines "auto" asked to start at 8: the budget of 4 parts must hold from the first part.
  const AUTO_SIZE = 128 * MB;
  const MAX_MEMORY = 16 * MB;
  it(`routines "auto" keeps ${AUTO_SIZE / MB} MB of ${PART_SIZE / MB} MB parts within maxMemory ${MAX_MEMORY / MB} MB`, async () => {
    const { baseline, peak } = await measureInChild(
      CHILD,
      childArgsFor(server, {
        bucket: "memory-auto",
        size: AUTO_SIZE,
        partSize: PART_SIZE,
        routines: "auto",
        maxMemory: MAX_MEMORY,
        initial: 8,
      }),
      ROOT,
    );
    const growth = peak - baseline;
    // maxMemory bounds the engine's part buffers; fetch and the transport hold a copy each.
    const limit = MAX_MEMORY * 3;
    console.log(
      `rss growth uploading ${AUTO_SIZE / MB} MB with "auto": ${(growth / MB).toFixed(1)} MB`,
    );
    assert.ok(
      growth < limit,
      `RSS grew ${(growth / MB).toFixed(0)} MB uploading ${AUTO_SIZE / MB} MB (limit ${
        limit / MB
      } MB)`,
    );
  });
});
