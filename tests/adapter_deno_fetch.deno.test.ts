// The transport contract on Deno's default fetch: node:http for requests with a body, Deno's
// own fetch (without gzip) for those without.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { createDenoFetch, withDenoFetch } from "../lib/adapters/deno/default_fetch.ts";
import { OssClient as DenoOssClient } from "../lib/deno.ts";
import { OssClient as ModOssClient } from "../mod.ts";
import { transportContract } from "../lib/testing/mod.ts";
import { streamOf } from "./_byte_stream.ts";

transportContract("createDenoFetch", {
  make: () => createDenoFetch(),
  streamsAnswers: true,
  // Requests without a body go through Deno's own fetch, which opens nothing ahead.
  preconnects: ["upload"],
  withDefaultFetch: withDenoFetch,
  otherBodies: {
    "a ReadableStream": (bytes) => streamOf(bytes, 65_536),
    "a Blob": (bytes) => new Blob([bytes]),
  },
  clients: [
    { entry: "lib/deno.ts", Client: DenoOssClient },
    { entry: "mod.ts", Client: ModOssClient },
  ],
});

describe("createDenoFetch: bodies arrive as stored", () => {
  const stored = gzipSync(new TextEncoder().encode("hello ".repeat(100)));
  let server: Deno.HttpServer<Deno.NetAddr>;
  let url = "";
  before(() => {
    server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) =>
        new Response(stored, {
          headers: {
            "content-encoding": "gzip",
            "x-accept-encoding": req.headers.get("accept-encoding") ?? "",
          },
        }),
    );
    url = `http://127.0.0.1:${server.addr.port}/`;
  });
  after(() => server.shutdown());

  it("asks for identity and does not decompress a gzip body", async () => {
    const res = await createDenoFetch()(url);
    assert.equal(res.headers.get("x-accept-encoding"), "identity");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(stored));
  });

  it("keeps an accept-encoding the caller set", async () => {
    const res = await createDenoFetch()(url, { headers: { "accept-encoding": "br" } });
    assert.equal(res.headers.get("x-accept-encoding"), "br");
    await res.body?.cancel();
  });
});
