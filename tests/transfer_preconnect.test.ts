// uploadFile and downloadFile open their parts' connections while their first exchange is on its
// way: the server holds InitiateMultipartUpload (or HeadObject) until a TCP relay in front of it
// has accepted as many connections as the transfer runs routines, which happens only if they
// were opened ahead (without that, the client opens nothing more while it waits for the answer).
// Through each runtime entry's own transport; Deno sends GETs through its own fetch, which opens
// nothing ahead, so the download cases (downloadFile, cp -r down) run on Bun and Node.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OssClient as CoreOssClient } from "../mod.ts";
import type { FetchHandler } from "../lib/server/listen.ts";
import { startServer, type TestServer } from "./_server.ts";
import { startTcpCounter, type TcpCounter } from "./_tcp_counter.ts";
import { testBytes } from "./_test_bytes.ts";
import { objectBytes, sameBytes } from "./_upload_fixtures.ts";
import { runOssup, serverEnv } from "./_cli_run.ts";

const g = globalThis as { Deno?: unknown; Bun?: unknown };
const runtime = g.Deno ? "deno" : g.Bun ? "bun" : "node";
const KiB = 1024;
const PART = 100 * KiB;

/** The runtime entry's client class: its own transport, which can open connections ahead. */
async function entryClient(): Promise<typeof CoreOssClient> {
  const entry = runtime === "deno"
    ? "../lib/deno.ts"
    : runtime === "bun"
    ? "../lib/bun.ts"
    : "../lib/node.ts";
  return (await import(entry)).OssClient;
}

describe(`opening the parts' connections during the first exchange (${runtime})`, () => {
  let server: TestServer;
  let relay: TcpCounter;
  let dir: string;
  let OssClient: typeof CoreOssClient;
  /** A client of its own (a transport with no connection open yet) through the relay. */
  const freshClient = () =>
    new OssClient({
      endpoint: relay.url,
      region: server.region,
      accessKeyId: server.accessKeyId,
      accessKeySecret: server.accessKeySecret,
    });
  /** Connections the relay must have accepted before the held exchange is answered. */
  let holdUntil = 0;
  /** Which exchange to hold: `POST …?uploads`, `HEAD`, or a bucket's listing (`GET /bucket/`). */
  let held: "initiate" | "head" | "list" | undefined;
  /** Connections accepted when the held exchange was let go. */
  let acceptedAtAnswer: number | undefined;

  const holding = (inner: FetchHandler): FetchHandler => async (req, env) => {
    const url = new URL(req.url);
    const isInitiate = req.method === "POST" && url.searchParams.has("uploads");
    const isListing = req.method === "GET" && url.pathname === "/preconnect/" &&
      !url.searchParams.has("uploads");
    if (
      (held === "initiate" && isInitiate) || (held === "head" && req.method === "HEAD") ||
      (held === "list" && isListing)
    ) {
      await relay.whenAccepted(holdUntil);
      acceptedAtAnswer = relay.accepted();
    }
    return await inner(req, env);
  };

  before(async () => {
    server = await startServer({ wrapHandler: holding });
    relay = await startTcpCounter(server.url);
    dir = await mkdtemp(join(tmpdir(), "ossup-preconnect-"));
    OssClient = await entryClient();
    await freshClient().createBucket("preconnect");
  });

  after(async () => {
    await relay.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const routines of [4, "auto"] as const) {
    // "auto" starts a download at 8 routines when there are that many parts; an upload, which
    // knows its part count from the start, runs 11 parts as one wave (all at once).
    const connections = routines === "auto" ? 8 : routines;
    const uploadConnections = routines === "auto" ? 11 : routines;
    const size = 10 * PART + 123;

    it(`uploadFile, routines ${routines}: ${uploadConnections} connections are open before Initiate is answered`, async () => {
      const data = testBytes(size, 31);
      const path = join(dir, `up-${routines}.bin`);
      await writeFile(path, data);
      const client = freshClient();
      const before = relay.accepted();
      held = "initiate";
      holdUntil = before + uploadConnections;
      try {
        const result = await client.bucket("preconnect").uploadFile(`up-${routines}`, path, {
          partSize: PART,
          routines,
        });
        assert.equal(result.parts, 11);
        assert.equal(result.crc64Verified, true);
      } finally {
        held = undefined;
      }
      assert.ok(acceptedAtAnswer! >= holdUntil, `${acceptedAtAnswer} accepted at the answer`);
      // Once: a timed-out Initiate sent again would have opened a connection of its own.
      const initiates = server.handledOn(`/preconnect/up-${routines}`)
        .filter((r) => r.method === "POST" && new URL(r.url).searchParams.has("uploads"));
      assert.equal(initiates.length, 1);
      const stored = await objectBytes(client.bucket("preconnect"), `up-${routines}`);
      assert.ok(sameBytes(stored, data));
    });

    if (runtime !== "deno") {
      it(`downloadFile, routines ${routines}: ${connections} connections are open before HeadObject is answered`, async () => {
        const data = testBytes(size, 32);
        await freshClient().bucket("preconnect").putObject(`down-${routines}`, data);
        const path = join(dir, `down-${routines}.bin`);
        const client = freshClient();
        const before = relay.accepted();
        held = "head";
        holdUntil = before + connections;
        try {
          const result = await client.bucket("preconnect").downloadFile(`down-${routines}`, path, {
            partSize: PART,
            routines,
          });
          assert.equal(result.parts, 11);
        } finally {
          held = undefined;
        }
        assert.ok(acceptedAtAnswer! >= holdUntil, `${acceptedAtAnswer} accepted at the answer`);
        const heads = server.handledOn(`/preconnect/down-${routines}`)
          .filter((r) => r.method === "HEAD");
        assert.equal(heads.length, 1);
        assert.ok(sameBytes(new Uint8Array(await readFile(path)), data));
      });
    }
  }

  if (runtime !== "deno") {
    it("cp -r down, --jobs 3: the jobs' connections are open before ListObjects is answered", async () => {
      const bucket = freshClient().bucket("preconnect");
      const files = ["tree/a.txt", "tree/b/c.txt", "tree/d e.txt", "tree/f.txt"];
      for (const [i, key] of files.entries()) {
        await bucket.putObject(key, testBytes(100 + i, 40 + i));
      }
      const into = join(dir, "tree-down");
      const before = relay.accepted();
      held = "list";
      holdUntil = before + 3;
      let run;
      try {
        run = await runOssup(["cp", "-r", "oss://preconnect/tree/", into, "--jobs", "3"], {
          cwd: dir,
          env: serverEnv({ ...server, url: relay.url }),
        });
      } finally {
        held = undefined;
      }
      assert.equal(run.code, 0, run.stderr);
      assert.ok(acceptedAtAnswer! >= holdUntil, `${acceptedAtAnswer} accepted at the answer`);
      const lists = server.handledOn("/preconnect/")
        .filter((r) => r.method === "GET" && !new URL(r.url).searchParams.has("uploads"));
      assert.equal(lists.length, 1, "ListObjects sent once");
      for (const [i, key] of files.entries()) {
        const got = await readFile(join(into, ...key.slice("tree/".length).split("/")));
        assert.ok(sameBytes(new Uint8Array(got), testBytes(100 + i, 40 + i)), key);
      }
    });
  }

  it("Bucket.preconnect refuses a count outside 1 to 100 and a purpose it does not know", () => {
    const bucket = freshClient().bucket("preconnect");
    assert.throws(
      () => bucket.preconnect({ connections: 0 }),
      /connections must be an integer from 1 to 100, got 0/,
    );
    assert.throws(() => bucket.preconnect({ connections: 101 }), RangeError);
    assert.throws(() => bucket.preconnect({ connections: 1.5 }), RangeError);
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => bucket.preconnect({ for: "sync" as any }),
      /for must be "upload" or "download", got sync/,
    );
  });
});
