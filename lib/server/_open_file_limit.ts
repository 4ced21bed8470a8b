/**
 * The process's limit on open files (`ulimit -n`), read where the system
 * shows it: Linux's `/proc/self/limits`. No runtime offers `getrlimit`.
 *
 * @module
 */

import { readFileSync } from "node:fs";

/** The soft open-file limit, or `undefined` where it cannot be read (not Linux, no /proc). */
export function openFileLimit(): number | undefined {
  try {
    const limits = readFileSync("/proc/self/limits", "utf8");
    const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1];
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}
