/**
 * The contract every `CheckpointStore` passes, as `node:test` suites: a store written for
 * Redis, Deno KV or anything else proves itself by calling
 * {@linkcode checkpointStoreContract} from its own test file. ossup's stores (file, memory,
 * IndexedDB) run it too.
 *
 * @module
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CheckpointLock, CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import { AbortError, CheckpointError } from "../errors/errors.ts";

/**
 * How the contract reaches a store.
 *
 * @example A store where every "process" shares one object
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryCheckpointStore } from "@ossup/ossup";
 * import type { CheckpointStoreSetup } from "@ossup/ossup/testing";
 *
 * const store = new MemoryCheckpointStore();
 * let n = 0;
 * const setup: CheckpointStoreSetup = { store, peer: store, newId: () => `cp-${++n}` };
 * assert.notEqual(setup.newId(), setup.newId()); // a fresh id for every test
 * // The peer sees what the store wrote, as a second process would.
 * const id = setup.newId();
 * await setup.store.write(id, new Uint8Array([1]));
 * assert.deepEqual(await setup.peer.read(id), new Uint8Array([1]));
 * ```
 */
export interface CheckpointStoreSetup {
  /** The store under test. */
  store: CheckpointStore;
  /**
   * Another store over the same storage, as a second process would open it
   * (for the file store, a second `FileCheckpointStore`; for the memory
   * store, the same object).
   */
  peer: CheckpointStore;
  /** Returns a fresh id nothing uses yet. */
  newId(): string;
  /**
   * Leaves a lock on `id` held by a holder that is gone (a dead process),
   * for stores that can tell; the stale-lock tests run only when given.
   */
  makeStaleLock?(id: string): Promise<void>;
  /** Leaves a lock on `id` held by a live holder outside this process. */
  makeForeignLiveLock?(id: string): Promise<void>;
  /** Runs after all tests. */
  cleanup?(): Promise<void>;
  /**
   * How often, in ms, the store's `lock({ wait: true })` looks again at a
   * lock held elsewhere (its `pollInterval` option). The contract holds every
   * store to the same behaviour by scaling its windows to it: before asserting
   * that a waiter is still waiting, it lets the waiter poll a few times.
   * Leave it out for stores that wake waiters on release (memory, Web Locks).
   */
  pollInterval?: number;
}

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

function isLocked(err: unknown): boolean {
  assert.ok(err instanceof CheckpointError, `expected CheckpointError, got ${err}`);
  assert.equal(err.code, "CheckpointLocked");
  return true;
}

function isAborted(err: unknown): boolean {
  assert.ok(err instanceof AbortError, `expected AbortError, got ${err}`);
  assert.equal(err.code, "Aborted");
  return true;
}

/** Polls a waiter gets inside one window: enough that a lost release or a double grant shows. */
const POLLS_PER_WINDOW = 3;
/** The window of a store that does not poll: a few turns of the event loop. */
const WAKE_ON_RELEASE_WINDOW_MS = 30;

/** Resolves after `ms`: the time a waiter is given to (wrongly) take a held lock. */
function windowOf(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Registers the `CheckpointStore` contract as `node:test` tests (run them with `node --test`,
 * `deno test` or `bun test`): reads, atomic writes, appends, removal, and the lock (exclusive,
 * waiting, aborting, stale and foreign holders where the setup can make them).
 *
 * @param name The store's name, for the describe block.
 * @param setup The store, its peer and id source.
 *
 * @example Prove a store in a few lines, in a test file of your own
 * (it registers `node:test` tests, which a doc test cannot hold)
 * ```ts ignore
 * import { MemoryCheckpointStore } from "@ossup/ossup";
 * import { checkpointStoreContract } from "@ossup/ossup/testing";
 *
 * const store = new MemoryCheckpointStore();
 * let n = 0;
 * checkpointStoreContract("memory", { store, peer: store, newId: () => `cp-${++n}` });
 * ```
 */
export function checkpointStoreContract(name: string, setup: CheckpointStoreSetup): void {
  const { store, peer, newId } = setup;
  /** Time for a waiter to poll a few times: it must still be waiting after it. */
  const pollWindow = () =>
    windowOf(
      setup.pollInterval === undefined
        ? WAKE_ON_RELEASE_WINDOW_MS
        : POLLS_PER_WINDOW * setup.pollInterval,
    );

  describe(`CheckpointStore contract: ${name}`, () => {
    if (setup.cleanup) after(setup.cleanup);

    it("reads null for an id never written", async () => {
      assert.equal(await store.read(newId()), null);
    });

    it("writes and reads back, keeping no reference to caller buffers", async () => {
      const id = newId();
      const input = bytes("header line\n");
      await store.write(id, input);
      input.fill(0);
      const out = await store.read(id);
      assert.ok(out instanceof Uint8Array);
      assert.equal(text(out), "header line\n");
      out!.fill(0);
      assert.equal(text(await store.read(id)), "header line\n");
    });

    it("write replaces the whole content, longer or shorter", async () => {
      const id = newId();
      await store.write(id, bytes("a".repeat(1000)));
      await store.write(id, bytes("short"));
      assert.equal(text(await store.read(id)), "short");
      await store.write(id, bytes(""));
      const empty = await store.read(id);
      assert.ok(empty !== null && empty.length === 0, "an empty write is content, not absence");
    });

    it("append creates, then appends in order", async () => {
      const id = newId();
      await store.append(id, bytes("h\n"));
      for (let i = 0; i < 200; i++) await store.append(id, bytes(`r${i}\n`));
      const lines = text(await store.read(id))!.split("\n");
      assert.equal(lines[0], "h");
      assert.deepEqual(lines.slice(1, -1), Array.from({ length: 200 }, (_, i) => `r${i}`));
    });

    it("appends after a write, and a write after appends replaces them", async () => {
      const id = newId();
      await store.write(id, bytes("H1\n"));
      await store.append(id, bytes("p1\n"));
      await store.append(id, bytes("p2\n"));
      assert.equal(text(await store.read(id)), "H1\np1\np2\n");
      await store.write(id, bytes("H2\n"));
      assert.equal(text(await store.read(id)), "H2\n");
      await store.append(id, bytes("q\n"));
      assert.equal(text(await store.read(id)), "H2\nq\n");
    });

    it("keeps concurrent appends whole", async () => {
      const id = newId();
      await store.write(id, bytes(""));
      const records = Array.from(
        { length: 40 },
        (_, i) => `${String(i).padStart(2, "0")}:${"x".repeat(80)}\n`,
      );
      await Promise.all(records.map((r) => store.append(id, bytes(r))));
      const got = text(await store.read(id))!.split(/(?<=\n)/);
      assert.deepEqual(got.sort(), records.slice().sort());
    });

    it("holds binary content exactly", async () => {
      const id = newId();
      const all = new Uint8Array(256).map((_, i) => i);
      await store.write(id, all);
      await store.append(id, all);
      const out = await store.read(id);
      assert.equal(out!.length, 512);
      for (let i = 0; i < 512; i++) assert.equal(out![i], i % 256);
    });

    it("removes, and removing nothing is fine", async () => {
      const id = newId();
      await store.write(id, bytes("x"));
      await store.remove(id);
      assert.equal(await store.read(id), null);
      await store.remove(id);
      await store.remove(newId());
    });

    it("keeps ids apart", async () => {
      const a = newId(), b = newId();
      await store.write(a, bytes("A"));
      await store.write(b, bytes("B"));
      await store.append(a, bytes("a"));
      assert.equal(text(await store.read(a)), "Aa");
      assert.equal(text(await store.read(b)), "B");
      await store.remove(a);
      assert.equal(text(await store.read(b)), "B");
    });

    it("shows writes to its peer (another process's view)", async () => {
      const id = newId();
      await store.write(id, bytes("H\n"));
      await peer.append(id, bytes("p\n"));
      assert.equal(text(await store.read(id)), "H\np\n");
    });

    it("lock is exclusive: a second taker gets CheckpointLocked until release", async () => {
      const id = newId();
      const lock = await store.lock(id);
      await assert.rejects(store.lock(id), isLocked);
      await assert.rejects(peer.lock(id), isLocked);
      const other = await store.lock(newId()); // other ids are free
      await other.release();
      await lock.release();
      await lock.release(); // twice is safe
      const again = await peer.lock(id);
      await assert.rejects(store.lock(id), isLocked);
      await again.release();
    });

    it("lock does not touch the checkpoint's content", async () => {
      const id = newId();
      await store.write(id, bytes("H\n"));
      const lock = await store.lock(id);
      assert.equal(text(await store.read(id)), "H\n");
      await lock.release();
      assert.equal(text(await store.read(id)), "H\n");
      const lock2 = await store.lock(newId());
      await lock2.release();
    });

    it("of many concurrent takers exactly one wins", async () => {
      const id = newId();
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? peer : store).lock(id)),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === "rejected") isLocked(r.reason);
      await (won[0] as PromiseFulfilledResult<CheckpointLock>).value.release();
    });

    it("wait: true waits for the holder to release", async () => {
      const id = newId();
      const first = await store.lock(id);
      let got = false;
      const waiting = peer.lock(id, { wait: true }).then((l) => {
        got = true;
        return l;
      });
      await pollWindow();
      assert.equal(got, false, "must not get the lock while it is held");
      await first.release();
      const second = await waiting;
      assert.equal(got, true);
      await assert.rejects(store.lock(id), isLocked);
      await second.release();
    });

    it("waiters take turns: never two holders at once", async () => {
      const id = newId();
      let inside = 0, maxInside = 0, done = 0;
      await Promise.all(Array.from({ length: 6 }, async (_, i) => {
        const lock = await (i % 2 ? peer : store).lock(id, { wait: true });
        inside++;
        maxInside = Math.max(maxInside, inside);
        await pollWindow(); // hold it while the others poll
        inside--;
        done++;
        await lock.release();
      }));
      assert.equal(done, 6);
      assert.equal(maxInside, 1);
    });

    it("an aborted wait rejects with AbortError and leaves the lock usable", async () => {
      const id = newId();
      const held = await store.lock(id);
      const controller = new AbortController();
      const waiting = peer.lock(id, { wait: true, signal: controller.signal });
      await pollWindow();
      controller.abort(new Error("user pressed pause"));
      await assert.rejects(waiting, isAborted);
      await assert.rejects(store.lock(id, { signal: AbortSignal.abort() }), isAborted);
      await held.release();
      const next = await peer.lock(id);
      await next.release();
    });

    if (setup.makeStaleLock) {
      const makeStale = setup.makeStaleLock;
      it("takes over a lock whose holder is gone", async () => {
        const id = newId();
        await makeStale(id);
        const lock = await store.lock(id);
        await assert.rejects(peer.lock(id), isLocked);
        await lock.release();
      });

      it("of many takers of a stale lock exactly one wins", async () => {
        const id = newId();
        await makeStale(id);
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? peer : store).lock(id)),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        assert.equal(won.length, 1);
        await (won[0] as PromiseFulfilledResult<CheckpointLock>).value.release();
      });
    }

    if (setup.makeForeignLiveLock) {
      const makeLive = setup.makeForeignLiveLock;
      it("respects a lock a live holder elsewhere has", async () => {
        const id = newId();
        await makeLive(id);
        await assert.rejects(store.lock(id), isLocked);
        const controller = new AbortController();
        const waiting = store.lock(id, { wait: true, signal: controller.signal });
        await pollWindow();
        controller.abort();
        await assert.rejects(waiting, isAborted);
      });
    }
  });
}
