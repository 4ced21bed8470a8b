/**
 * Resumable download by ranges: parallel range GETs written in place into a
 * temp file (`<file>.ossup-download`), each finished part journalled with
 * its CRC64 in a checkpoint (`<file>.ossup-download.cp`), the whole checked
 * against the object's `x-oss-hash-crc64ecma`, then renamed to `<file>`.
 *
 * Checkpoint format: one JSON header line `{"v":1,"bucket","key","etag",
 * "size","partSize"}` then one line per finished part `{"n":3,"crc":"…"}`. A
 * torn last line (a kill mid-append) is ignored; a header that does not
 * match the object (changed since) starts the download over. Part bytes
 * are written before their journal line, so a journalled part is on disk.
 *
 * @module
 */

import { appendFile, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import type { Bucket } from "../client/bucket.ts";
import { Crc64, crc64Combine } from "../crc64/crc64.ts";
import {
  IntegrityError,
  NetworkError,
  OssError,
  SourceChangedError,
  TimeoutError,
} from "../errors/errors.ts";

/** Progress of a download. */
export interface DownloadProgress {
  /** Bytes on disk, including parts from an earlier run. */
  bytesDone: number;
  /** Object size. */
  bytesTotal: number;
  /** Parts on disk. */
  partsDone: number;
  /** Number of parts. */
  partsTotal: number;
  /** True when this run resumed from a checkpoint. */
  resumed: boolean;
}

/** Options of {@linkcode downloadObject}. */
export interface DownloadOptions {
  /** Bytes per range request. */
  partSize: number;
  /** Range requests at once. */
  routines: number;
  /** Checkpoint path, or `false` for none. Default `<file>.ossup-download.cp`. */
  checkpoint?: string | false;
  /** Stops the download (the checkpoint and temp file are kept). */
  signal?: AbortSignal;
  /** Called at the start and after every part. */
  onProgress?: (p: DownloadProgress) => void;
}

/** The result of a finished download. */
export interface DownloadResult {
  /** Object size. */
  size: number;
  /** Object ETag. */
  etag: string;
  /** CRC64 of the bytes written. */
  crc64: bigint;
  /** True when the server reported the object's CRC64 and it matched. */
  crc64Verified: boolean;
  /** Number of parts. */
  parts: number;
  /** Bytes per part. */
  partSize: number;
  /** True when this run resumed from a checkpoint. */
  resumed: boolean;
  /** Bytes received in this run. */
  bytesReceived: number;
}

interface Header {
  v: 1;
  bucket: string;
  key: string;
  etag: string;
  size: number;
  partSize: number;
}

/** Suffix of the temp file next to the target. */
export const DOWNLOAD_TEMP_SUFFIX = ".ossup-download";

async function readJournal(path: string, expected: Omit<Header, "partSize">) {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  let header: Header;
  try {
    header = JSON.parse(lines[0]);
  } catch {
    return undefined;
  }
  if (
    header.v !== 1 || header.bucket !== expected.bucket || header.key !== expected.key ||
    header.etag !== expected.etag || header.size !== expected.size ||
    !(header.partSize > 0)
  ) return undefined;
  const done = new Map<number, bigint>();
  for (const line of lines.slice(1)) {
    try {
      const { n, crc } = JSON.parse(line);
      if (Number.isInteger(n) && typeof crc === "string") done.set(n, BigInt(crc));
    } catch {
      // A torn last line: that part is fetched again.
    }
  }
  return { header, done };
}

const ATTEMPTS = 4;

function retryable(err: unknown): boolean {
  return err instanceof NetworkError || err instanceof TimeoutError ||
    (err instanceof TypeError && !(err instanceof RangeError)) ||
    (err as { name?: string })?.name === "NetworkError";
}

/**
 * Downloads `key` into `file`, resuming from the checkpoint when it matches.
 *
 * @param bucket The bucket.
 * @param key The object key.
 * @param file The local path to write.
 * @param options Part size, parallelism, checkpoint, signal, progress.
 * @returns What was downloaded and its CRC64.
 * @throws {IntegrityError} When the CRC64 of the bytes differs from the server's.
 * @throws {SourceChangedError} When the object changed during the download.
 *
 * @example
 * ```ts ignore
 * import { downloadObject } from "./ranged_download.ts";
 *
 * const r = await downloadObject(bucket, "big.bin", "./big.bin", { partSize: 8 << 20, routines: 4 });
 * console.log(r.crc64, r.crc64Verified);
 * ```
 */
export async function downloadObject(
  bucket: Bucket,
  key: string,
  file: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const signal = options.signal;
  const head = await bucket.headObject(key, { signal });
  const tmp = file + DOWNLOAD_TEMP_SUFFIX;
  const cp = options.checkpoint === undefined ? `${tmp}.cp` : options.checkpoint;
  const expected = { v: 1 as const, bucket: bucket.name, key, etag: head.etag, size: head.size };

  let journal = cp ? await readJournal(cp, expected) : undefined;
  if (journal) {
    const onDisk = await stat(tmp).catch(() => undefined);
    if (!onDisk || onDisk.size !== head.size) journal = undefined;
  }
  const resumed = journal !== undefined && journal.done.size > 0;
  const partSize = journal?.header.partSize ?? options.partSize;
  const done = journal?.done ?? new Map<number, bigint>();
  const partsTotal = head.size === 0 ? 0 : Math.ceil(head.size / partSize);
  const lengthOf = (n: number) => Math.min(partSize, head.size - (n - 1) * partSize);
  if (!journal) {
    const fresh = await open(tmp, "w");
    try {
      await fresh.truncate(head.size);
    } finally {
      await fresh.close();
    }
    if (cp) {
      const header: Header = { ...expected, partSize };
      await writeFile(cp, JSON.stringify(header) + "\n");
    }
  }

  let bytesDone = 0;
  for (const n of done.keys()) if (n >= 1 && n <= partsTotal) bytesDone += lengthOf(n);
  let bytesReceived = 0;
  const progress = () =>
    options.onProgress?.({
      bytesDone,
      bytesTotal: head.size,
      partsDone: done.size,
      partsTotal,
      resumed,
    });
  progress();

  const missing: number[] = [];
  for (let n = 1; n <= partsTotal; n++) if (!done.has(n)) missing.push(n);
  const handle = await open(tmp, "r+");
  const internal = new AbortController();
  const onAbort = () => internal.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  let firstError: unknown;

  const ifMatch = head.etag.startsWith('"') ? head.etag : `"${head.etag}"`;
  const fetchPart = async (n: number): Promise<bigint> => {
    const start = (n - 1) * partSize;
    const length = lengthOf(n);
    for (let attempt = 1;; attempt++) {
      const crc = new Crc64();
      let received = 0;
      try {
        const obj = await bucket.getObject(key, {
          range: { start, end: start + length - 1 },
          ifMatch,
          signal: internal.signal,
        });
        for await (const chunk of obj.body) {
          if (received + chunk.length > length) throw new NetworkError(`part ${n}: too many bytes`);
          await handle.write(chunk, 0, chunk.length, start + received);
          crc.update(chunk);
          received += chunk.length;
          bytesReceived += chunk.length;
        }
        if (received !== length) {
          throw new NetworkError(`part ${n}: got ${received} of ${length} bytes`);
        }
        return crc.digest();
      } catch (err) {
        if (internal.signal.aborted) throw err;
        if (err instanceof OssError && err.status === 412) {
          throw new SourceChangedError(
            `oss://${bucket.name}/${key} changed during the download; run again to download it anew`,
          );
        }
        if (attempt >= ATTEMPTS || !retryable(err)) throw err;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  };

  let next = 0;
  const worker = async () => {
    while (firstError === undefined && !internal.signal.aborted && next < missing.length) {
      const n = missing[next++];
      try {
        const crc = await fetchPart(n);
        done.set(n, crc);
        if (cp) await appendFile(cp, JSON.stringify({ n, crc: crc.toString() }) + "\n");
        bytesDone += lengthOf(n);
        progress();
      } catch (err) {
        firstError ??= err;
        internal.abort(err);
      }
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(options.routines, missing.length) }, worker),
    );
    if (firstError === undefined && signal?.aborted) firstError = signal.reason;
    if (firstError === undefined) await handle.sync();
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await handle.close();
  }
  if (firstError !== undefined) {
    if (!cp || firstError instanceof SourceChangedError) {
      await unlink(tmp).catch(() => {});
      if (cp) await unlink(cp).catch(() => {});
    }
    throw firstError;
  }

  let crc = 0n;
  for (let n = 1; n <= partsTotal; n++) crc = crc64Combine(crc, done.get(n)!, lengthOf(n));
  if (head.crc64 !== undefined && head.crc64 !== crc) {
    // Start over next time: which part is wrong is unknown.
    await unlink(tmp).catch(() => {});
    if (cp) await unlink(cp).catch(() => {});
    throw new IntegrityError(
      `oss://${bucket.name}/${key}: CRC64 of the downloaded bytes ${crc} differs from the ` +
        `server's ${head.crc64}; the partial download was removed, run again`,
    );
  }
  await rename(tmp, file);
  if (cp) await unlink(cp).catch(() => {});
  return {
    size: head.size,
    etag: head.etag,
    crc64: crc,
    crc64Verified: head.crc64 !== undefined,
    parts: partsTotal,
    partSize,
    resumed,
    bytesReceived,
  };
}
