/**
 * An early answer, as OSS gives a 403, 400 or 413 before it reads a part: sending a body into
 * one through a transport and measuring, with the counting server, what the transport sent after
 * it; the answers and body kinds the tests use.
 *
 * @module
 */

import {
  type CountingServer,
  type EarlyAnswer,
  type EarlyOutcome,
  socketBufferBound,
} from "./_counting_server.ts";
import { HANG_CEILING_MS, settleWithin } from "./_fetch_outcome.ts";
import { testBytes } from "./_test_bytes.ts";

/** What a transport did with an early answer ({@linkcode sendIntoEarlyAnswer}). */
export interface EarlyResult {
  /** The answer as the caller got it (status and body text), a rejection, or "still pending". */
  answer: { res: { status: number; text: string } } | { error: unknown } | "still pending";
  /**
   * Lets the server read again and gives its count once the client closed the connection
   * or sent the whole body ("still open" when it did neither).
   */
  outcome(): Promise<EarlyOutcome | "still open">;
  /** The connection that carried the request. */
  connection: number;
}

/**
 * Sends `body` to `path`, which `server` answers early with `answer`, and
 * reads the answer while the server still reads nothing; `outcome()` then
 * lets the server read and count what the client goes on sending until the
 * client closes the connection (or has sent the whole body).
 */
export async function sendIntoEarlyAnswer(
  fetch: typeof globalThis.fetch,
  server: CountingServer,
  path: string,
  answer: EarlyAnswer,
  body: BodyInit,
): Promise<EarlyResult> {
  server.answerEarly(path, answer);
  const pending = fetch(`${server.url}${path}`, {
    method: "PUT",
    body,
    duplex: "half", // fetch wants it for a stream body
  } as RequestInit);
  const read = pending.then(async (res) => ({ status: res.status, text: await res.text() }));
  read.catch(() => {});
  const arrived = await settleWithin(server.exchange(path), HANG_CEILING_MS);
  if (!(typeof arrived === "object" && "res" in arrived)) {
    throw new Error(`the request to ${path} never reached the server`);
  }
  const exchange = arrived.res;
  const got = await settleWithin(read, HANG_CEILING_MS);
  const outcome = async () => {
    exchange.resume();
    const ended = await settleWithin(exchange.outcome, HANG_CEILING_MS);
    return typeof ended === "object" && "res" in ended ? ended.res : "still open";
  };
  return { answer: got, outcome, connection: exchange.connection };
}

/** Bodies of `size` bytes by kind: a Uint8Array, a Blob, a ReadableStream of 64 KiB chunks. */
export function bodyKinds(size: number): Record<string, () => BodyInit> {
  let bytes: Uint8Array<ArrayBuffer> | undefined;
  const whole = () => bytes ??= testBytes(size, 19);
  return {
    "a Uint8Array": whole,
    "a Blob": () => new Blob([whole()]),
    "a ReadableStream": () => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= size) return controller.close();
          const chunk = whole().subarray(sent, Math.min(size, sent + 65_536));
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
    },
  };
}

/**
 * The early answers the tests send: 403, 400, 413 leaving the connection open; a 403
 * closing it; a 403 after which the server resets the connection (its writes fail, the
 * answer must still be given).
 */
export const EARLY_ANSWERS: EarlyAnswer[] = [
  { status: 403, code: "AccessDenied" },
  { status: 400, code: "InvalidArgument" },
  { status: 413, code: "EntityTooLarge" },
  { status: 403, code: "AccessDenied", close: true },
  { status: 403, code: "AccessDenied", close: true, destroy: true },
];

/** A body large enough that a transport which does not stop sends far more than the bound. */
export function earlyBodySize(bound = socketBufferBound()): number {
  return Math.max(24 * 1024 * 1024, 4 * bound);
}
