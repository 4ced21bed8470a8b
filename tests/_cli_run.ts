/**
 * Runs the `ossup` command line (lib/cli/main.ts) in a child process on the
 * runtime running the test: `deno run -A`, `bun run`, or Node through the
 * checkout launcher `bin/ossup.mjs` (tsx), which works from any folder.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { Buffer } from "node:buffer";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { TestServer } from "./_server.ts";

const MAIN = fileURLToPath(new URL("../lib/cli/main.ts", import.meta.url));
const LAUNCHER = fileURLToPath(new URL("../bin/ossup.mjs", import.meta.url));

/** The flags that point an `ossup` command at `server` with its key. */
export function serverFlags(
  server: Pick<TestServer, "url" | "region" | "accessKeyId" | "accessKeySecret">,
): string[] {
  return [
    "--endpoint",
    server.url,
    "--region",
    server.region,
    "--access-key-id",
    server.accessKeyId,
    "--access-key-secret",
    server.accessKeySecret,
  ];
}

/** The command that runs ossup with `args` on this runtime. */
export function ossupCommand(args: string[]): [string, string[]] {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno) return [g.Deno.execPath(), ["run", "-A", MAIN, ...args]];
  if (g.Bun) return [process.execPath, ["run", MAIN, ...args]];
  return [process.execPath, [LAUNCHER, ...args]];
}

/** The environment without any OSS_* variable (so nothing real is reached). */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("OSS_") && !k.startsWith("OSSUP_")) env[k] = v;
  }
  return { ...env, ...extra };
}

/** The environment that points an `ossup` command at `server` with its key (and nothing real). */
export function serverEnv(
  server: Pick<TestServer, "url" | "region" | "accessKeyId" | "accessKeySecret">,
): Record<string, string> {
  return cleanEnv({
    OSS_ENDPOINT: server.url,
    OSS_REGION: server.region,
    OSS_ACCESS_KEY_ID: server.accessKeyId,
    OSS_ACCESS_KEY_SECRET: server.accessKeySecret,
  });
}

/** A running ossup. */
export interface OssupRun {
  child: ChildProcess;
  /**
   * Sends SIGINT as Ctrl-C would. Through `process.kill`: Deno's
   * `child.kill` reports a killed child's exit code as null.
   */
  interrupt(): void;
  /** Exit code (null when killed) and signal. */
  exit: Promise<{ code: number | null; signal: string | null }>;
  stdout(): string;
  /** Stdout's bytes as written (for binary output: `cat`, `cp oss://… -`). */
  stdoutBytes(): Uint8Array;
  stderr(): string;
  /** Resolves when stderr has a match for `re`. */
  waitForStderr(re: RegExp): Promise<void>;
  /** Resolves when stdout has a match for `re`. */
  waitForStdout(re: RegExp): Promise<void>;
}

/** The text a child writes on one stream, and waits for a match in it. */
function watched(
  stream: NodeJS.ReadableStream,
  exit: Promise<{ code: number | null }>,
): { text(): string; waitFor(re: RegExp): Promise<void> } {
  let text = "";
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  stream.on("data", (d) => {
    text += d;
    for (const w of [...waiters]) {
      if (w.re.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    text: () => text,
    waitFor: (re) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(text)) return resolve();
        waiters.push({ re, resolve });
        exit.then(({ code }) => reject(new Error(`ossup exited (${code}) before ${re}: ${text}`)));
      }),
  };
}

/** Starts ossup. */
export function startOssup(
  args: string[],
  o: { cwd: string; env?: Record<string, string>; stdin?: Uint8Array },
): OssupRun {
  const [cmd, cmdArgs] = ossupCommand(args);
  const child = spawn(cmd, cmdArgs, {
    cwd: o.cwd,
    env: o.env ?? cleanEnv(),
    stdio: [o.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (o.stdin !== undefined) child.stdin!.end(o.stdin);
  const outChunks: Uint8Array[] = [];
  child.stdout!.on("data", (d: Uint8Array) => outChunks.push(d));
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal }))
  );
  const out = watched(child.stdout!, exit);
  const err = watched(child.stderr!, exit);
  return {
    child,
    interrupt: () => void process.kill(child.pid!, "SIGINT"),
    exit,
    stdout: out.text,
    stdoutBytes: () => new Uint8Array(Buffer.concat(outChunks)),
    stderr: err.text,
    waitForStderr: err.waitFor,
    waitForStdout: out.waitFor,
  };
}

/** Runs ossup to the end. */
export async function runOssup(
  args: string[],
  o: { cwd: string; env?: Record<string, string>; stdin?: Uint8Array },
): Promise<{ code: number | null; stdout: string; stdoutBytes: Uint8Array; stderr: string }> {
  const run = startOssup(args, o);
  const { code } = await run.exit;
  return { code, stdout: run.stdout(), stdoutBytes: run.stdoutBytes(), stderr: run.stderr() };
}

/** Lines of stderr that are not progress or the embedded-default note. */
export function messageLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "");
}

/**
 * Asserts that the checkpoint file at `path` is absent or holds only an
 * upload's intent (a header with no upload ID): what a run that never got
 * an upload started may leave for the next run to look for strays with.
 */
export async function assertAtMostAnIntent(path: string): Promise<void> {
  const text = await readFile(path, "utf8").catch((err) => {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw err;
  });
  if (text !== undefined) assert.match(text, /"uploadId":""/, `${path} holds only an intent`);
}
