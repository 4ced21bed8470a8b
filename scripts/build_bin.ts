/**
 * Compiles the command line (`lib/cli/main.ts`) into one self-contained
 * executable with `bun build --compile`: Bun's runtime and every module,
 * Hono included, in a single file that needs nothing installed.
 *
 * ```sh
 * npm run build:bin                                  # → dist/ossup
 * npm run build:bin -- --out /tmp/ossup              # elsewhere
 * npm run build:bin -- --target bun-linux-arm64      # cross-compile
 * ```
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";

const root = resolve(import.meta.dirname ?? ".", "..");

/** The command line's entry. */
export const CLI_ENTRY: string = join(root, "lib", "cli", "main.ts");

/** Options of {@linkcode buildBinary}. */
export interface BuildBinaryOptions {
  /** The executable to write. Default `dist/ossup` in the repository. */
  outFile?: string;
  /** Bun's `--target`, e.g. `bun-linux-arm64`. Default: this machine. */
  target?: string;
  /** The entry to compile. Default {@linkcode CLI_ENTRY}. */
  entry?: string;
}

/**
 * Compiles the entry with `bun build --compile --minify`; returns the
 * executable's path and size. Throws when the entry is missing or Bun fails.
 *
 * @example
 * ```ts ignore
 * import { buildBinary } from "./build_bin.ts";
 *
 * const { path, bytes } = buildBinary({ outFile: "/tmp/ossup" });
 * ```
 */
export function buildBinary(options: BuildBinaryOptions = {}): { path: string; bytes: number } {
  const entry = options.entry ?? CLI_ENTRY;
  const outFile = resolve(options.outFile ?? join(root, "dist", "ossup"));
  if (!existsSync(entry)) throw new Error(`${entry} does not exist yet`);
  mkdirSync(dirname(outFile), { recursive: true });
  const args = ["build", "--compile", "--minify", entry, "--outfile", outFile];
  if (options.target) args.push(`--target=${options.target}`);
  const r = spawnSync(join(root, "node_modules", ".bin", "bun"), args, {
    cwd: root,
    encoding: "utf8",
  });
  if (r.status !== 0) {
    throw new Error(
      `bun build --compile failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`,
    );
  }
  return { path: outFile, bytes: statSync(outFile).size };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const options: BuildBinaryOptions = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s);
    const value = () => inline ?? args[++i];
    if (flag === "--out") options.outFile = value();
    else if (flag === "--target") options.target = value();
    else if (flag === "--entry") options.entry = value();
    else {
      console.error(
        "usage: scripts/build_bin.ts [--out FILE] [--target bun-OS-ARCH] [--entry FILE]",
      );
      process.exit(2);
    }
  }
  try {
    const { path, bytes } = buildBinary(options);
    console.log(`built ${path} (${(bytes / 1024 / 1024).toFixed(1)} MB)`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
