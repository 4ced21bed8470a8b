/**
 * A {@linkcode CheckpointStore} on the file system, through `node:fs`
 * (which Deno and Bun provide too). The id of a checkpoint is its path.
 *
 * @module
 */

import type { FileHandle } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import type { CheckpointLock, CheckpointStore } from "../../checkpoint/checkpoint_store.ts";
import { AbortError, CheckpointError, CheckpointIoError } from "../../errors/errors.ts";
import { checkpointFs as fs } from "./_checkpoint_fs.ts";
import { fsyncDir } from "./fsync_dir.ts";

// A takeover guard is held for one read and one delete: one this old has lost its taker,
// even one on another host, whose process cannot be checked.
const GUARD_STALE_AFTER_MS = 10_000;
// Where hard links are not supported (FAT, some network file systems), a lock is created in place.
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"]);

/**
 * Options of {@linkcode FileCheckpointStore}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { FileCheckpointStore } from "@ossup/ossup";
 * import { stat } from "node:fs/promises";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const store = new FileCheckpointStore({ mode: 0o600, pollInterval: 100 });
 * await store.write(join(dir, "big.iso.cp"), new TextEncoder().encode("header\n"));
 * assert.equal((await stat(join(dir, "big.iso.cp"))).mode & 0o777, 0o600); // owner only (POSIX)
 * await rm(dir, { recursive: true });
 * ```
 */
export interface FileCheckpointStoreOptions {
  /** File mode of checkpoint and lock files. Default `0o600` (owner only). */
  mode?: number;
  /** Milliseconds between attempts when `lock` waits. Default 200. */
  pollInterval?: number;
  /** Fsync the directory after replacing a file, so the rename survives a crash. Default true. */
  syncDirectory?: boolean;
  /**
   * Fsync after every `append`. Default false: an appended record is in the
   * operating system's cache once `append` resolves, which a killed or
   * crashed process cannot lose; only a power loss or kernel crash can drop
   * the last records (or tear one, which the journal's checksums detect), and
   * the parts they named are then found again by ListParts on resume or sent
   * again. An fsync per finished part costs more than sending a small part
   * (0.3–1 ms on a local disk, far more on network file systems). `write`
   * (the journal's header) is always fsynced.
   */
  syncAppends?: boolean;
}

/** What a lock file holds: who holds the lock. */
interface LockInfo {
  pid: number;
  hostname: string;
  time: number;
  token: string;
  bootId?: string;
}

/**
 * Keeps each checkpoint in the file at its id (a path), created with mode
 * 0600 and missing parent directories.
 *
 * - `write` writes a temporary file beside the target, fsyncs it, renames
 *   it over the target and fsyncs the directory: a crash leaves the old
 *   content or the new.
 * - `append` writes through an `O_APPEND` handle (and fsyncs with
 *   `syncAppends`). The handle stays open for the next record, saving an
 *   open and a close per finished part, until `write`, `remove` or the
 *   lock's release for that id, or {@linkcode FileCheckpointStore.close}.
 * - `lock` creates `<id>.lock` holding the process id, host name and time:
 *   written in full to a temporary file, then hard-linked into place, so a
 *   lock file appears complete or not at all, and a full disk leaves none.
 *   A lock whose process no longer runs on this host (or that predates the
 *   last boot) is stale and taken over at once, as is an unreadable one
 *   (left by an older version or a broken disk), under a
 *   `<id>.lock.takeover` guard so only one taker removes it; a guard whose
 *   taker died is cleared at once too. Locks held by other hosts (a shared
 *   file system) are never taken over.
 *
 * @example Keep a checkpoint beside the file being uploaded
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm, writeFile } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { CheckpointError, FileCheckpointStore } from "@ossup/ossup";
 *
 * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
 * const store = new FileCheckpointStore();
 * const id = join(dir, "big.iso.cp"); // the id is the file's path
 * const lock = await store.lock(id);
 * try {
 *   await assert.rejects(store.lock(id), CheckpointError); // "CheckpointLocked": in use
 *   await store.write(id, new TextEncoder().encode("header\n"));
 *   await store.append(id, new TextEncoder().encode("part 1\n"));
 *   assert.equal(new TextDecoder().decode((await store.read(id))!), "header\npart 1\n");
 * } finally {
 *   await lock.release();
 * }
 * await store.remove(id);
 * await rm(dir, { recursive: true });
 * ```
 */
export class FileCheckpointStore implements CheckpointStore {
  #mode: number;
  #pollInterval: number;
  #syncDirectory: boolean;
  #syncAppends: boolean;
  // Open O_APPEND handles by id, kept between records of one upload.
  #appenders = new Map<string, Promise<FileHandle>>();

  /**
   * Makes a store. Between calls it holds at most one open file per
   * checkpoint being appended to (see {@linkcode FileCheckpointStore.close}).
   *
   * @param options Mode, lock polling, directory fsync.
   */
  constructor(options: FileCheckpointStoreOptions = {}) {
    this.#mode = options.mode ?? 0o600;
    this.#pollInterval = options.pollInterval ?? 200;
    this.#syncDirectory = options.syncDirectory ?? true;
    this.#syncAppends = options.syncAppends ?? false;
    if (!(this.#pollInterval > 0)) {
      throw new RangeError(`pollInterval must be positive, got ${this.#pollInterval}`);
    }
  }

  /** Reads the checkpoint file, or `null` if there is none. */
  async read(id: string): Promise<Uint8Array | null> {
    try {
      const buf = await fs.readFile(id);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      if (errorCode(err) === "ENOENT") return null;
      throw ioError(`cannot read checkpoint ${id}`, err);
    }
  }

  /** Replaces the checkpoint file atomically (temp file, fsync, rename, directory fsync). */
  async write(id: string, data: Uint8Array): Promise<void> {
    // Records appended after this go to the new file, not to the one it replaces.
    await this.#closeAppender(id);
    const dir = dirname(id);
    const temp = join(dir, `.${basename(id)}.${randomToken()}.tmp`);
    try {
      await this.#withParent(dir, () => this.#writeNew(temp, data));
      await fs.rename(temp, id);
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => {});
      throw ioError(`cannot write checkpoint ${id}`, err);
    }
    if (this.#syncDirectory) await fsyncDir(dir);
  }

  /**
   * Appends to the checkpoint file with `O_APPEND` (fsyncing it when `syncAppends` is set).
   * The write itself is synchronous: a record (a finished part, a finished file of a tree) is
   * a few hundred bytes into the operating system's cache, 2–4 µs of CPU on Node, Deno and
   * Bun, where an asynchronous write costs 8–50 µs (a round trip through a thread pool) and
   * a tree of small files appends once per file. The fsync, which waits for the disk, is not.
   */
  async append(id: string, data: Uint8Array): Promise<void> {
    try {
      let handle = this.#appenders.get(id);
      if (handle === undefined) {
        handle = this.#withParent(dirname(id), () => fs.open(id, "a", this.#mode));
        this.#appenders.set(id, handle);
      }
      const file = await handle;
      for (let done = 0; done < data.length;) {
        done += fs.writeSync(file.fd, data, done, data.length - done);
      }
      if (this.#syncAppends) await file.sync();
    } catch (err) {
      await this.#closeAppender(id);
      throw ioError(`cannot append to checkpoint ${id}`, err);
    }
  }

  /**
   * Closes the files kept open for appending. The store stays usable: the
   * next `append` opens its file again. The upload engine needs no call to
   * this (it removes the checkpoint or releases its lock at the end).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { mkdtemp, rm, writeFile } from "node:fs/promises";
   * import { tmpdir } from "node:os";
   * import { join } from "node:path";
   * import { FileCheckpointStore } from "@ossup/ossup";
   *
   * const dir = await mkdtemp(join(tmpdir(), "ossup-example-"));
   * const store = new FileCheckpointStore();
   * await store.append(join(dir, "journal.cp"), new TextEncoder().encode("record\n")); // kept open
   * await store.close();
   * await store.append(join(dir, "journal.cp"), new TextEncoder().encode("record\n")); // opened again
   * await store.close();
   * assert.equal(new TextDecoder().decode((await store.read(join(dir, "journal.cp")))!), "record\nrecord\n");
   * await rm(dir, { recursive: true });
   * ```
   */
  async close(): Promise<void> {
    await Promise.all([...this.#appenders.keys()].map((id) => this.#closeAppender(id)));
  }

  async #closeAppender(id: string): Promise<void> {
    const handle = this.#appenders.get(id);
    if (handle === undefined) return;
    this.#appenders.delete(id);
    const file = await handle.catch(() => undefined);
    await file?.close().catch(() => {});
  }

  /** Deletes the checkpoint file; no error if it is absent. */
  async remove(id: string): Promise<void> {
    await this.#closeAppender(id);
    try {
      await fs.rm(id, { force: true });
    } catch (err) {
      throw ioError(`cannot remove checkpoint ${id}`, err);
    }
  }

  /**
   * Takes the lock file `<id>.lock`. Throws `CheckpointError("CheckpointLocked")`
   * naming the holder if a live process has it, or with `wait` polls until it
   * is free (an `AbortError` if `signal` fires).
   */
  async lock(
    id: string,
    options: { wait?: boolean; signal?: AbortSignal } = {},
  ): Promise<CheckpointLock> {
    const { wait = false, signal } = options;
    const lockPath = `${id}.lock`;
    for (;;) {
      throwIfAborted(signal, lockPath);
      const attempt = await this.#tryLock(id, lockPath);
      if ("lock" in attempt) return attempt.lock;
      if (!wait) {
        throw new CheckpointError(
          "CheckpointLocked",
          `checkpoint ${id} is in use by ${attempt.holder}; ` +
            `wait for that upload to end, or delete ${lockPath} if it is gone`,
        );
      }
      await sleep(this.#pollInterval, signal, lockPath);
    }
  }

  async #tryLock(
    id: string,
    lockPath: string,
  ): Promise<{ lock: CheckpointLock } | { holder: string }> {
    // A few rounds: a stale lock taken over, or a holder that just released.
    for (let round = 0; round < 20; round++) {
      const info = await this.#lockInfo();
      try {
        await this.#withParent(dirname(lockPath), () => this.#createComplete(lockPath, info));
        return { lock: this.#handle(id, lockPath, info.token) };
      } catch (err) {
        if (errorCode(err) !== "EEXIST") throw ioError(`cannot create lock ${lockPath}`, err);
      }
      let raw: Uint8Array;
      try {
        raw = await fs.readFile(lockPath);
      } catch (err) {
        if (errorCode(err) === "ENOENT") continue; // released meanwhile
        throw ioError(`cannot read lock ${lockPath}`, err);
      }
      const holder = parseLockInfo(raw);
      // Lock files appear complete, so an unreadable one is no lock being created: it is
      // debris (a disk error, an older version's crash) and is taken over at once.
      if (holder !== undefined && !(await isStale(holder))) {
        return {
          holder: `process ${holder.pid} on ${holder.hostname} since ${
            new Date(holder.time).toISOString()
          }`,
        };
      }
      await this.#takeOver(lockPath, raw);
    }
    return { holder: "processes contending for it" };
  }

  async #lockInfo(): Promise<LockInfo> {
    return {
      pid: process.pid,
      hostname: hostname(),
      time: Date.now(),
      token: randomToken(),
      bootId: await bootId(),
    };
  }

  /**
   * Deletes the stale lock file whose content was `stale`. Takers first
   * create a `<lock>.takeover` guard (holding who they are) and re-read the
   * lock under it, so of several processes finding the same stale lock only
   * one deletes it, and none deletes the fresh lock that replaced it.
   */
  async #takeOver(lockPath: string, stale: Uint8Array): Promise<void> {
    const guard = `${lockPath}.takeover`;
    try {
      await this.#createComplete(guard, await this.#lockInfo());
    } catch (err) {
      if (errorCode(err) !== "EEXIST") throw ioError(`cannot take over lock ${lockPath}`, err);
      // Another taker is at it, or died at it: its guard is cleared at once.
      if (await this.#clearDeadGuard(guard)) return;
      await sleep(10, undefined, lockPath);
      return;
    }
    try {
      const now = await fs.readFile(lockPath).catch((err) => {
        if (errorCode(err) === "ENOENT") return null;
        throw ioError(`cannot read lock ${lockPath}`, err);
      });
      if (now !== null && sameBytes(now, stale)) await fs.rm(lockPath, { force: true });
    } finally {
      await fs.rm(guard, { force: true });
    }
  }

  /**
   * Removes a takeover guard whose taker is gone (its process dead, the
   * guard unreadable, or older than any takeover takes). True if it was
   * removed or had vanished; false while a live taker holds it.
   */
  async #clearDeadGuard(guard: string): Promise<boolean> {
    let raw: Uint8Array;
    let mtimeMs: number;
    try {
      raw = await fs.readFile(guard);
      ({ mtimeMs } = await fs.stat(guard));
    } catch (err) {
      if (errorCode(err) === "ENOENT") return true;
      throw ioError(`cannot read lock guard ${guard}`, err);
    }
    const taker = parseLockInfo(raw);
    const dead = taker === undefined || Date.now() - mtimeMs > GUARD_STALE_AFTER_MS ||
      await isStale(taker);
    if (!dead) return false;
    // Only the guard read, not one a new taker made since.
    const now = await fs.readFile(guard).catch(() => null);
    if (now !== null && sameBytes(now, raw)) await fs.rm(guard, { force: true });
    return true;
  }

  /**
   * Creates `path` holding `info` so that it appears complete or not at all:
   * written and fsynced beside it, then hard-linked into place (`EEXIST` if
   * it exists). Where hard links are unsupported it is created in place with
   * `O_EXCL` and deleted again if filling it fails.
   */
  async #createComplete(path: string, info: LockInfo): Promise<void> {
    const content = new TextEncoder().encode(JSON.stringify(info));
    const temp = join(dirname(path), `.${basename(path)}.${info.token}.tmp`);
    await this.#writeNew(temp, content);
    try {
      await fs.link(temp, path);
    } catch (err) {
      if (!NO_HARD_LINKS.has(errorCode(err) ?? "")) throw err;
      await this.#writeNew(path, content);
    } finally {
      await fs.rm(temp, { force: true }).catch(() => {});
    }
  }

  #handle(id: string, lockPath: string, token: string): CheckpointLock {
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await this.#closeAppender(id);
        // Delete only our own lock: never one that replaced it.
        try {
          const holder = parseLockInfo(await fs.readFile(lockPath));
          if (holder?.token === token) await fs.unlink(lockPath);
        } catch (err) {
          if (errorCode(err) !== "ENOENT") throw ioError(`cannot release lock ${lockPath}`, err);
        }
      },
    };
  }

  /** Creates `path` (`O_EXCL`) holding `data`, fsynced; on failure nothing is left at `path`. */
  async #writeNew(path: string, data: Uint8Array): Promise<void> {
    const file = await fs.open(path, "wx", this.#mode);
    try {
      await file.writeFile(data);
      await file.sync();
    } catch (err) {
      await file.close().catch(() => {});
      await fs.rm(path, { force: true }).catch(() => {});
      throw err;
    }
    await file.close();
  }

  /** Runs `fn`; if it fails for a missing directory, creates the directory and runs it again. */
  async #withParent<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (errorCode(err) !== "ENOENT") throw err;
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      return await fn();
    }
  }
}

/** True if the holder's process is gone (only decidable on this host). */
async function isStale(holder: LockInfo): Promise<boolean> {
  if (holder.hostname !== hostname()) return false; // cannot tell: assume alive
  const boot = await bootId();
  if (holder.bootId !== undefined && boot !== undefined && holder.bootId !== boot) return true;
  return !processAlive(holder.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === "EPERM"; // exists, owned by another user
  }
}

function parseLockInfo(raw: Uint8Array): LockInfo | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(raw));
    if (
      typeof v === "object" && v !== null && Number.isSafeInteger(v.pid) && v.pid > 0 &&
      typeof v.hostname === "string" && typeof v.time === "number" && typeof v.token === "string"
    ) {
      return v;
    }
  } catch {
    // fall through
  }
  return undefined;
}

let bootIdCache: Promise<string | undefined> | undefined;

/** Linux's boot ID: a lock from before a reboot is stale whatever its pid. */
function bootId(): Promise<string | undefined> {
  bootIdCache ??= fs.readFile("/proc/sys/kernel/random/boot_id", "utf8").then(
    (s) => s.trim() || undefined,
    () => undefined,
  );
  return bootIdCache;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err
    ? String((err as { code: unknown }).code)
    : undefined;
}

function ioError(message: string, cause: unknown): CheckpointError {
  if (cause instanceof CheckpointError) return cause;
  return new CheckpointIoError(message, { cause, systemCode: errorCode(cause) });
}

function throwIfAborted(signal: AbortSignal | undefined, lockPath: string): void {
  if (signal?.aborted) {
    throw new AbortError(`waiting for lock ${lockPath} was aborted`, { cause: signal.reason });
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, lockPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError(`waiting for lock ${lockPath} was aborted`, { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
