/**
 * A reader into the caller's buffers, where the stream offers one.
 *
 * @module
 */

/**
 * A BYOB reader of `body` when it is a byte stream (Deno's `fetch` answers are), else
 * undefined: the stream gives only chunks of its own.
 *
 * @param body A response body.
 * @returns The reader, which locks `body`; or undefined, leaving `body` unlocked.
 */
export function byobReaderOf(
  body: ReadableStream<Uint8Array>,
): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return undefined;
  }
}
