/**
 * The disk backend's file format and its atomic file operations.
 *
 * An object or a part is one file: its bytes, then a JSON record describing
 * them, then an 8-byte footer (the record's length as a big-endian uint32,
 * then the magic `OSUP`). Bytes and record are replaced together by one
 * `rename`, so a reader or a crash sees either the old file or the new one,
 * whole. Files are written in the data directory's `tmp/` folder (same file
 * system, so `rename` is atomic), fsynced, then renamed into place, and the
 * target directory is fsynced so the rename survives a power cut.
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import { type FileHandle, open, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { fsyncDir } from "../adapters/node_api/fsync_dir.ts";

const MAGIC = "OSUP";
const FOOTER_SIZE = 8;
/** Bytes gathered before one `writev`, and the size of each read. */
const IO_SIZE = 1 << 20;

/** A fresh temp file name in `tmpDir`. */
export function tempPath(tmpDir: string): string {
  return join(tmpDir, `${randomBytes(12).toString("hex")}.tmp`);
}

/** Writes bytes then a record to a temp file; {@linkcode commitFile} moves it into place. */
export class BlobWriter {
  readonly path: string;
  #handle: FileHandle;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #closed = false;
  /** Bytes written so far (excluding the record). */
  size = 0;

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /** Opens a new temp file in `tmpDir`. */
  static async create(tmpDir: string): Promise<BlobWriter> {
    const path = tempPath(tmpDir);
    return new BlobWriter(path, await open(path, "wx"));
  }

  /** Appends a chunk; the chunk must not be modified afterwards. */
  async write(chunk: Uint8Array): Promise<void> {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.byteLength;
    this.size += chunk.byteLength;
    if (this.#pendingBytes >= IO_SIZE) await this.#flush();
  }

  async #flush(): Promise<void> {
    const chunks = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    let i = 0;
    while (i < chunks.length) {
      const { bytesWritten } = await this.#handle.writev(chunks.slice(i));
      // A short writev: advance past whole chunks written, then retry the rest.
      let left = bytesWritten;
      while (i < chunks.length && left >= chunks[i].byteLength) left -= chunks[i++].byteLength;
      if (left > 0) chunks[i] = chunks[i].subarray(left);
    }
  }

  /** Appends the record and footer, fsyncs (when `sync`) and closes the file. */
  async finish(record: unknown, sync = true): Promise<void> {
    const json = new TextEncoder().encode(JSON.stringify(record));
    const footer = new Uint8Array(FOOTER_SIZE);
    new DataView(footer.buffer).setUint32(0, json.byteLength);
    footer.set(new TextEncoder().encode(MAGIC), 4);
    this.#pending.push(json, footer);
    await this.#flush();
    if (sync) await this.#handle.sync();
    this.#closed = true;
    await this.#handle.close();
  }

  /** Closes and deletes the temp file (after a failure). */
  async discard(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      await this.#handle.close().catch(() => {});
    }
    await unlink(this.path).catch(() => {});
  }
}

/** Renames a finished temp file over `target` and fsyncs (when `sync`) `target`'s directory. */
export async function commitFile(
  from: string,
  target: string,
  targetDir: string,
  sync = true,
): Promise<void> {
  await rename(from, target);
  if (sync) await fsyncDir(targetDir);
}

/** Writes `text` to `target` atomically (temp file, fsync, rename, fsync directory). */
export async function writeFileAtomic(
  tmpDir: string,
  target: string,
  targetDir: string,
  text: string,
  sync = true,
): Promise<void> {
  const path = tempPath(tmpDir);
  await writeNewFile(path, text, sync);
  try {
    await commitFile(path, target, targetDir, sync);
  } catch (err) {
    await unlink(path).catch(() => {});
    throw err;
  }
}

/** Reads the record of a blob file from an open handle; `undefined` if the file is not one. */
export async function readRecordFrom(
  handle: FileHandle,
): Promise<{ record: unknown; dataSize: number } | undefined> {
  const { size } = await handle.stat();
  if (size < FOOTER_SIZE) return undefined;
  const footer = new Uint8Array(FOOTER_SIZE);
  await readFully(handle, footer, size - FOOTER_SIZE);
  if (new TextDecoder().decode(footer.subarray(4)) !== MAGIC) return undefined;
  const length = new DataView(footer.buffer).getUint32(0);
  if (length + FOOTER_SIZE > size) return undefined;
  const json = new Uint8Array(length);
  await readFully(handle, json, size - FOOTER_SIZE - length);
  try {
    return {
      record: JSON.parse(new TextDecoder().decode(json)),
      dataSize: size - FOOTER_SIZE - length,
    };
  } catch {
    return undefined;
  }
}

/** Reads the record of the blob file at `path`; `undefined` if it is not one. */
export async function readRecord(
  path: string,
): Promise<{ record: unknown; dataSize: number } | undefined> {
  const handle = await open(path, "r");
  try {
    return await readRecordFrom(handle);
  } finally {
    await handle.close();
  }
}

async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.byteLength) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) throw new Error("unexpected end of file");
    done += bytesRead;
  }
}

/**
 * Streams bytes `[start, end)` of the blob file at `path`, opening it on the
 * first pull. `check` sees the file's record first; when it returns false
 * (the file was replaced since its record was indexed), the stream errors
 * with `changed()` rather than mix one version's metadata with another's bytes.
 */
export function blobStream(
  path: string,
  start: number,
  end: number,
  check?: (record: unknown) => boolean,
  changed?: () => Error,
): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
  let position = start;
  const close = async () => {
    const h = handle;
    handle = undefined;
    await h?.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!handle) {
          handle = await open(path, "r");
          if (check) {
            const found = await readRecordFrom(handle);
            if (!found || !check(found.record)) {
              throw changed?.() ?? new Error("the file changed");
            }
          }
        }
        if (position >= end) {
          await close();
          controller.close();
          return;
        }
        const buffer = new Uint8Array(Math.min(IO_SIZE, end - position));
        const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
        if (bytesRead === 0) throw new Error("unexpected end of file");
        position += bytesRead;
        controller.enqueue(
          bytesRead === buffer.byteLength ? buffer : buffer.subarray(0, bytesRead),
        );
      } catch (err) {
        await close();
        controller.error(err);
      }
    },
    cancel: close,
  }, { highWaterMark: 0 });
}

/** Writes and fsyncs (when `sync`) a file that must not exist yet. */
export async function writeNewFile(path: string, text: string, sync = true): Promise<void> {
  const handle = await open(path, "wx");
  try {
    await handle.writeFile(text);
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
}
