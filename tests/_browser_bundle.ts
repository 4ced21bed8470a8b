/**
 * Bundles a test's page script for Chromium with the repository's esbuild.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The ESM bundle of `entry` (a path from the repository root), with extra esbuild flags. */
export function bundleForBrowser(entry: string, extraFlags: string[] = []): string {
  return execFileSync(join(root, "node_modules/.bin/esbuild"), [
    entry,
    "--bundle",
    "--format=esm",
    "--platform=browser",
    "--target=es2022",
    "--log-level=error",
    ...extraFlags,
  ], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}
