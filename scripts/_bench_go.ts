/**
 * Builds a Go SDK client of the benchmarks (`scripts/go/bench_upload` of
 * scripts/bench_upload.ts, `scripts/go/bench_tree` of scripts/bench_tree.ts) against Debian's OSS SDK for Go 1.4, which
 * predates Go modules: GO111MODULE=off with /usr/share/gocode on GOPATH.
 *
 * @module
 */

import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const GOPATH_SHARED = "/usr/share/gocode";
const SDK_DIR = join(GOPATH_SHARED, "src/github.com/aliyun/aliyun-oss-go-sdk/oss");
const programs = join(fileURLToPath(import.meta.url), "..", "go");

/**
 * Builds the Go client `program` (a folder of scripts/go/) into `workDir`
 * and returns the binary's path. Go's build cache is shared with the tests'
 * Go builds (under the temp directory).
 */
export async function buildBenchGoClient(
  workDir: string,
  program: "bench_upload" | "bench_tree" = "bench_upload",
): Promise<string> {
  if (!existsSync(join(SDK_DIR, "upload.go"))) {
    throw new Error(
      `the OSS SDK for Go is not in ${SDK_DIR}: ` +
        "apt-get install golang-go golang-github-aliyun-aliyun-oss-go-sdk-dev (or pass --clients without go)",
    );
  }
  const gopath = join(workDir, "gopath");
  mkdirSync(gopath, { recursive: true });
  const binary = join(workDir, program);
  await run("go", ["build", "-o", binary, "."], {
    cwd: join(programs, program),
    env: {
      ...process.env,
      GO111MODULE: "off",
      GOPATH: `${gopath}:${GOPATH_SHARED}`,
      GOCACHE: join(tmpdir(), "ossup-go-build", "gocache"),
      GOFLAGS: "",
    },
    timeout: 300_000,
  });
  return binary;
}
