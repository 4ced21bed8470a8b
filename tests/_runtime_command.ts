/**
 * The command that runs a TypeScript file as a child process on the runtime
 * running the test (Deno, Bun, or Node through tsx).
 *
 * @module
 */

import process from "node:process";

/** Options of {@linkcode runtimeCommand}. */
export interface RuntimeCommandOptions {
  /**
   * Lets the child force a full garbage collection (`globalThis.gc` on Deno and Node; Bun
   * always has `Bun.gc`). Default `false`.
   */
  exposeGc?: boolean;
}

/** Command and arguments that run the TypeScript `script` on the current runtime. */
export function runtimeCommand(
  script: string,
  args: string[],
  o: RuntimeCommandOptions = {},
): [string, string[]] {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno) {
    const gc = o.exposeGc ? ["--v8-flags=--expose-gc"] : [];
    return [process.execPath, ["run", "-A", ...gc, script, ...args]];
  }
  if (g.Bun) return [process.execPath, ["run", script, ...args]];
  const gc = o.exposeGc ? ["--expose-gc"] : [];
  return [process.execPath, [...gc, "--import", "tsx", script, ...args]];
}
