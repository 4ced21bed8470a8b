// Request bodies that do not arrive whole, on every engine of this runtime
// (Deno.serve / Bun.serve and node:http) and both storages: a body cut by
// the client, or one that stops arriving, is never stored, never replaces
// what was there, and leaves no temp file. Each test waits for the server to
// report the request handled before looking.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FetchHandler } from "../lib/server/listen.ts";
import { serverEngines, startServer, type TestServer } from "./_server.ts";
import { ossFetch, ossText, rawRequest, signedHeaderLines } from "./_oss_http.ts";

const B = "intake";
/** Header line of a request the server reads only once its client is gone. */
const HOLD: [string, string] = ["x-test-read-after-close", "1"];
const ORIGINAL = "the object as it was before";

/** A chunked body announcing `announced` bytes and carrying only `sent`. */
function cutChunked(announced: number, sent: number): Uint8Array {
  const head = new TextEncoder().encode(`${announced.toString(16)}\r\n`);
  const out = new Uint8Array(head.length + sent);
  out.set(head);
  out.fill(0x61, head.length);
  return out;
}

/**
 * Holds requests carrying {@linkcode HOLD} until node:http reports their
 * socket closed (their bodies are small, so node:http keeps reading the
 * socket and sees the close), so the app reads the body only after the client is gone (the case
 * in which Deno's node:http ended a cut body cleanly). Native engines expose
 * no socket; they fail such bodies however late they are read.
 */
function readLateAfterClose(fetch: FetchHandler): FetchHandler {
  return async (req, env) => {
    const socket = (env as { incoming?: { socket?: NodeSocket } } | undefined)?.incoming?.socket;
    if (socket && req.headers.has(HOLD[0]) && !socket.destroyed) {
      await new Promise<void>((resolve) => socket.once("close", resolve));
    }
    return await fetch(req, env);
  };
}

interface NodeSocket {
  destroyed: boolean;
  once(event: "close", listener: () => void): void;
}

async function initiate(server: TestServer, key: string): Promise<string> {
  const init = await ossText(server, {
    method: "POST",
    bucket: B,
    key,
    query: [["uploads", undefined]],
  });
  assert.equal(init.status, 200, init.text);
  return /<UploadId>([^<]+)<\/UploadId>/.exec(init.text)![1];
}

for (const engine of serverEngines()) {
  for (const storage of ["memory", "disk"] as const) {
    describe(`incomplete bodies (${engine} engine, ${storage} storage)`, () => {
      let server: TestServer;
      let dataDir: string | undefined;
      before(async () => {
        dataDir = storage === "disk" ? await mkdtemp(join(tmpdir(), "ossup-intake-")) : undefined;
        server = await startServer({
          engine,
          dataDir,
          bodyIdleTimeoutMs: 300,
          wrapHandler: readLateAfterClose,
        });
        assert.equal((await ossFetch(server, { method: "PUT", bucket: B })).status, 200);
      });
      after(async () => {
        await server.close();
        if (dataDir) await rm(dataDir, { recursive: true, force: true });
      });

      // Deno.serve keeps a socket whose body is unread open until the client leaves (it has
      // no way to close it); every other engine closes it after the RequestTimeout answer.
      const keepsSocket = engine === "native" && "Deno" in globalThis;

      async function putOriginal(key: string): Promise<void> {
        const r = await ossFetch(server, { method: "PUT", bucket: B, key, body: ORIGINAL });
        assert.equal(r.status, 200);
        await r.body?.cancel();
      }

      async function assertOriginal(key: string): Promise<void> {
        const r = await ossFetch(server, { bucket: B, key });
        assert.equal(r.status, 200);
        assert.equal(await r.text(), ORIGINAL, `${key} must keep its previous content`);
      }

      async function assertNoTempFiles(): Promise<void> {
        if (!dataDir) return;
        assert.deepEqual(await readdir(join(dataDir, "tmp")), [], "no temp file may be left");
      }

      const cutPuts: [string, [string, string], Uint8Array][] = [
        ["a chunked PUT cut mid-chunk", ["Transfer-Encoding", "chunked"], cutChunked(1000, 600)],
        [
          "a PUT shorter than its Content-Length, then closed,",
          ["Content-Length", "1000"],
          new Uint8Array(600),
        ],
      ];
      for (const [name, framing, body] of cutPuts) {
        it(`${name} keeps the previous object`, async () => {
          const key = `cut-${framing[0]}.bin`;
          await putOriginal(key);
          await rawRequest(server, {
            method: "PUT",
            target: `/${B}/${key}`,
            headers: [
              framing,
              HOLD,
              ...await signedHeaderLines(server, { method: "PUT", bucket: B, key }),
            ],
            body,
            closeAfterWrite: true,
          });
          const handled = await server.handled("PUT", `/${B}/${key}`, 2);
          assert.notEqual(handled.status, 200);
          await assertOriginal(key);
          await assertNoTempFiles();
        });
      }

      it("a chunked UploadPart cut mid-chunk records no part", async () => {
        const key = "chunked-part.bin";
        const id = await initiate(server, key);
        const query: [string, string][] = [["partNumber", "1"], ["uploadId", id]];
        await rawRequest(server, {
          method: "PUT",
          target: `/${B}/${key}?partNumber=1&uploadId=${id}`,
          headers: [
            ["Transfer-Encoding", "chunked"],
            HOLD,
            ...await signedHeaderLines(server, { method: "PUT", bucket: B, key, query }),
          ],
          body: cutChunked(1000, 600),
          closeAfterWrite: true,
        });
        const handled = await server.handled("PUT", `/${B}/${key}`);
        assert.notEqual(handled.status, 200);
        const lp = await ossText(server, { bucket: B, key, query: [["uploadId", id]] });
        assert.equal(lp.status, 200, lp.text);
        assert.doesNotMatch(lp.text, /<Part>/, "no part may be recorded");
        await assertNoTempFiles();
      });

      it("a body that stops arriving is answered RequestTimeout and discarded", async () => {
        const key = "stalled.bin";
        await putOriginal(key);
        // The client keeps the connection open and sends nothing more: the server times out.
        const answer = await rawRequest(server, {
          method: "PUT",
          target: `/${B}/${key}`,
          headers: [
            ["Content-Length", "100000"],
            ...await signedHeaderLines(server, { method: "PUT", bucket: B, key }),
          ],
          body: new Uint8Array(60_000),
          untilAnswered: keepsSocket,
        });
        assert.equal(answer?.status, 400, answer?.text);
        assert.match(answer!.text, /<Code>RequestTimeout<\/Code>/);
        const handled = await server.handled("PUT", `/${B}/${key}`, 2);
        assert.equal(handled.status, 400);
        await assertOriginal(key);
        await assertNoTempFiles();
      });

      it("a stalled UploadPart is answered RequestTimeout and records no part", async () => {
        const key = "stalled-part.bin";
        const id = await initiate(server, key);
        const query: [string, string][] = [["partNumber", "1"], ["uploadId", id]];
        const answer = await rawRequest(server, {
          method: "PUT",
          target: `/${B}/${key}?partNumber=1&uploadId=${id}`,
          headers: [
            ["Transfer-Encoding", "chunked"],
            ...await signedHeaderLines(server, { method: "PUT", bucket: B, key, query }),
          ],
          body: cutChunked(100_000, 1000),
          untilAnswered: keepsSocket,
        });
        assert.equal(answer?.status, 400, answer?.text);
        assert.match(answer!.text, /<Code>RequestTimeout<\/Code>/);
        await server.handled("PUT", `/${B}/${key}`);
        const lp = await ossText(server, { bucket: B, key, query: [["uploadId", id]] });
        assert.doesNotMatch(lp.text, /<Part>/, "no part may be recorded");
        await assertNoTempFiles();
      });
    });
  }
}
