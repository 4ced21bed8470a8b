/**
 * Prints the size of a browser bundle that uploads a file with ossup
 * (minified with esbuild, tree-shaken, then gzipped) beside ali-oss's browser
 * bundle (`node_modules/ali-oss/dist/aliyun-oss-sdk.min.js`).
 *
 * ```sh
 * npm run size                # or: deno run -A scripts/bundle_size.ts
 * npm run size -- --check     # exit 1 when an upload bundle is over the 25 kB gzipped budget
 * ```
 *
 * @module
 */

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { gzipSync } from "node:zlib";

const root = resolve(import.meta.dirname ?? ".", "..");
const esbuild = join(root, "node_modules", ".bin", "esbuild");
const ALI_OSS = join(root, "node_modules", "ali-oss", "dist", "aliyun-oss-sdk.min.js");

/** Budget for the gzipped upload bundle: 25 kB (sizes are in kB of 1000 bytes, as the issue's). */
const BUDGET_GZIP = 25_000;

/** Minimal programs, as an application would write them. */
const ENTRIES: Record<string, string> = {
  "upload (credentials)": `
    import { OssClient } from "./lib/web.ts";
    const client = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", credentials: async () => (await fetch("/sts")).json() });
    export const upload = (file) => client.bucket("examplebucket").uploadFile(file.name, file, { routines: 4, checkpoint: true });
  `,
  "upload (remote signer)": `
    import { OssClient, remoteSigner } from "./lib/web.ts";
    export async function upload(file) {
      const { ticket } = await (await fetch("/session")).json();
      const client = new OssClient({ endpoint: "oss-cn-hangzhou.aliyuncs.com", signer: remoteSigner("/api/oss/sign", { ticket }) });
      return client.bucket("examplebucket").uploadFile(file.name, file, { routines: 4, checkpoint: true });
    }
  `,
  "whole web entry": `export * from "./lib/web.ts";`,
};

function bundle(source: string): string {
  return execFileSync(esbuild, [
    "--bundle",
    "--minify",
    "--tree-shaking=true",
    "--format=esm",
    "--platform=browser",
    "--target=es2022",
    "--log-level=error",
    "--sourcefile=entry.js",
    "--loader=js",
  ], { cwd: root, input: source, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
}

interface Size {
  name: string;
  minified: number;
  gzipped: number;
}

function measure(name: string, code: string | Uint8Array): Size {
  const bytes = typeof code === "string" ? new TextEncoder().encode(code) : code;
  return { name, minified: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
}

const kib = (n: number) => `${(n / 1000).toFixed(1)} kB`;

const sizes: Size[] = Object.entries(ENTRIES).map(([name, source]) =>
  measure(`ossup ${name}`, bundle(source))
);
const ali = existsSync(ALI_OSS)
  ? measure("ali-oss dist/aliyun-oss-sdk.min.js", readFileSync(ALI_OSS))
  : undefined;

const width = Math.max(...[...sizes, ...(ali ? [ali] : [])].map((s) => s.name.length));
console.log(`${"bundle".padEnd(width)}  ${"minified".padStart(11)}  ${"gzipped".padStart(11)}`);
for (const s of [...sizes, ...(ali ? [ali] : [])]) {
  console.log(
    `${s.name.padEnd(width)}  ${kib(s.minified).padStart(11)}  ${kib(s.gzipped).padStart(11)}`,
  );
}
if (!ali) console.log("(ali-oss not installed: npm install to compare)");
const upload = sizes[0];
console.log(
  `\nupload bundle: ${kib(upload.gzipped)} gzipped, budget ${kib(BUDGET_GZIP)}` +
    (ali ? `; ${(ali.gzipped / upload.gzipped).toFixed(1)}× smaller than ali-oss` : ""),
);
if (process.argv.includes("--check")) {
  const over = sizes.slice(0, 2).filter((s) => s.gzipped > BUDGET_GZIP);
  if (over.length > 0) {
    console.error(`over budget: ${over.map((s) => s.name).join(", ")}`);
    process.exit(1);
  }
}
