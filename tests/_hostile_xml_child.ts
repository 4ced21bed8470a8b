/**
 * Child process of `server_hostile_xml.test.ts`: runs the local server in
 * this process, sends it `count` hostile CompleteMultipartUpload bodies at
 * once, and has an {@linkcode RssProbe} sample its memory as each answer
 * arrives (the others are still being read or decoded then). The baseline is
 * taken after a warm-up of two such bodies, in this same process.
 *
 * Usage: `<runtime> tests/_hostile_xml_child.ts <count>`. Prints the probe's
 * report; exits non-zero when an answer is not NoSuchUpload.
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import { RssProbe } from "./_memory_probe.ts";
import { ENTITY_BODY, HOSTILE_BUCKET, startComplete } from "./_hostile_complete.ts";
import { rawRequest } from "./_oss_http.ts";
import { startServer } from "./_server.ts";

const count = Number(process.argv[2]);
const server = await startServer({ allowAnonymous: true });
const created = await rawRequest(server, { method: "PUT", target: `/${HOSTILE_BUCKET}` });
assert.equal(created?.status, 200, created?.text);

/** Sends `n` bodies at once; `onAnswer` runs as each answer arrives. */
async function completeAll(n: number, onAnswer: () => void = () => {}): Promise<void> {
  const calls = Array.from({ length: n }, () => startComplete(server.endpoint, ENTITY_BODY));
  for (const c of calls) c.finish();
  await Promise.all(calls.map(async (c) => {
    assert.match(await c.answer, /<Code>NoSuchUpload<\/Code>/);
    onAnswer();
  }));
}

// Warm-up: code paths, buffers and the heap's first growth stay for the process's life.
await completeAll(2);
const probe = new RssProbe();
await completeAll(count, () => probe.sample());
await server.close();
probe.report();
process.exit(0);
