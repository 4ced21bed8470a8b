/**
 * The main job, end to end, on the embedded default (no cloud account):
 *
 *     npm run demo          # Node + npm only, after npm ci
 *     deno task demo        # or on Deno; `bun scripts/demo.ts` on Bun
 *
 * 1. writes a 48 MiB sample file (deterministic bytes) to .ossup/demo/;
 * 2. uploads it with `ossup cp` to the local server (data in ./.ossup),
 *    with a progress bar on a terminal (plain lines otherwise);
 * 3. interrupts the upload partway with SIGINT, as Ctrl-C would;
 * 4. shows the checkpoint the upload left beside the file;
 * 5. runs the same command again: it resumes from the checkpoint;
 * 6. downloads the object by ranges and compares its CRC64 with the CRC64
 *    computed here from the sample file; prints a summary.
 *
 * The local server is slowed (OSSUP_LOCAL_BANDWIDTH) so the interrupt lands
 * partway on any machine. The sample and the downloaded copy are removed at
 * the end; the object stays in ./.ossup (`npx ossup ls oss://ossup-demo`).
 * Exits non-zero if any step fails.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Crc64 } from "../lib/crc64/crc64.ts";

const CLI = fileURLToPath(new URL("../lib/cli/main.ts", import.meta.url));
const SIZE = 48 * 1024 * 1024;
const BUCKET = "ossup-demo";
const KEY = "sample.bin";
const dir = join(process.cwd(), ".ossup", "demo");
const sample = join(dir, "sample.bin");
const copy = join(dir, "sample.downloaded.bin");
const checkpoint = `${sample}.cp`;
const rel = (p: string) => relative(process.cwd(), p);

/** The command that runs lib/cli/main.ts on this runtime. */
function ossupCommand(args: string[]): [string, string[]] {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  if (g.Deno) return [g.Deno.execPath(), ["run", "-A", CLI, ...args]];
  if (g.Bun) return [process.execPath, ["run", CLI, ...args]];
  return [process.execPath, ["--import", "tsx", CLI, ...args]];
}

/** The environment of the children: the embedded default, slowed to be watchable. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("OSS_")) env[k] = v;
  }
  env.OSSUP_LOCAL_BANDWIDTH = "6MB";
  return env;
}

interface Run {
  child: ChildProcess;
  exit: Promise<number | null>;
  stdout: () => string;
}

/** Runs ossup; its stderr (progress) goes straight to ours, so a terminal shows the live bar. */
function ossup(args: string[]): Run {
  const [cmd, cmdArgs] = ossupCommand(args);
  console.log(`\n$ ossup ${args.join(" ")}`);
  const child = spawn(cmd, cmdArgs, { stdio: ["ignore", "pipe", "inherit"], env: childEnv() });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
    process.stdout.write(d);
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exit, stdout: () => out };
}

function step(text: string): void {
  console.log(`\n== ${text}`);
}

function fail(text: string): never {
  console.error(`\ndemo failed: ${text}`);
  process.exit(1);
}

/** Deterministic bytes (xorshift32), written in 1 MiB chunks; returns their CRC64. */
async function writeSample(path: string): Promise<bigint> {
  const crc = new Crc64();
  const file = await open(path, "w");
  let x = 0x9e3779b9;
  try {
    const chunk = new Uint8Array(1024 * 1024);
    const words = new Uint32Array(chunk.buffer);
    for (let written = 0; written < SIZE; written += chunk.length) {
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        words[i] = x >>> 0;
      }
      crc.update(chunk);
      await file.write(chunk);
    }
  } finally {
    await file.close();
  }
  return crc.digest();
}

async function waitFor(test: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await test()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

const started = performance.now();
await mkdir(dir, { recursive: true });
await rm(checkpoint, { force: true });
await rm(copy, { force: true });

step(`1. a 48 MiB sample file: ${rel(sample)}`);
const localCrc = await writeSample(sample);
console.log(`CRC64 computed locally: ${localCrc}`);

step("2. upload it to the embedded local server (no endpoint configured), then 3. interrupt it");
const first = ossup(["cp", rel(sample), `oss://${BUCKET}/${KEY}`, "--parallel", "2"]);
// Partway = the checkpoint exists and the upload has run a moment longer.
const began = await waitFor(() => stat(checkpoint).then(() => true, () => false), 30_000);
if (!began) fail("the upload did not start within 30 s");
await new Promise((r) => setTimeout(r, 2000));
console.log("\n(sending SIGINT, as Ctrl-C would)");
first.child.kill("SIGINT");
const firstCode = await first.exit;
if (firstCode === 0) {
  console.log("the upload finished before the interrupt landed; it will not need resuming");
} else if (firstCode !== 130) {
  fail(`ossup exited with ${firstCode} (expected 130 for an interrupt)`);
}

step(`4. the checkpoint it left: ${rel(checkpoint)}`);
const cpText = await readFile(checkpoint, "utf8").catch(() => "");
if (cpText) {
  const lines = cpText.split("\n").filter(Boolean);
  console.log(`${(await stat(checkpoint)).size} bytes, ${lines.length} lines`);
  console.log(`  ${lines[0].slice(0, 160)}${lines[0].length > 160 ? "…" : ""}`);
  console.log(
    `  (header: upload ID, part size, source fingerprint; then one record per finished part)`,
  );
} else if (firstCode === 130) {
  fail("no checkpoint after the interrupt");
}

step("5. the same command again: it resumes from the checkpoint");
const second = ossup(["cp", rel(sample), `oss://${BUCKET}/${KEY}`, "--parallel", "2"]);
const secondCode = await second.exit;
if (secondCode !== 0) fail(`the resumed upload exited with ${secondCode}`);
const uploadedCrc = /CRC64 (\d+)/.exec(second.stdout())?.[1];
if (await stat(checkpoint).then(() => true, () => false)) fail("the checkpoint is still there");

step("6. download it by ranges and verify the CRC64");
const download = ossup(["cp", `oss://${BUCKET}/${KEY}`, rel(copy), "--json"]);
const downloadCode = await download.exit;
if (downloadCode !== 0) fail(`the download exited with ${downloadCode}`);
const result = JSON.parse(download.stdout().trim().split("\n").pop()!);
const serverCrc = BigInt(result.crc64);
await rm(copy, { force: true });
await rm(sample, { force: true });
await rm(dir, { recursive: true, force: true });

const ok = serverCrc === localCrc &&
  (uploadedCrc === undefined || BigInt(uploadedCrc) === localCrc);
step("summary");
console.log(`sample        48 MiB, CRC64 ${localCrc} (computed locally)`);
console.log(
  `first run     ${
    firstCode === 130 ? "interrupted with SIGINT, exit 130, checkpoint kept" : "finished"
  }`,
);
const resumed = /resumed/.test(second.stdout());
console.log(
  `second run    ${
    resumed ? "resumed from the checkpoint" : "uploaded it whole"
  }, CRC64 ${uploadedCrc}`,
);
console.log(
  `download      CRC64 ${serverCrc} (verified against the server's x-oss-hash-crc64ecma)`,
);
console.log(
  `result        ${ok ? "CRC64 match: the object is the file, byte for byte" : "CRC64 MISMATCH"}`,
);
console.log(`took          ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`\nThe object stays in ./.ossup: npx ossup ls oss://${BUCKET}`);
if (!ok) process.exit(1);
