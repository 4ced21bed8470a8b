/**
 * The embedded default: with no endpoint configured, `ossup` works against
 * the local OSS-compatible server with its data in `./.ossup`, the way a
 * program with an embedded database works before one is configured.
 *
 * ```
 * .ossup/local-key.json   the local AccessKey pair (generated once, mode 0600)
 * .ossup/lock             pid of the process serving .ossup/data now
 * .ossup/server.json      { url, pid, owner } of that process
 * .ossup/port             the port it listens on, reused next time (checkpoints
 *                         record the endpoint, so a resume needs the same one)
 * .ossup/data/            the server's data directory
 * ```
 *
 * A command starts the server in its own process for its duration, unless
 * `ossup serve` already serves the directory: then it uses that one. Two
 * processes never open the data directory at once (the storage keeps an
 * index in memory), so a second command while another one owns it fails
 * with a clear message instead.
 *
 * `OSSUP_LOCAL_BANDWIDTH` (e.g. `8MB`, per request per second) slows the
 * local server's part uploads and range downloads, to watch progress and
 * interrupt a transfer on a fast machine (the demo uses it).
 *
 * @module
 */

import { mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { createOssApp } from "../server/app.ts";
import { createAuthenticator } from "../server/auth.ts";
import { nodeSha1 } from "../adapters/node_api/node_sha1.ts";
import { nodeSha256 } from "../adapters/node_api/node_sha256.ts";
import { DiskStorage } from "../server/disk_storage.ts";
import { FaultInjector } from "../server/faults.ts";
import { listen } from "../server/listen.ts";
import { LOCAL_ENDPOINT_REGION } from "../client/endpoint.ts";
import { parseSize } from "./units.ts";
import { CliError, EXIT } from "./cli_error.ts";

/** The folder, relative to the working directory. */
export const LOCAL_DIR = ".ossup";

/** Region the local server reports: the one a client assumes for an IP or localhost endpoint. */
export const LOCAL_REGION = LOCAL_ENDPOINT_REGION;

/** The local key pair; the secret is never printed. */
export interface LocalKey {
  accessKeyId: string;
  accessKeySecret: string;
}

/** A local server this process can talk to. */
export interface LocalServer extends LocalKey {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Region to sign for. */
  region: string;
  /** The data directory, as given. */
  dir: string;
  /** True when another process (`ossup serve`) runs it. */
  shared: boolean;
  /** Stops it if this process started it. */
  close(): Promise<void>;
}

interface ServerRecord {
  url: string;
  pid: number;
  owner: "serve" | "command";
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function errCode(err: unknown): string | undefined {
  return (err as { code?: string })?.code;
}

/**
 * The local key pair of `dir`, generated on first use.
 *
 * @param dir The `.ossup` folder.
 * @returns The key pair.
 */
export async function localKey(dir: string): Promise<LocalKey> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, "local-key.json");
  const fresh: LocalKey = {
    accessKeyId: "ossup-local",
    accessKeySecret: hex(crypto.getRandomValues(new Uint8Array(20))),
  };
  try {
    await writeFile(file, JSON.stringify(fresh) + "\n", { flag: "wx", mode: 0o600 });
    return fresh;
  } catch (err) {
    if (errCode(err) !== "EEXIST") throw err;
  }
  const saved = JSON.parse(await readFile(file, "utf8")) as LocalKey;
  if (!saved.accessKeyId || !saved.accessKeySecret) {
    throw new CliError(EXIT.usage, `${file} is damaged; delete it to generate a new local key`);
  }
  return saved;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errCode(err) === "EPERM";
  }
}

async function readRecord(dir: string): Promise<ServerRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, "server.json"), "utf8")) as ServerRecord;
  } catch {
    return undefined;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url + "/", { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** Takes `dir/lock` for this process; returns the live holder's pid when another has it. */
async function takeLock(dir: string): Promise<number | undefined> {
  const file = join(dir, "lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: "wx" });
      return undefined;
    } catch (err) {
      if (errCode(err) !== "EEXIST") throw err;
    }
    const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (pid > 0 && pid !== process.pid && isAlive(pid)) return pid;
    // Left by a process that died (killed): take it over.
    await unlink(file).catch(() => {});
  }
  throw new CliError(EXIT.unexpected, `cannot take ${file}; delete it and try again`);
}

/** The server's pieces from `lib/server`, on disk storage in `dir/data`. */
async function startServer(
  dir: string,
  key: LocalKey,
  options: OpenLocalServerOptions,
): Promise<{ url: string; close(): Promise<void> }> {
  const bandwidth = options.bandwidth === undefined ? undefined : parseSize(options.bandwidth);
  let faults: FaultInjector | undefined;
  if (bandwidth) {
    faults = new FaultInjector();
    for (
      const [operation, phase] of [["UploadPart", "request"], ["GetObject", "response"]] as const
    ) {
      faults.add({
        operation,
        times: 0,
        action: { type: "bandwidth", phase, bytesPerSecond: bandwidth },
      });
    }
  }
  const storage = await DiskStorage.open(join(dir, "data"));
  const { app } = createOssApp({
    storage,
    region: LOCAL_REGION,
    authenticate: createAuthenticator({ credentials: [key], sha256: nodeSha256, sha1: nodeSha1 }),
    faults,
  });
  try {
    const host = options.host ?? "127.0.0.1";
    // The same port every time: checkpoints record the endpoint, and a resume needs it unchanged.
    const portFile = join(dir, "port");
    const saved = Number((await readFile(portFile, "utf8").catch(() => "")).trim());
    let server;
    if (options.port === undefined && saved > 0 && saved < 65536) {
      server = await listen(app.fetch, { host, port: saved }).catch(() => undefined);
    }
    server ??= await listen(app.fetch, { host, port: options.port ?? 0 });
    if (server.port !== saved && options.port === undefined) {
      await writeFile(portFile, `${server.port}\n`).catch(() => {});
    }
    return {
      url: server.url,
      close: async () => {
        await server.close();
        await storage.close();
      },
    };
  } catch (err) {
    await storage.close();
    throw err;
  }
}

/** Options of {@linkcode openLocalServer}. */
export interface OpenLocalServerOptions {
  /** Folder holding key, lock and data. Default `./.ossup`. */
  dir?: string;
  /** `"serve"` for `ossup serve` (others may share it), `"command"` otherwise. */
  owner?: "serve" | "command";
  /** Interface to bind. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
  /** Bytes per second per part upload or range download, e.g. `"8MB"`. Default: unlimited. */
  bandwidth?: string;
}

/**
 * Finds or starts the local server of `./.ossup`.
 *
 * @param options Folder, owner kind, host and port.
 * @returns The server and its key.
 * @throws {CliError} When another command owns the directory right now.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtemp, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import { openLocalServer } from "./local_server.ts";
 *
 * const dir = join(await mkdtemp(join(tmpdir(), "ossup-example-")), ".ossup"); // default ./.ossup
 * const local = await openLocalServer({ dir });
 * assert.match(local.url, /^http:\/\/127\.0\.0\.1:\d+$/);
 * assert.equal(local.shared, false); // this process started it
 * await local.close();
 * await rm(join(dir, ".."), { recursive: true });
 * ```
 */
export async function openLocalServer(options: OpenLocalServerOptions = {}): Promise<LocalServer> {
  const dir = options.dir ?? LOCAL_DIR;
  const key = await localKey(dir);
  const holder = await takeLock(dir);
  if (holder !== undefined) {
    const record = await readRecord(dir);
    if (
      options.owner !== "serve" && record?.pid === holder && record.owner === "serve" &&
      await answers(record.url)
    ) {
      return {
        ...key,
        url: record.url,
        region: LOCAL_REGION,
        dir,
        shared: true,
        close: () => Promise.resolve(),
      };
    }
    throw new CliError(
      EXIT.checkpoint,
      `the local data in ${dir} is in use by another ossup process (pid ${holder}); wait for it ` +
        "to finish, or run `ossup serve` in another terminal so that commands share it",
    );
  }
  let running;
  try {
    running = await startServer(dir, key, options);
  } catch (err) {
    await unlink(join(dir, "lock")).catch(() => {});
    throw err;
  }
  const record: ServerRecord = {
    url: running.url,
    pid: process.pid,
    owner: options.owner ?? "command",
  };
  await writeFile(join(dir, "server.json"), JSON.stringify(record) + "\n");
  let closed = false;
  return {
    ...key,
    url: running.url,
    region: LOCAL_REGION,
    dir,
    shared: false,
    close: async () => {
      if (closed) return;
      closed = true;
      await unlink(join(dir, "server.json")).catch(() => {});
      await running.close();
      await unlink(join(dir, "lock")).catch(() => {});
    },
  };
}
