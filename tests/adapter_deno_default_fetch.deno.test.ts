// Deno's default fetch for the client: node:http unless a proxy variable is
// set, since only Deno's own fetch honours HTTP_PROXY and the like.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { denoProxyConfigured, withDenoFetch } from "../lib/adapters/deno/default_fetch.ts";

const VARIABLES = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
];

describe("denoProxyConfigured and withDenoFetch", () => {
  let saved: Map<string, string | undefined>;
  beforeEach(() => {
    saved = new Map(VARIABLES.map((name) => [name, Deno.env.get(name)]));
    for (const name of VARIABLES) Deno.env.delete(name);
  });
  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  });

  it("sets a fetch on a copy when no proxy variable is set", () => {
    assert.equal(denoProxyConfigured(), false);
    const options: { endpoint: string; fetch?: typeof fetch } = { endpoint: "127.0.0.1:9" };
    const filled = withDenoFetch(options);
    assert.equal(typeof filled.fetch, "function");
    assert.notEqual(filled, options);
    assert.equal(options.fetch, undefined);
  });

  for (const name of VARIABLES) {
    it(`leaves the options to Deno's fetch while ${name} is set, and not after`, () => {
      Deno.env.set(name, "http://127.0.0.1:9");
      assert.equal(denoProxyConfigured(), true);
      const options: { endpoint: string; fetch?: typeof fetch } = { endpoint: "127.0.0.1:9" };
      const kept = withDenoFetch(options);
      assert.equal(kept, options);
      assert.equal(kept.fetch, undefined);

      Deno.env.delete(name);
      assert.equal(denoProxyConfigured(), false);
      assert.equal(typeof withDenoFetch(options).fetch, "function");
    });
  }

  it("ignores a proxy variable set to the empty string", () => {
    Deno.env.set("HTTPS_PROXY", "");
    assert.equal(denoProxyConfigured(), false);
  });

  it("keeps the caller's fetch, proxy or not", () => {
    const mine = (() => Promise.resolve(new Response())) as unknown as typeof fetch;
    assert.equal(withDenoFetch({ fetch: mine }).fetch, mine);
    Deno.env.set("HTTP_PROXY", "http://127.0.0.1:9");
    assert.equal(withDenoFetch({ fetch: mine }).fetch, mine);
  });
});
