// downloadFile does its local work while the network works: the checkpoint is locked while
// HeadObject is on its way, and the ranges go out before the journal's header is stored (their
// records wait for it). Each is shown by holding one side until the other has happened, which
// it does only if the two overlap (without it the test times out).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CheckpointStore, OssClient } from "../mod.ts";
import { MemoryCheckpointStore } from "../lib/checkpoint/mod.ts";
import type { FetchHandler } from "../lib/server/listen.ts";
import { startServer, type TestServer } from "./_server.ts";
import { testBytes } from "./_test_bytes.ts";
import { clientOptions, sameBytes } from "./_upload_fixtures.ts";

const KiB = 1024;
const PART = 100 * KiB;

/** A promise opened once, and whether it was. */
function gate(): { opened: Promise<void>; open: () => void; isOpen: () => boolean } {
  let open!: () => void;
  let isOpen = false;
  const opened = new Promise<void>((resolve) => open = resolve);
  return {
    opened,
    open: () => {
      isOpen = true;
      open();
    },
    isOpen: () => isOpen,
  };
}

describe("downloadFile overlaps its local work with the network", () => {
  let server: TestServer;
  let dir: string;
  let onHead: (() => Promise<void>) | undefined;
  let onRange: (() => void) | undefined;

  const holding = (inner: FetchHandler): FetchHandler => async (req, env) => {
    if (req.method === "HEAD") await onHead?.();
    if (req.method === "GET" && req.headers.has("range")) onRange?.();
    return await inner(req, env);
  };

  before(async () => {
    server = await startServer({ wrapHandler: holding });
    dir = await mkdtemp(join(tmpdir(), "ossup-download-overlap-"));
    const client = new OssClient(clientOptions(server));
    await client.createBucket("overlap");
    await client.bucket("overlap").putObject("k", testBytes(10 * PART + 7, 5));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Downloads `k` with checkpoints in `store`, and checks the file. */
  const download = async (store: CheckpointStore, name: string) => {
    const path = join(dir, `${name}.bin`);
    const result = await new OssClient(clientOptions(server)).bucket("overlap").downloadFile(
      "k",
      path,
      { partSize: PART, routines: 4, checkpoint: store, checkpointId: `${name}.cp` },
    );
    assert.equal(result.parts, 11);
    assert.ok(sameBytes(new Uint8Array(await readFile(path)), testBytes(10 * PART + 7, 5)));
  };

  it("locks the checkpoint while HeadObject is on its way", { timeout: 30_000 }, async () => {
    const memory = new MemoryCheckpointStore();
    const locked = gate();
    const store: CheckpointStore = {
      read: (id) => memory.read(id),
      write: (id, data) => memory.write(id, data),
      append: (id, data) => memory.append(id, data),
      remove: (id) => memory.remove(id),
      lock: async (id, options) => {
        const lock = await memory.lock(id, options);
        locked.open();
        return lock;
      },
    };
    let lockedAtHead: boolean | undefined;
    onHead = async () => {
      await locked.opened; // answered only once the lock was taken meanwhile
      lockedAtHead = locked.isOpen();
    };
    try {
      await download(store, "locked");
    } finally {
      onHead = undefined;
    }
    assert.equal(lockedAtHead, true);
    assert.equal(await memory.read("locked.cp"), null, "the checkpoint is removed after success");
  });

  it("sends its ranges before the journal's header is stored; the records wait for it", {
    timeout: 30_000,
  }, async () => {
    const memory = new MemoryCheckpointStore();
    const ranged = gate();
    const order: string[] = [];
    const store: CheckpointStore = {
      read: (id) => memory.read(id),
      write: async (id, data) => {
        await ranged.opened; // the header is stored only once a range has gone out
        order.push("header");
        await memory.write(id, data);
      },
      append: async (id, data) => {
        order.push("record");
        await memory.append(id, data);
      },
      remove: (id) => memory.remove(id),
      lock: (id, options) => memory.lock(id, options),
    };
    onRange = () => ranged.open();
    try {
      await download(store, "journal");
    } finally {
      onRange = undefined;
    }
    assert.equal(order[0], "header");
    assert.equal(order.filter((o) => o === "record").length, 11);
  });
});
