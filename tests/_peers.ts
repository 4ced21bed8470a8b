/**
 * Detection of the peers some tests need from Debian packages: the Go toolchain
 * with Alibaba Cloud's OSS SDK for Go, and Chromium. Each check returns
 * `undefined` when the peer is there, or a skip reason naming the package and
 * its install command, to pass as `it(name, { skip: reason }, fn)`. CI
 * (`.ci/run`) installs them and fails on any skip.
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Where Debian's golang-github-aliyun-aliyun-oss-go-sdk-dev puts the GOPATH tree. */
export const GO_SHARED_GOPATH = "/usr/share/gocode";

/** The Go OSS SDK's package directory inside {@link GO_SHARED_GOPATH}. */
export const GO_OSS_SDK_DIR = join(GO_SHARED_GOPATH, "src/github.com/aliyun/aliyun-oss-go-sdk/oss");

/** Debian's Chromium binary. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Headless Chromium flags for this machine: without the background-networking
 * ones Chromium keeps trying hosts a closed network refuses.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const GO_INSTALL = "apt-get install golang-go golang-github-aliyun-aliyun-oss-go-sdk-dev";

let goBinary: string | null | undefined;

/** Absolute path of the `go` command, or `null` when there is none. */
export function findGo(): string | null {
  if (goBinary !== undefined) return goBinary;
  goBinary = null;
  for (const candidate of ["go", "/usr/bin/go", "/usr/lib/go/bin/go", "/usr/local/go/bin/go"]) {
    try {
      execFileSync(candidate, ["version"], { stdio: "ignore", timeout: 30_000 });
      goBinary = candidate;
      break;
    } catch {
      // not this one
    }
  }
  return goBinary;
}

/**
 * Why the Go SDK interop tests cannot run here, or `undefined` when they can.
 *
 * @example
 * ```ts
 * it("uploads with the Go SDK", { skip: goSdkMissing() }, async () => {});
 * ```
 */
export function goSdkMissing(): string | undefined {
  if (findGo() === null) {
    return `Go toolchain not found (Debian package golang-go): ${GO_INSTALL}`;
  }
  if (!existsSync(join(GO_OSS_SDK_DIR, "upload.go"))) {
    return `Alibaba Cloud OSS Go SDK not found in ${GO_OSS_SDK_DIR} ` +
      `(Debian package golang-github-aliyun-aliyun-oss-go-sdk-dev): ${GO_INSTALL}`;
  }
  return undefined;
}

/**
 * Why the browser tests cannot run here, or `undefined` when they can.
 *
 * @example
 * ```ts
 * it("resumes in Chromium", { skip: chromiumMissing() }, async () => {});
 * ```
 */
export function chromiumMissing(): string | undefined {
  if (!existsSync(CHROMIUM_PATH)) {
    return `Chromium not found at ${CHROMIUM_PATH} (Debian package chromium): apt-get install chromium`;
  }
  return undefined;
}
