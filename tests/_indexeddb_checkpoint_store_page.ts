/**
 * The page script of `indexeddb_checkpoint_store.node.test.ts`: the shared
 * CheckpointStore contract run twice against `IndexedDbCheckpointStore` in
 * the browser's real IndexedDB, once locking with Web Locks and once with
 * leases in the database. Bundled with `node:test` and `node:assert/strict`
 * aliased to `_browser_node_test_shim.ts`; it defines
 * `globalThis.ossupRunContract()`, which runs the cases and returns each
 * one's result.
 *
 * @module
 */

import { IndexedDbCheckpointStore } from "../lib/adapters/web/indexeddb_checkpoint_store.ts";
import { checkpointStoreContract } from "../lib/testing/checkpoint_store_contract.ts";
import { type CaseResult, runCollected } from "./_browser_node_test_shim.ts";

// The page's APIs, typed here because the test files type-check without the DOM library.
interface PageWorker {
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  postMessage(message: unknown): void;
  terminate(): void;
}
interface Page {
  Worker: new (url: string) => PageWorker;
  URL: { createObjectURL(blob: Blob): string };
  navigator: { locks: { request(name: string, granted: () => void): Promise<void> } };
  indexedDB: {
    open(name: string): {
      result: IdbDatabase;
      error: unknown;
      onsuccess: (() => void) | null;
      onerror: (() => void) | null;
    };
  };
}
interface IdbDatabase {
  transaction(store: string, mode: "readwrite"): {
    objectStore(name: string): { put(value: unknown, key: unknown): unknown };
    oncomplete: (() => void) | null;
    onerror: (() => void) | null;
    error: unknown;
  };
  close(): void;
}
const page = globalThis as unknown as Page;

let counter = 0;
const newId = () => `upload-${counter++}`;

// ---------------------------------------------------------------- Web Locks

const WEB_DB = "contract-web-locks";
/** The Web Lock name the store takes for `id` (its private naming). */
const webLockName = (id: string) => `ossup-checkpoint:${WEB_DB}:${id}`;

// A dedicated worker is a holder outside this page's script: it takes the
// lock it is sent and holds it until it is terminated.
const HOLDER_SOURCE = `onmessage = (e) => {
  navigator.locks.request(e.data, () => {
    postMessage("held");
    return new Promise(() => {});
  });
};`;
const holderUrl = page.URL.createObjectURL(
  new Blob([HOLDER_SOURCE], { type: "text/javascript" }),
);
const holders: PageWorker[] = [];

/** Starts a worker holding the Web Lock of `id`; resolves once it holds it. */
function holdInWorker(id: string): Promise<PageWorker> {
  const worker = new page.Worker(holderUrl);
  holders.push(worker);
  return new Promise((resolve, reject) => {
    worker.onmessage = () => resolve(worker);
    worker.onerror = (event) => reject(new Error(`lock holder worker failed: ${event}`));
    worker.postMessage(webLockName(id));
  });
}

checkpointStoreContract("IndexedDB, Web Locks", {
  store: new IndexedDbCheckpointStore({ databaseName: WEB_DB }),
  peer: new IndexedDbCheckpointStore({ databaseName: WEB_DB }),
  newId,
  // A holder that is gone: a worker that took the lock and was terminated.
  // The browser frees its locks; wait until it has.
  async makeStaleLock(id) {
    const worker = await holdInWorker(id);
    worker.terminate();
    // Granted once the browser has freed the worker's lock; released at once.
    await page.navigator.locks.request(webLockName(id), () => {});
  },
  async makeForeignLiveLock(id) {
    await holdInWorker(id);
  },
  cleanup() {
    for (const worker of holders) worker.terminate();
    return Promise.resolve();
  },
});

// ------------------------------------------------------------------- leases

const LEASE_DB = "contract-leases";
const leaseStore = new IndexedDbCheckpointStore({
  databaseName: LEASE_DB,
  locks: null,
  pollInterval: 10,
});

/** Writes a lease record for `id` straight into the store's database. */
async function putLease(id: string, lease: { owner: string; expires: number }): Promise<void> {
  await leaseStore.read(id); // the store creates the database on first use
  const db = await new Promise<IdbDatabase>((resolve, reject) => {
    const req = page.indexedDB.open(LEASE_DB);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction("leases", "readwrite");
      tx.objectStore("leases").put(lease, id);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

checkpointStoreContract("IndexedDB, leases", {
  store: leaseStore,
  peer: new IndexedDbCheckpointStore({ databaseName: LEASE_DB, locks: null, pollInterval: 10 }),
  pollInterval: 10,
  newId,
  // A tab that stopped renewing: its lease has expired.
  makeStaleLock: (id) => putLease(id, { owner: "closed-tab", expires: Date.now() - 1 }),
  makeForeignLiveLock: (id) => putLease(id, { owner: "other-tab", expires: Date.now() + 600_000 }),
});

declare global {
  var ossupRunContract: (() => Promise<CaseResult[]>) | undefined;
}
globalThis.ossupRunContract = runCollected;
