/**
 * Reading a request body into a backend while computing what OSS reports
 * about it (size, MD5 ETag, CRC64) and enforcing the declared length and
 * `Content-MD5`, without ever holding the whole body.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Crc64 } from "../crc64/crc64.ts";
import { inlineMd5, type Md5, type Md5Threads } from "./_md5_threads.ts";
import { ServerError } from "./server_error.ts";
import { type BodyInput, StorageError } from "./storage.ts";

/** What the storage learns about a body by reading it. */
export interface BodyDigest {
  size: number;
  /** Upper-case MD5 hex. */
  etag: string;
  crc64: bigint;
}

const BASE64_MD5 = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Bodies declared at least this long are hashed on an MD5 thread (when the
 * storage has some); shorter ones cost less inline than the hand-off.
 */
const THREAD_MIN_LENGTH = 1 << 20;

/** Options of {@linkcode drainBody}. */
export interface DrainOptions {
  /** Threads for the MD5 of large bodies; inline when absent. */
  md5Threads?: Md5Threads;
}

/**
 * Feeds every chunk of `body` to `sink` in order and returns the digest.
 * Throws `InvalidDigest` for a malformed or mismatched `Content-MD5`,
 * `IncompleteBody` when the stream ends early or fails, `InvalidArgument`
 * when it runs past the declared length; a `ServerError` the stream fails
 * with (the intake's `RequestTimeout`) is rethrown as it is. The caller discards what the sink
 * received when this throws.
 */
export async function drainBody(
  body: BodyInput,
  sink: (chunk: Uint8Array) => void | Promise<void>,
  options: DrainOptions = {},
): Promise<BodyDigest> {
  const reader = body.stream.getReader();
  let md5: Md5 | undefined;
  try {
    if (body.contentMd5 !== undefined && !BASE64_MD5.test(body.contentMd5)) {
      throw new StorageError("InvalidDigest", "The Content-MD5 you specified is not valid.");
    }
    md5 = options.md5Threads && (body.length ?? 0) >= THREAD_MIN_LENGTH
      ? options.md5Threads.hasher()
      : inlineMd5();
    const crc = new Crc64();
    let size = 0;
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (cause) {
        // The intake's own answer (RequestTimeout) stands as it is.
        if (cause instanceof ServerError) throw cause;
        throw Object.assign(
          new StorageError("IncompleteBody", "The request body could not be read to its end."),
          { cause },
        );
      }
      if (result.done) break;
      const chunk = result.value;
      if (chunk.byteLength === 0) continue;
      size += chunk.byteLength;
      if (body.length !== undefined && size > body.length) {
        throw new StorageError(
          "InvalidArgument",
          "The request body is longer than its declared Content-Length.",
        );
      }
      // On a thread, the MD5 of this chunk runs while CRC64 and the sink run here.
      const hashing = md5.update(chunk);
      hashing?.catch(() => {}); // awaited below; a failure meanwhile is not unhandled
      crc.update(chunk);
      await sink(chunk);
      if (hashing) await hashing;
    }
    if (body.length !== undefined && size < body.length) {
      throw new StorageError(
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
      );
    }
    const digest = Buffer.from(await md5.digest());
    md5 = undefined;
    if (body.contentMd5 !== undefined && digest.toString("base64") !== body.contentMd5) {
      throw new StorageError(
        "InvalidDigest",
        "The Content-MD5 you specified did not match what we received.",
      );
    }
    return { size, etag: digest.toString("hex").toUpperCase(), crc64: crc.digest() };
  } catch (err) {
    md5?.discard();
    reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    reader.releaseLock();
  }
}
