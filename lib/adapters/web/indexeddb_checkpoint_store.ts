/**
 * A {@linkcode CheckpointStore} in the browser's IndexedDB, so a page can
 * resume an upload after a reload.
 *
 * @module
 */

import type { CheckpointLock, CheckpointStore } from "../../checkpoint/checkpoint_store.ts";
import { AbortError, CheckpointError, CheckpointIoError } from "../../errors/errors.ts";

// Minimal views of the IndexedDB and Web Locks APIs used here, so this file
// type-checks without the DOM library (Deno) and accepts a polyfill.

/** The part of an `IDBRequest` used here. */
interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}

/** The part of an `IDBOpenDBRequest` used here. */
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
  onblocked: (() => void) | null;
}

/** The part of an `IDBCursor` used here. */
interface IdbCursor {
  readonly key: unknown;
}

/** The part of an `IDBObjectStore` used here. */
interface IdbObjectStore {
  get(key: unknown): IdbRequest<unknown>;
  getAll(range: unknown): IdbRequest<unknown[]>;
  put(value: unknown, key: unknown): IdbRequest<unknown>;
  delete(keyOrRange: unknown): IdbRequest<unknown>;
  openCursor(range: unknown, direction: "prev"): IdbRequest<IdbCursor | null>;
}

/** The part of an `IDBTransaction` used here. */
interface IdbTransaction {
  readonly error: unknown;
  objectStore(name: string): IdbObjectStore;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

/** The part of an `IDBDatabase` used here. */
interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(stores: string, mode: "readonly" | "readwrite"): IdbTransaction;
  close(): void;
  onversionchange: (() => void) | null;
}

/**
 * The part of `IDBFactory` (`indexedDB`) used here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CheckpointIoError, type IdbFactoryLike, IndexedDbCheckpointStore } from "@ossup/ossup/web";
 *
 * const opened: string[] = [];
 * // `indexedDB` in a page; here one that has no database to give.
 * const factory: IdbFactoryLike = {
 *   open: (name) => {
 *     opened.push(name);
 *     throw new Error("no IndexedDB here");
 *   },
 * };
 * const store = new IndexedDbCheckpointStore({ indexedDB: factory });
 * await assert.rejects(store.read("upload-1"), CheckpointIoError);
 * assert.deepEqual(opened, ["ossup-checkpoints"]);
 * ```
 */
export interface IdbFactoryLike {
  /** Opens a database. */
  open(name: string, version?: number): unknown;
}

/**
 * The part of `IDBKeyRange` used here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type IdbKeyRangeLike, IndexedDbCheckpointStore } from "@ossup/ossup/web";
 *
 * // `IDBKeyRange` in a page, or the key range of an in-memory IndexedDB in tests.
 * const keyRange: IdbKeyRangeLike = { bound: (lower, upper) => ({ lower, upper }) };
 * const store = new IndexedDbCheckpointStore({ keyRange });
 * // Outside a browser, and without an `indexedDB` given, the store says what it misses.
 * await assert.rejects(store.read("upload-1"), { message: "IndexedDB is not available here" });
 * ```
 */
export interface IdbKeyRangeLike {
  /** A key range between two keys. */
  bound(lower: unknown, upper: unknown): unknown;
}

/**
 * The part of the Web Locks `LockManager` (`navigator.locks`) used here.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IndexedDbCheckpointStore, type LockManagerLike } from "@ossup/ossup/web";
 *
 * // `navigator.locks` in a page; here one that grants every lock at once.
 * const requested: string[] = [];
 * const locks: LockManagerLike = {
 *   request: async (name, _options, callback) => {
 *     requested.push(name);
 *     await callback({});
 *   },
 * };
 * const store = new IndexedDbCheckpointStore({ locks });
 * const lock = await store.lock("upload-1");
 * await lock.release();
 * assert.equal(requested.length, 1);
 * ```
 */
export interface LockManagerLike {
  /** Requests a lock; the callback holds it until its promise settles. */
  request(
    name: string,
    options: { ifAvailable?: boolean; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<unknown>;
}

/**
 * Options of {@linkcode IndexedDbCheckpointStore}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IndexedDbCheckpointStore } from "@ossup/ossup/web";
 *
 * // Lock by a lease in the database where Web Locks are missing.
 * const store = new IndexedDbCheckpointStore({ databaseName: "my-app-uploads", locks: null });
 * // Outside a browser, and without an `indexedDB` given, the store says what it misses.
 * await assert.rejects(store.lock("upload-1"), { message: "IndexedDB is not available here" });
 * ```
 */
export interface IndexedDbCheckpointStoreOptions {
  /** Database name. Default `"ossup-checkpoints"`. */
  databaseName?: string;
  /** The IndexedDB factory. Default `globalThis.indexedDB`. */
  indexedDB?: IdbFactoryLike;
  /** The key range constructor. Default `globalThis.IDBKeyRange`. */
  keyRange?: IdbKeyRangeLike;
  /**
   * Web Locks manager for `lock`. Default `navigator.locks` when present;
   * `null` to use a lease kept in the database instead.
   */
  locks?: LockManagerLike | null;
  /** Lease length in milliseconds, when locking by lease; renewed every third of it. Default 10000. */
  leaseMs?: number;
  /** Milliseconds between attempts when `lock` waits on a lease. Default 200. */
  pollInterval?: number;
}

const CHUNKS = "chunks";
const LEASES = "leases";

/**
 * Keeps checkpoints in IndexedDB. Each checkpoint is a run of chunk records
 * keyed `[id, n]`: `append` adds one record (its cost does not grow with the
 * checkpoint), `write` replaces the run in one transaction, `read` joins it.
 *
 * Locks use Web Locks (`navigator.locks`) when present: exclusive across the
 * origin's tabs and workers, and freed when a tab closes or reloads. Without
 * them, a lease in the database that its holder renews; a lease not renewed
 * for `leaseMs` (its tab is gone) is taken over.
 *
 * @example Resume after a reload (in a browser: the doc tests run on Deno, which has no IndexedDB; the
 * suite runs the store in headless Chromium, tests/indexeddb_checkpoint_store.node.test.ts)
 * ```ts ignore
 * import assert from "node:assert/strict";
 * import { IndexedDbCheckpointStore } from "@ossup/ossup/web";
 *
 * const store = new IndexedDbCheckpointStore();
 * const id = "upload:examplebucket/videos/big.mp4";
 * const lock = await store.lock(id); // CheckpointLocked if another tab is uploading it
 * try {
 *   const journal = await store.read(id); // null on a first run, the journal after a reload
 *   assert.equal(journal, null);
 * } finally {
 *   await lock.release();
 * }
 * ```
 */
export class IndexedDbCheckpointStore implements CheckpointStore {
  #name: string;
  #factory: IdbFactoryLike | undefined;
  #keyRange: IdbKeyRangeLike | undefined;
  #locks: LockManagerLike | null;
  #leaseMs: number;
  #pollInterval: number;
  #db: Promise<IdbDatabase> | undefined;

  /**
   * Makes a store; the database is opened on first use.
   *
   * @param options Database name, injected APIs, lease timing.
   */
  constructor(options: IndexedDbCheckpointStoreOptions = {}) {
    const g = globalThis as unknown as {
      indexedDB?: IdbFactoryLike;
      IDBKeyRange?: IdbKeyRangeLike;
      navigator?: { locks?: LockManagerLike };
    };
    this.#name = options.databaseName ?? "ossup-checkpoints";
    this.#factory = options.indexedDB ?? g.indexedDB;
    this.#keyRange = options.keyRange ?? g.IDBKeyRange;
    this.#locks = options.locks === undefined ? g.navigator?.locks ?? null : options.locks;
    this.#leaseMs = options.leaseMs ?? 10_000;
    this.#pollInterval = options.pollInterval ?? 200;
    if (!(this.#leaseMs > 0)) {
      throw new RangeError(`leaseMs must be positive, got ${this.#leaseMs}`);
    }
    if (!(this.#pollInterval > 0)) {
      throw new RangeError(`pollInterval must be positive, got ${this.#pollInterval}`);
    }
  }

  /** Joins the chunks stored under `id`, or `null` if there are none. */
  async read(id: string): Promise<Uint8Array | null> {
    let chunks: unknown[] = [];
    await this.#transact(CHUNKS, "readonly", (store) => {
      const req = store.getAll(this.#range(id));
      req.onsuccess = () => (chunks = req.result);
    }, `read checkpoint ${id}`);
    if (chunks.length === 0) return null;
    let length = 0;
    for (const c of chunks) length += (c as Uint8Array).length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const c of chunks) {
      out.set(c as Uint8Array, at);
      at += (c as Uint8Array).length;
    }
    return out;
  }

  /** Replaces the chunks under `id` with one, in one transaction. */
  write(id: string, data: Uint8Array): Promise<void> {
    const copy = data.slice();
    return this.#transact(CHUNKS, "readwrite", (store) => {
      store.delete(this.#range(id));
      store.put(copy, [id, 0]);
    }, `write checkpoint ${id}`);
  }

  /** Adds a chunk after the last one under `id`. */
  append(id: string, data: Uint8Array): Promise<void> {
    const copy = data.slice();
    return this.#transact(CHUNKS, "readwrite", (store) => {
      const req = store.openCursor(this.#range(id), "prev");
      req.onsuccess = () => {
        const last = req.result ? (req.result.key as [string, number])[1] : -1;
        store.put(copy, [id, last + 1]);
      };
    }, `append to checkpoint ${id}`);
  }

  /** Deletes the chunks under `id`. */
  remove(id: string): Promise<void> {
    return this.#transact(CHUNKS, "readwrite", (store) => {
      store.delete(this.#range(id));
    }, `remove checkpoint ${id}`);
  }

  /**
   * Takes the lock on `id` (Web Locks, or a lease). Throws
   * `CheckpointError("CheckpointLocked")` if another tab holds it, or with
   * `wait` waits (an `AbortError` if `signal` fires).
   */
  lock(
    id: string,
    options: { wait?: boolean; signal?: AbortSignal } = {},
  ): Promise<CheckpointLock> {
    const { wait = false, signal } = options;
    if (signal?.aborted) return Promise.reject(aborted(id, signal));
    return this.#locks
      ? this.#webLock(this.#locks, id, wait, signal)
      : this.#leaseLock(id, wait, signal);
  }

  #webLock(
    locks: LockManagerLike,
    id: string,
    wait: boolean,
    signal: AbortSignal | undefined,
  ): Promise<CheckpointLock> {
    return new Promise((resolve, reject) => {
      let letGo!: () => void;
      const holding = new Promise<void>((r) => (letGo = r));
      const request = locks.request(
        `ossup-checkpoint:${this.#name}:${id}`,
        wait ? { signal } : { ifAvailable: true },
        (lock) => {
          if (lock === null) {
            reject(lockedError(id));
            return Promise.resolve();
          }
          let released: Promise<void> | undefined;
          resolve({
            release: () => {
              letGo();
              released ??= request.then(() => {}, () => {});
              return released;
            },
          });
          return holding;
        },
      );
      request.catch((err: unknown) => {
        // Web Locks reject with the signal's reason, whatever it is.
        reject(signal?.aborted ? aborted(id, signal) : err);
      });
    });
  }

  async #leaseLock(
    id: string,
    wait: boolean,
    signal: AbortSignal | undefined,
  ): Promise<CheckpointLock> {
    const owner = randomToken();
    for (;;) {
      if (signal?.aborted) throw aborted(id, signal);
      if (await this.#claimLease(id, owner)) break;
      if (!wait) throw lockedError(id);
      await sleep(this.#pollInterval, signal, id);
    }
    // Renew well before expiry; a tab that stops renewing loses the lease.
    const timer = setInterval(() => {
      this.#claimLease(id, owner).catch(() => {});
    }, this.#leaseMs / 3);
    let released: Promise<void> | undefined;
    return {
      release: () => {
        released ??= (async () => {
          clearInterval(timer);
          await this.#transact(LEASES, "readwrite", (store) => {
            const req = store.get(id);
            req.onsuccess = () => {
              const lease = req.result as { owner?: string } | undefined;
              if (lease?.owner === owner) store.delete(id);
            };
          }, `release lock ${id}`);
        })();
        return released;
      },
    };
  }

  /** Takes or renews the lease on `id` for `owner`; false if another live owner has it. */
  async #claimLease(id: string, owner: string): Promise<boolean> {
    let won = false;
    await this.#transact(LEASES, "readwrite", (store) => {
      const req = store.get(id);
      req.onsuccess = () => {
        const lease = req.result as { owner: string; expires: number } | undefined;
        const now = Date.now();
        if (lease === undefined || lease.owner === owner || lease.expires <= now) {
          store.put({ owner, expires: now + this.#leaseMs }, id);
          won = true;
        }
      };
    }, `lock ${id}`);
    return won;
  }

  #range(id: string): unknown {
    if (!this.#keyRange) throw new TypeError("IDBKeyRange is not available here");
    return this.#keyRange.bound([id, -Infinity], [id, Infinity]);
  }

  #open(): Promise<IdbDatabase> {
    this.#db ??= new Promise<IdbDatabase>((resolve, reject) => {
      if (!this.#factory) throw new TypeError("IndexedDB is not available here");
      const req = this.#factory.open(this.#name, 1) as IdbOpenRequest;
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(CHUNKS)) db.createObjectStore(CHUNKS);
        if (!db.objectStoreNames.contains(LEASES)) db.createObjectStore(LEASES);
      };
      req.onsuccess = () => {
        const db = req.result;
        // Let a newer version of the page upgrade the database.
        db.onversionchange = () => {
          db.close();
          this.#db = undefined;
        };
        resolve(db);
      };
      req.onerror = () => reject(req.error);
      req.onblocked = () => reject(new Error(`database ${this.#name} is blocked by another tab`));
    }).catch((err) => {
      this.#db = undefined;
      throw err;
    });
    return this.#db;
  }

  /** Runs `body` in a transaction on `storeName`; resolves when it commits. */
  async #transact(
    storeName: string,
    mode: "readonly" | "readwrite",
    body: (store: IdbObjectStore) => void,
    what: string,
  ): Promise<void> {
    try {
      const db = await this.#open();
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(storeName, mode);
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
        body(tx.objectStore(storeName));
      });
    } catch (err) {
      if (err instanceof TypeError) throw err;
      // A DOMException's name says why: "QuotaExceededError" is IndexedDB's full disk.
      const systemCode = (err as { name?: unknown })?.name;
      throw new CheckpointIoError(`cannot ${what} in IndexedDB`, {
        cause: err,
        systemCode: typeof systemCode === "string" && systemCode !== "Error"
          ? systemCode
          : undefined,
      });
    }
  }
}

function lockedError(id: string): CheckpointError {
  return new CheckpointError(
    "CheckpointLocked",
    `checkpoint ${id} is in use by another tab or worker; wait for that upload to end`,
  );
}

function aborted(id: string, signal: AbortSignal | undefined): AbortError {
  return new AbortError(`waiting for checkpoint lock ${id} was aborted`, { cause: signal?.reason });
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function sleep(ms: number, signal: AbortSignal | undefined, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(aborted(id, signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
