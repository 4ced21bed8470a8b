/**
 * Shared pieces of the upload engine tests: a server with a bucket and a
 * client made through the runtime-neutral entry (`mod.ts`), files in a temp
 * directory, deterministic synthetic sources, a byte-counting checkpoint
 * store.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Bucket,
  type CheckpointLock,
  type CheckpointStore,
  type FileSource,
  OssClient,
  type OssClientOptions,
} from "../mod.ts";
import { after, before } from "node:test";
import { collect } from "./_client_setup.ts";
import { GatedClock } from "./_gated_clock.ts";
import type { FaultStats } from "../lib/server/faults.ts";
import { runtimeCommand } from "./_runtime_command.ts";
import { testBytes } from "./_test_bytes.ts";
import { startServer, type StartServerOptions, type TestServer } from "./_server.ts";

/** The repository root. */
export const ROOT: string = join(dirname(fileURLToPath(import.meta.url)), "..");

/** 100 KB, the smallest part size. */
export const KB100 = 100 * 1024;

/** A server, a client of it through `mod.ts`, a bucket and a temp directory. */
export interface UploadEnv {
  server: TestServer;
  client: OssClient;
  bucket: Bucket;
  bucketName: string;
  dir: string;
  close(): Promise<void>;
}

/** Client options for `server`: quick retries, so fault tests stay fast. */
export function clientOptions(server: TestServer, extra: Partial<OssClientOptions> = {}) {
  return {
    endpoint: server.url,
    region: server.region,
    accessKeyId: server.accessKeyId,
    accessKeySecret: server.accessKeySecret,
    retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 50 },
    ...extra,
  } satisfies OssClientOptions;
}

/** Starts a server (with `serverOptions`) with bucket `bucketName` and a temp directory. */
export async function uploadEnv(
  bucketName = "uploads",
  serverOptions: StartServerOptions = {},
): Promise<UploadEnv> {
  const server = await startServer(serverOptions);
  const client = new OssClient(clientOptions(server));
  await client.createBucket(bucketName);
  const dir = await mkdtemp(join(tmpdir(), "ossup-upload-"));
  return {
    server,
    client,
    bucket: client.bucket(bucketName),
    bucketName,
    dir,
    close: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a `describe` whose tests hold requests at the server: registers hooks that start an
 * {@linkcode uploadEnv} on a {@linkcode GatedClock} before its tests and, after them, let every
 * held request go and close it. `env` is set once the tests run.
 */
export function heldUploadEnv(bucketName: string): { readonly env: UploadEnv; clock: GatedClock } {
  const clock = new GatedClock();
  let env: UploadEnv | undefined;
  before(async () => {
    env = await uploadEnv(bucketName, { faultClock: clock });
  });
  after(async () => {
    clock.release();
    await env?.close();
  });
  return {
    get env(): UploadEnv {
      if (env === undefined) throw new Error("the env starts in the describe's before hook");
      return env;
    },
    clock,
  };
}

/** Writes `size` deterministic bytes to `dir/name`; returns the path and the bytes. */
export async function writeTestFile(
  dir: string,
  name: string,
  size: number,
  seed = 1,
): Promise<{ path: string; bytes: Uint8Array<ArrayBuffer> }> {
  const path = join(dir, name);
  const bytes = testBytes(size, seed);
  await writeFile(path, bytes);
  return { path, bytes };
}

/** The object's bytes. */
export async function objectBytes(bucket: Bucket, key: string): Promise<Uint8Array> {
  return await (await bucket.getObject(key)).bytes();
}

/** Upload IDs of the unfinished multipart uploads of `key`. */
export async function uploadIdsOf(bucket: Bucket, key: string): Promise<string[]> {
  const all = await collect(bucket.listMultipartUploads({ prefix: key }));
  return all.filter((u) => u.key === key).map((u) => u.uploadId);
}

// Compares without printing megabytes on failure (shared with the published contract suites).
export { sameBytes } from "../lib/testing/_same_bytes.ts";

// A block of pseudo-random bytes that synthetic sources repeat, each
// repetition shifted by its index so no two parts are alike.
const BLOCK = testBytes(64 * 1024, 99);

function fillSynthetic(out: Uint8Array, position: number, seed: number): void {
  for (let i = 0; i < out.length;) {
    const p = position + i;
    const inBlock = p % BLOCK.length;
    const n = Math.min(out.length - i, BLOCK.length - inBlock);
    out.set(BLOCK.subarray(inBlock, inBlock + n), i);
    // One byte per block marks which block (and seed) this is.
    if (inBlock === 0) out[i] = (Math.floor(p / BLOCK.length) * 31 + seed) & 0xff;
    i += n;
  }
}

/** A child process running one resumable `uploadFile` (tests/_upload_child.ts). */
export interface UploadChild {
  /** The process, to kill. */
  child: ChildProcess;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once its output includes `text` (at once if it already does). */
  printed(text: string): Promise<void>;
  /**
   * Once `ready` resolves, SIGKILLs the child and waits for it to end; rejects if it ended
   * before (it was not killed where the test meant to).
   */
  killWhen(ready: Promise<unknown>): Promise<void>;
  /** Whether it has exited. */
  exited(): boolean;
  /** The signal that ended it, once it has. */
  exit: Promise<string | null>;
}

/** Starts tests/_upload_child.ts uploading `path` to `key` of `env`'s bucket with a checkpoint. */
export function startUploadChild(
  env: UploadEnv,
  o: { key: string; path: string; partSize: number; routines: number },
): UploadChild {
  return startTransferChild(env, "_upload_child.ts", o);
}

/**
 * Starts `tests/<script>` (a child running one transfer against `env`'s bucket), giving it the
 * server's address, the credentials, the bucket and `o` as one JSON argument.
 */
export function startTransferChild(
  env: UploadEnv,
  script: string,
  o: Record<string, unknown>,
): UploadChild {
  const [command, args] = runtimeCommand(join(ROOT, "tests", script), [
    JSON.stringify({
      endpoint: env.server.url,
      region: env.server.region,
      accessKeyId: env.server.accessKeyId,
      accessKeySecret: env.server.accessKeySecret,
      bucket: env.bucketName,
      ...o,
    }),
  ]);
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  let exited = false;
  const exit = new Promise<string | null>((resolve) => {
    child.on("exit", (_code, signal) => {
      exited = true;
      resolve(signal);
    });
  });
  const printed = (text: string) =>
    new Promise<void>((resolve) => {
      if (output.includes(text)) resolve();
      child.stdout!.on("data", () => output.includes(text) && resolve());
    });
  const killWhen = async (ready: Promise<unknown>) => {
    await Promise.race([exit, ready]);
    if (exited) throw new Error(`the child ended before it was killed:\n${output}`);
    child.kill("SIGKILL");
    if (await exit !== "SIGKILL") throw new Error(`the child outlived SIGKILL:\n${output}`);
  };
  return { child, output: () => output, printed, killWhen, exited: () => exited, exit };
}

/** UploadPart requests the server answered with success, all part numbers together. */
export function partsReceived(stats: FaultStats): number {
  return Object.values(stats.parts).reduce((a, b) => a + b, 0);
}

/** Whether a file or folder is at `path`. */
export function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** The first `size` bytes a {@linkcode syntheticSource} with `seed` yields. */
export function syntheticBytes(size: number, seed = 0): Uint8Array {
  const out = new Uint8Array(size);
  fillSynthetic(out, 0, seed);
  return out;
}

/** Options of {@linkcode syntheticSource}. */
export interface SyntheticSourceOptions {
  seed?: number;
  name?: string;
  lastModified?: number;
  /** Called with the offset of every range read, e.g. to count reads. */
  onRead?: (offset: number, length: number) => void;
  /** What `stat()` reports; default the size and time at creation. */
  stat?: () => { size: number; lastModified: number };
}

/**
 * A `FileSource` of `size` generated bytes: large sources without disk or
 * memory (it yields 64 KB chunks on demand).
 */
export function syntheticSource(size: number, o: SyntheticSourceOptions = {}): FileSource {
  const seed = o.seed ?? 0;
  const lastModified = o.lastModified ?? 1_700_000_000_000;
  return {
    name: o.name ?? `synthetic-${size}-${seed}`,
    size,
    lastModified,
    stream(offset: number, length: number): ReadableStream<Uint8Array> {
      o.onRead?.(offset, length);
      let at = offset;
      const end = offset + length;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (at >= end) {
            controller.close();
            return;
          }
          const chunk = new Uint8Array(Math.min(64 * 1024, end - at));
          fillSynthetic(chunk, at, seed);
          at += chunk.length;
          controller.enqueue(chunk);
        },
      }, { highWaterMark: 0 });
    },
    stat: () => Promise.resolve(o.stat?.() ?? { size, lastModified }),
    close: () => Promise.resolve(),
  };
}

/** A store wrapper that counts the bytes written to it. */
export interface CountingStore extends CheckpointStore {
  /** Bytes given to `write`, one entry per call. */
  writes: number[];
  /** Bytes given to `append`, one entry per call. */
  appends: number[];
}

/** Wraps `inner`, counting what `write` and `append` are given. */
export function countingStore(inner: CheckpointStore): CountingStore {
  const writes: number[] = [];
  const appends: number[] = [];
  return {
    writes,
    appends,
    read: (id) => inner.read(id),
    write: (id, data) => {
      writes.push(data.length);
      return inner.write(id, data);
    },
    append: (id, data) => {
      appends.push(data.length);
      return inner.append(id, data);
    },
    remove: (id) => inner.remove(id),
    lock: (id, options): Promise<CheckpointLock> => inner.lock(id, options),
  };
}
