/**
 * The file-system calls `FileCheckpointStore` makes, gathered in
 * one object so a test can replace one of them to inject a failure that a
 * real disk gives only when it is full (`ENOSPC`) or broken, deterministically.
 *
 * @module
 */

import { writeSync } from "node:fs";
import { link, mkdir, open, readFile, rename, rm, stat, unlink } from "node:fs/promises";

/**
 * The calls, bound to `node:fs/promises` (which Deno and Bun provide too), and `writeSync`
 * for appends (see `FileCheckpointStore.append`).
 */
export const checkpointFs = { link, mkdir, open, readFile, rename, rm, stat, unlink, writeSync };
