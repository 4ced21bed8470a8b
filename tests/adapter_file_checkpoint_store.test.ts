import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { FileCheckpointStore } from "../lib/adapters/node_api/file_checkpoint_store.ts";
import { CheckpointError, CheckpointIoError } from "../lib/errors/errors.ts";
import { checkpointFs } from "../lib/adapters/node_api/_checkpoint_fs.ts";
import { checkpointStoreContract } from "../lib/testing/checkpoint_store_contract.ts";

const dir = await mkdtemp(join(tmpdir(), "ossup-cp-"));
let counter = 0;
const newId = () => join(dir, `cp-${counter++}`, "upload.cp");
const isPosix = process.platform !== "win32";
const isLinux = process.platform === "linux"; // /proc/self/fd

/** The pid of a process that has exited (so the pid is dead). */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("true", { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolve(child.pid!));
  });
}

async function writeLock(id: string, info: object) {
  await mkdir(join(id, ".."), { recursive: true });
  await writeFile(`${id}.lock`, JSON.stringify(info));
}

// Both append modes: the default (no fsync per record) and syncAppends; and two
// lock polls, a quick one and the default 200 ms, held to the same contract.
for (const [syncAppends, pollInterval] of [[false, 10], [true, 200]] as const) {
  const name = `file${syncAppends ? ", syncAppends" : ""}, ${pollInterval} ms poll`;
  checkpointStoreContract(name, {
    store: new FileCheckpointStore({ pollInterval, syncAppends }),
    peer: new FileCheckpointStore({ pollInterval, syncAppends }),
    pollInterval,
    newId,
    async makeStaleLock(id) {
      await writeLock(id, { pid: await deadPid(), hostname: hostname(), time: 1, token: "dead" });
    },
    async makeForeignLiveLock(id) {
      await writeLock(id, { pid: 1, hostname: "another-host.invalid", time: 1, token: "far" });
    },
    cleanup: syncAppends ? () => rm(dir, { recursive: true, force: true }) : async () => {},
  });
}

/** Command line that runs `code` (an ES module) on the runtime running this test. */
function runtimeEval(code: string): string[] {
  if ("Deno" in globalThis) return [process.execPath, "eval", code];
  if ("Bun" in globalThis) return [process.execPath, "-e", code];
  return [process.execPath, "--import", "tsx", "--input-type=module", "-e", code];
}

describe("FileCheckpointStore", () => {
  const store = new FileCheckpointStore({ pollInterval: 10 });

  it("creates files with mode 0600 and leaves no temporary files", async () => {
    const id = newId();
    await store.write(id, new Uint8Array([1]));
    await store.write(id, new Uint8Array([2]));
    const lock = await store.lock(id);
    const other = newId();
    await store.append(other, new Uint8Array([3]));
    if (isPosix) {
      assert.equal((await stat(id)).mode & 0o777, 0o600);
      assert.equal((await stat(`${id}.lock`)).mode & 0o777, 0o600);
      assert.equal((await stat(other)).mode & 0o777, 0o600);
    }
    assert.deepEqual((await readdir(join(id, ".."))).sort(), ["upload.cp", "upload.cp.lock"]);
    await lock.release();
    assert.deepEqual(await readdir(join(id, "..")), ["upload.cp"]);
  });

  it("keeps one append handle per checkpoint, dropped by write, remove, release and close", async () => {
    const bytes = (...b: number[]) => new Uint8Array(b);
    // How many of this process's descriptors are open on `path` (Linux's /proc).
    const openOn = async (path: string) => {
      const fds = await readdir("/proc/self/fd").catch(() => []);
      const targets = await Promise.all(
        fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")),
      );
      return targets.filter((t) => t === path).length;
    };
    const id = newId();
    const lock = await store.lock(id);
    await store.write(id, bytes(1));
    await store.append(id, bytes(2));
    await store.append(id, bytes(3));
    if (isLinux) assert.equal(await openOn(id), 1, "both appends use one handle");
    // write replaces the file: later records go to the new one, none to the replaced one.
    await store.write(id, bytes(9));
    await store.append(id, bytes(4));
    assert.deepEqual(await store.read(id), bytes(9, 4));
    await lock.release();
    if (isLinux) assert.equal(await openOn(id), 0, "release closes the handle");
    // remove, then append: a new file, not the removed one.
    await store.append(id, bytes(5));
    await store.remove(id);
    assert.equal(await store.read(id), null);
    await store.append(id, bytes(6));
    assert.deepEqual(await store.read(id), bytes(6));
    await store.close();
    if (isLinux) assert.equal(await openOn(id), 0, "close closes the handle");
    await store.append(id, bytes(7));
    assert.deepEqual(await store.read(id), bytes(6, 7));
    await store.remove(id);
  });

  it("the lock file names its holder, and the error says who holds it", async () => {
    const id = newId();
    const lock = await store.lock(id);
    const info = JSON.parse(await readFile(`${id}.lock`, "utf8"));
    assert.equal(info.pid, process.pid);
    assert.equal(info.hostname, hostname());
    assert.equal(typeof info.time, "number");
    await assert.rejects(store.lock(id), (err: unknown) => {
      assert.ok(err instanceof CheckpointError);
      assert.match(err.message, new RegExp(`process ${process.pid} on `));
      return true;
    });
    await lock.release();
  });

  it("takes over an empty or unreadable lock at once (what a disk-full failure used to leave)", async () => {
    for (const content of ["", '{"pid":', "garbage"]) {
      const id = newId();
      await writeLock(id, {});
      await writeFile(`${id}.lock`, content); // fresh: modified just now
      const lock = await store.lock(id);
      assert.equal(JSON.parse(await readFile(`${id}.lock`, "utf8")).pid, process.pid);
      await lock.release();
    }
  });

  it("clears at once a fresh takeover guard whose taker was killed, and an unreadable one", async () => {
    for (const guard of ["dead", "empty"]) {
      const id = newId();
      await writeLock(id, { pid: await deadPid(), hostname: hostname(), time: 1, token: "dead" });
      await writeFile(
        `${id}.lock.takeover`,
        guard === "empty" ? "" : JSON.stringify({
          pid: await deadPid(),
          hostname: hostname(),
          time: Date.now(),
          token: "t",
        }),
      );
      const lock = await store.lock(id);
      assert.equal(JSON.parse(await readFile(`${id}.lock`, "utf8")).pid, process.pid);
      assert.equal(await stat(`${id}.lock.takeover`).then(() => true, () => false), false);
      await lock.release();
    }
  });

  it("leaves no lock file when filling it fails (ENOSPC, injected), and the next run takes the lock", async () => {
    const id = newId();
    const realOpen = checkpointFs.open;
    checkpointFs.open = (async (...args: Parameters<typeof realOpen>) => {
      const file = await realOpen(...args);
      if (String(args[0]).includes(".lock")) {
        file.writeFile = () => {
          const err = new Error("ENOSPC: no space left on device, write") as Error & {
            code: string;
          };
          err.code = "ENOSPC";
          return Promise.reject(err);
        };
      }
      return file;
    }) as typeof realOpen;
    try {
      await assert.rejects(store.lock(id), (err: unknown) => {
        assert.ok(err instanceof CheckpointIoError, String(err));
        assert.equal(err.code, "CheckpointIo");
        assert.equal(err.systemCode, "ENOSPC");
        assert.match(err.message, /cannot create lock .*upload\.cp\.lock \(ENOSPC\)/);
        return true;
      });
    } finally {
      checkpointFs.open = realOpen;
    }
    assert.deepEqual(await readdir(join(id, "..")), [], "no lock and no temporary file left");
    const lock = await store.lock(id);
    await lock.release();
  });

  it("release does not delete a lock that is no longer its own", async () => {
    const id = newId();
    const lock = await store.lock(id);
    await writeLock(id, { pid: process.pid, hostname: hostname(), time: 2, token: "someone-else" });
    await lock.release();
    assert.equal(JSON.parse(await readFile(`${id}.lock`, "utf8")).token, "someone-else");
  });

  it("reports I/O failures as CheckpointIoError (a CheckpointError) with the system's code", async () => {
    const id = newId();
    await mkdir(id, { recursive: true }); // a directory where the file should be
    for (const op of [() => store.read(id), () => store.append(id, new Uint8Array([1]))]) {
      await assert.rejects(op(), (err: unknown) => {
        assert.ok(err instanceof CheckpointIoError && err instanceof CheckpointError);
        assert.equal(err.code, "CheckpointIo");
        assert.equal(err.systemCode, "EISDIR");
        return true;
      });
    }
  });

  it("a lock held by another live process blocks; once that process is killed it is taken over", async () => {
    const id = newId();
    const moduleUrl =
      new URL("../lib/adapters/node_api/file_checkpoint_store.ts", import.meta.url).href;
    const code = `const { FileCheckpointStore } = await import(${JSON.stringify(moduleUrl)});
await new FileCheckpointStore().lock(${JSON.stringify(id)});
console.log("locked");
setInterval(() => {}, 1000);`;
    const [cmd, ...args] = runtimeEval(code);
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d) => {
          out += d;
          if (out.includes("locked")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`child exited with ${code} before locking`)));
      });
      await assert.rejects(store.lock(id), (err: unknown) => {
        assert.ok(err instanceof CheckpointError && err.code === "CheckpointLocked");
        assert.match(err.message, new RegExp(`process ${child.pid} `));
        return true;
      });
      const waiting = store.lock(id, { wait: true });
      child.kill("SIGKILL");
      await exited;
      const lock = await waiting; // the dead holder's lock is taken over
      assert.equal(JSON.parse(await readFile(`${id}.lock`, "utf8")).pid, process.pid);
      await lock.release();
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  });
});
