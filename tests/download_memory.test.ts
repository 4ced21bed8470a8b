// Memory stays bounded by about routines × part size whatever the object's size: a 192 MB
// object comes down with 4 routines of 8 MB ranges while the client's RSS is sampled (after a
// full collection) after every part. The server and the client run in child processes of their
// own, so the RSS measured is the client's alone, against a baseline it took itself after a
// warm-up (_memory_probe.ts). Ranges are written as they arrive, so nothing of the engine's
// grows with the object; the bound is twice routines × part size: the engine's own budget
// plus what the transport's chunk buffers hold until the collector frees them (Node's
// node:http copies every chunk; one run in a loaded full suite reached 49 MB of 64). An
// engine that kept the object would grow by 192 MB.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { measureInChild } from "./_memory_probe.ts";
import { childArgsFor, type ServerProcess, startMemoryServerProcess } from "./_server_process.ts";
import { ROOT } from "./_upload_fixtures.ts";

const CHILD = join(ROOT, "tests", "_download_memory_child.ts");

const MB = 1024 * 1024;
const SIZE = 192 * MB;
const PART_SIZE = 8 * MB;
const ROUTINES = 4;

describe("downloadFile memory", () => {
  let server: ServerProcess;
  before(async () => {
    server = await startMemoryServerProcess();
  });
  after(async () => {
    await server.stop();
  });

  it(`downloads ${SIZE / MB} MB with ${ROUTINES} × ${PART_SIZE / MB} MB ranges within 2 × routines × part size`, async () => {
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
    const limit = 2 * ROUTINES * PART_SIZE;
    console.log(`rss growth downloading ${SIZE / MB} MB: ${(growth / MB).toFixed(1)} MB`);
    assert.ok(
      growth < limit,
      `RSS grew ${(growth / MB).toFixed(0)} MB downloading ${SIZE / MB} MB (limit ${
        limit / MB
      } MB)`,
    );
  });
});
