/**
 * The server's command line (lib/server/main.ts) started in a child process
 * on the current runtime, for tests that measure or kill the server apart
 * from themselves.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { runtimeCommand } from "./_runtime_command.ts";
import { ROOT } from "./_upload_fixtures.ts";

/** A server child process. */
export interface ServerProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:PORT`, from its first line. */
  url: string;
  /** Sends SIGTERM and resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `main.ts` with `flags` (it binds 127.0.0.1 on a free port) and waits for the line
 * naming its URL.
 */
export async function startServerProcess(flags: string[]): Promise<ServerProcess> {
  const [command, args] = runtimeCommand(join(ROOT, "lib", "server", "main.ts"), flags);
  const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`server exited early (${code})`)));
  });
  return {
    child,
    url: /http:\/\/127\.0\.0\.1:\d+/.exec(first)![0],
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** The credentials {@linkcode startMemoryServerProcess} serves. */
export const MEMORY_SERVER_KEYS = { accessKeyId: "mem-ak", accessKeySecret: "mem-secret-key" };

/**
 * A server process with memory storage and {@linkcode MEMORY_SERVER_KEYS}, for tests that
 * measure a client child alone (the memory tests).
 */
export function startMemoryServerProcess(): Promise<ServerProcess> {
  const { accessKeyId, accessKeySecret } = MEMORY_SERVER_KEYS;
  return startServerProcess([
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--memory",
    "--access-key-id",
    accessKeyId,
    "--access-key-secret",
    accessKeySecret,
  ]);
}

/** The argument of a client child of `server`: its address, keys and region, and `o`, as JSON. */
export function childArgsFor(server: ServerProcess, o: Record<string, unknown>): string[] {
  return [
    JSON.stringify({ endpoint: server.url, region: "cn-hangzhou", ...MEMORY_SERVER_KEYS, ...o }),
  ];
}
