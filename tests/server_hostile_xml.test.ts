/**
 * Hostile CompleteMultipartUpload bodies under the 8 MiB limit cost the
 * server bounded memory and do not hold up other requests: 7.5 MB of
 * `&amp;` entities, 8 at once, measured in a child process of its own as the
 * peak RSS over its own baseline, each sample after a full collection (see
 * `_memory_probe.ts`); an unrelated listing is answered while 32 such bodies
 * are in flight; and documents past OSS's shape (more than 10,000 parts,
 * deeper nesting) are refused with MalformedXML.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { ENTITY_BODY, HOSTILE_BUCKET as BUCKET, startComplete } from "./_hostile_complete.ts";
import { measureInChild } from "./_memory_probe.ts";
import { rawRequest } from "./_oss_http.ts";
import type { TestServer } from "./_server.ts";
import { type ServerProcess, startServerProcess } from "./_server_process.ts";

const MiB = 1024 * 1024;
const CHILD = fileURLToPath(new URL("./_hostile_xml_child.ts", import.meta.url));
/** Bodies sent at once in the memory test. */
const AT_ONCE = 8;
/**
 * Peak growth allowed for 8 such bodies at once. Before bodies were budgeted and entities decoded
 * in one pass, 8 cost +948 MiB (one alone +374 MiB); now two are read at a time, each costing a
 * few times its size.
 */
const PEAK_GROWTH_BOUND = 192 * MiB;

describe("hostile CompleteMultipartUpload bodies", () => {
  let serverProcess: ServerProcess;
  let server: TestServer;

  before(async () => {
    serverProcess = await startServerProcess([
      "--memory",
      "--allow-anonymous",
      "--access-key-id",
      "hostile-ak",
      "--access-key-secret",
      "hostile-secret",
    ]);
    server = { url: serverProcess.url, endpoint: new URL(serverProcess.url).host } as TestServer;
    assert.equal((await rawRequest(server, { method: "PUT", target: `/${BUCKET}` }))?.status, 200);
  });

  after(async () => {
    await serverProcess?.stop();
  });

  it(`${AT_ONCE} bodies of 7.5 MB of entities at once: peak RSS growth stays bounded`, async () => {
    const { baseline, peak } = await measureInChild(CHILD, [String(AT_ONCE)]);
    const growth = peak - baseline;
    assert.ok(
      growth <= PEAK_GROWTH_BOUND,
      `peak RSS grew ${(growth / MiB).toFixed(0)} MiB (bound ${PEAK_GROWTH_BOUND / MiB} MiB)`,
    );
  });

  it("a listing is answered while 32 hostile bodies are in flight", async () => {
    const calls = Array.from({ length: 32 }, () => startComplete(server.endpoint, ENTITY_BODY));
    const listing = await rawRequest(server, { method: "GET", target: `/${BUCKET}` });
    assert.equal(listing?.status, 200, listing?.text);
    assert.match(listing!.text, /<ListBucketResult>/);
    for (const c of calls) c.finish();
    for (const answer of await Promise.all(calls.map((c) => c.answer))) {
      assert.match(answer, /<Code>NoSuchUpload<\/Code>/);
    }
  });

  it("refuses more than 10,000 parts and nesting past the schema: 400 MalformedXML", async () => {
    const part = "<Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>";
    for (
      const body of [
        `<CompleteMultipartUpload>${part.repeat(10_001)}</CompleteMultipartUpload>`,
        `<CompleteMultipartUpload><Part><ETag><x>1</x></ETag></Part></CompleteMultipartUpload>`,
        `<CompleteMultipartUpload>${"<Part/>".repeat(200_000)}</CompleteMultipartUpload>`,
      ]
    ) {
      const res = await rawRequest(server, {
        method: "POST",
        target: `/${BUCKET}/key?uploadId=00000000000000000000000000000000`,
        headers: [["Content-Length", String(new TextEncoder().encode(body).length)]],
        body,
      });
      assert.equal(res?.status, 400, res?.text);
      assert.match(res!.text, /<Code>MalformedXML<\/Code>/);
    }
  });
});
