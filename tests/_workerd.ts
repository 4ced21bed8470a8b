/**
 * Runs workerd (npm package `workerd`) for the tests: learns the port it
 * listens on from its control fd, and stops it.
 *
 * @module
 */

import type { ChildProcess } from "node:child_process";

/**
 * Resolves with the port workerd reports on its control fd (fd 3, spawned
 * with `--control-fd=3`) once its socket `socket` listens.
 *
 * @example
 * ```ts
 * const port = await workerdPort(child, () => stderrText);
 * ```
 */
export function workerdPort(
  child: ChildProcess,
  stderr: () => string,
  socket = "http",
): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(
      () => reject(new Error(`workerd did not listen within 30 s: ${stderr()}`)),
      30_000,
    );
    const control = child.stdio[3] as NodeJS.ReadableStream;
    control.setEncoding("utf8");
    const listening = new RegExp(`"event":"listen","socket":"${socket}","port":(\\d+)`);
    control.on("data", (chunk: string) => {
      buffered += chunk;
      const m = listening.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`workerd exited with ${code}: ${stderr()}`));
    });
  });
}

/**
 * Stops a child process: SIGTERM, then SIGKILL if it is still there after 5 s.
 *
 * @example
 * ```ts
 * await stopChild(child);
 * ```
 */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
