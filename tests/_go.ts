/**
 * Builds the Go peer programs in `tests/go/` against Debian's OSS SDK for Go,
 * once: binaries are cached in the temp directory under a hash of their source
 * and the Go version, so three runtimes and parallel test files share one build.
 *
 * @module
 */

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { promisify } from "node:util";
import { findGo, GO_SHARED_GOPATH } from "./_peers.ts";

const run = promisify(execFile);
const goSources = join(import.meta.dirname!, "go");

/**
 * Path of the built binary of `tests/go/<program>/` (or of the Go files in
 * `dir`), building it if needed. Callers check `goSdkMissing()` first.
 *
 * @example
 * ```ts
 * const bin = await buildGoProgram("upload_file");
 * ```
 */
export async function buildGoProgram(
  program: string,
  dir: string = join(goSources, program),
): Promise<string> {
  const go = findGo();
  if (go === null) throw new Error("Go toolchain not found (apt-get install golang-go)");
  const hash = createHash("sha256");
  hash.update((await run(go, ["version"])).stdout);
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith(".go")) hash.update(name).update(readFileSync(join(dir, name)));
  }
  const cacheRoot = join(tmpdir(), "ossup-go-build");
  const binary = join(cacheRoot, `${program}-${hash.digest("hex").slice(0, 16)}`);
  if (existsSync(binary)) return binary;

  // Build beside the final path and rename into place, so concurrent builders never
  // see a half-written binary.
  mkdirSync(cacheRoot, { recursive: true });
  const work = join(cacheRoot, `build-${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(work);
  try {
    await run(go, ["build", "-o", join(work, program), "."], {
      cwd: dir,
      env: {
        ...process.env,
        // The SDK comes from Debian's GOPATH tree; SDK 1.4 predates Go modules.
        GO111MODULE: "off",
        GOPATH: `${work}${process.platform === "win32" ? ";" : ":"}${GO_SHARED_GOPATH}`,
        GOCACHE: join(cacheRoot, "gocache"),
        GOFLAGS: "",
      },
      timeout: 300_000,
    });
    renameSync(join(work, program), binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}
