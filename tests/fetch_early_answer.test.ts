// The runtime's own fetch (what browsers and workers upload through, and the
// fallback of our transports) against a server that answers 403 as the
// request head arrives, before it reads the body: what each runtime does,
// measured with the counting server. Every runtime gives the answer. Node's
// (undici) and Bun's fetch then stop the body and close the connection;
// Deno's (2.9) sends the whole body after the answer, whatever its kind.
// That is one more reason the Deno entry uploads through createHttpFetch
// (adapter_http_fetch.test.ts holds it to the stop-at-the-answer contract).

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  type CountingServer,
  type EarlyOutcome,
  socketBufferBound,
  startCountingServer,
} from "./_counting_server.ts";
import { bodyKinds, earlyBodySize, sendIntoEarlyAnswer } from "../lib/testing/_early_answer.ts";

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const bound = socketBufferBound();
// Bun's fetch keeps a send buffer of its own besides the socket's (up to 4.7 MB measured
// after an answer here, against 3.8 MB for Node's fetch): it is held to two socket buffers.
const stopBound = runtime === "bun" ? 2 * bound : bound;
const size = earlyBodySize(bound);
const answer = { status: 403, code: "AccessDenied" };

describe(`fetch (${runtime}): a 403 before a ${size >> 20} MiB body is read`, () => {
  // A server per case: a connection kept after the whole body went is never reused.
  const servers: CountingServer[] = [];
  after(async () => {
    for (const server of servers) await server.close();
  });

  for (const [kind, body] of Object.entries(bodyKinds(size))) {
    const then = runtime === "deno"
      ? "then sends the whole body after it (Deno)"
      : `then sends at most ${
        runtime === "bun" ? "two socket buffers" : "one socket buffer"
      } and closes`;
    it(`gives the answer for ${kind}, ${then}`, async () => {
      const server = await startCountingServer();
      servers.push(server);
      const result = await sendIntoEarlyAnswer(fetch, server, "/early", answer, body());
      const given = result.answer;
      assert.ok(typeof given === "object" && "res" in given, "the answer was given");
      assert.equal(given.res.status, 403);
      assert.match(given.res.text, /<Code>AccessDenied<\/Code>/);
      const outcome = await result.outcome();
      assert.notEqual(outcome, "still open");
      const { after: sentAfter, how } = outcome as EarlyOutcome;
      if (runtime === "deno") {
        assert.equal(how, "whole body");
        assert.ok(sentAfter > size - bound, `${sentAfter} bytes after the answer`);
      } else {
        assert.equal(how, "closed");
        assert.ok(
          sentAfter <= stopBound,
          `${sentAfter} bytes after the answer; at most ${stopBound}`,
        );
      }
    });
  }
});
