/**
 * Hostile CompleteMultipartUpload bodies under the 8 MiB limit cost the
 * server bounded memory and do not hold up other requests: 7.5 MB of
 * `&amp;` entities, 8 at once, measured as the peak RSS growth of a server
 * child process (Linux `/proc/<pid>` high-water mark, reset after warming up)
 * against its own baseline; an unrelated listing is answered while 32 such
 * bodies are in flight; and documents past OSS's shape (more than 10,000
 * parts, deeper nesting) are refused with MalformedXML.
 */

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { rawRequest } from "./_oss_http.ts";
import type { TestServer } from "./_server.ts";
import { type ServerProcess, startServerProcess } from "./_server_process.ts";

const MiB = 1024 * 1024;
const BUCKET = "hostile";
/** 7.5 MB of `&amp;` inside one ETag: a well-formed body just under the 8 MiB limit. */
const ENTITY_BODY = new TextEncoder().encode(
  "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
    "&amp;".repeat(1_500_000) + "</ETag></Part></CompleteMultipartUpload>",
);
/**
 * Peak growth allowed for 8 such bodies at once. Before bodies were budgeted and entities decoded
 * in one pass, 8 cost +948 MiB (one alone +374 MiB); now two are read at a time, each costing a
 * few times its size.
 */
const PEAK_GROWTH_BOUND = 192 * MiB;

/** `VmRSS` / `VmHWM` of a process, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)![1]);
  return { rss: kb("VmRSS") * 1024, peak: kb("VmHWM") * 1024 };
}

/** Opens a socket and sends a CompleteMultipartUpload head and `body` without its last byte. */
function startComplete(server: TestServer, body: Uint8Array): {
  socket: Socket;
  finish: () => void;
  answer: Promise<string>;
} {
  const [host, port] = server.endpoint.split(":");
  const socket = connect({ host, port: Number(port) });
  const chunks: Buffer[] = [];
  socket.on("data", (d: Buffer) => chunks.push(d));
  const answer = new Promise<string>((resolve) => {
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", () => {});
  });
  socket.write(
    `POST /${BUCKET}/key?uploadId=00000000000000000000000000000000 HTTP/1.1\r\n` +
      `Host: ${server.endpoint}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.write(body.subarray(0, body.length - 1));
  return { socket, finish: () => socket.write(body.subarray(body.length - 1)), answer };
}

describe("hostile CompleteMultipartUpload bodies", () => {
  let serverProcess: ServerProcess;
  let server: TestServer;
  let pid: number;

  before(async () => {
    serverProcess = await startServerProcess([
      "--memory",
      "--allow-anonymous",
      "--access-key-id",
      "hostile-ak",
      "--access-key-secret",
      "hostile-secret",
    ]);
    pid = serverProcess.child.pid!;
    server = { url: serverProcess.url, endpoint: new URL(serverProcess.url).host } as TestServer;
    assert.equal((await rawRequest(server, { method: "PUT", target: `/${BUCKET}` }))?.status, 200);
  });

  after(async () => {
    await serverProcess?.stop();
  });

  const completeAll = async (count: number): Promise<string[]> => {
    const calls = Array.from({ length: count }, () => startComplete(server, ENTITY_BODY));
    for (const c of calls) c.finish();
    return await Promise.all(calls.map((c) => c.answer));
  };

  it("8 bodies of 7.5 MB of entities at once: peak RSS growth stays bounded", async () => {
    // Warm up: code paths, buffers and the heap's first growth stay for the process's life.
    for (const answer of await completeAll(2)) assert.match(answer, /<Code>NoSuchUpload<\/Code>/);
    writeFileSync(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
    const baseline = memoryOf(pid).rss;
    for (const answer of await completeAll(8)) assert.match(answer, /<Code>NoSuchUpload<\/Code>/);
    const growth = memoryOf(pid).peak - baseline;
    assert.ok(
      growth <= PEAK_GROWTH_BOUND,
      `peak RSS grew ${(growth / MiB).toFixed(0)} MiB (bound ${PEAK_GROWTH_BOUND / MiB} MiB)`,
    );
  });

  it("a listing is answered while 32 hostile bodies are in flight", async () => {
    const calls = Array.from({ length: 32 }, () => startComplete(server, ENTITY_BODY));
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
