/**
 * Soak: random resumable uploads against the data-dir server under random
 * faults and random SIGKILLs, every object checked against its source.
 *
 *     npm run soak -- --minutes 20
 *     deno run -A scripts/soak.ts --seconds 30 --seed 7 --max-mib 2 --json
 *
 * One upload at a time, each with a seeded random workload: source size
 * (0 to `--max-mib`, default 32), part size (100 KiB to `--max-part-kib`,
 * default 4096), routines (1 to 8),
 * source kind (path, Blob, FileSource) and client runtime (`--runtimes`,
 * default deno,bun,node). Before it starts, random fault rules for its key
 * go to the server's control route (5xx answers, connection resets before
 * or after the operation, latency, a corrupted byte). While it runs, the
 * client (a child process, scripts/_soak_client.ts) may be SIGKILLed after
 * a random number of parts and started again to resume from its checkpoint,
 * and the server may be SIGKILLed and restarted on the same port and data
 * directory. Once a client reports success, the object is read back and
 * its CRC-64 and SHA-256 compared with the source's, and the server's CRC-64
 * header with the source's.
 *
 * Bounded: no upload starts after `--minutes` (or `--seconds`), nor after
 * `--uploads`; each upload gets at most 12 client runs. Loopback only.
 *
 * Prints uploads done, faults injected, kills survived, bytes re-sent
 * against their bound (kills, faults and client errors each allow
 * `routines × partSize`), wrong objects (must be 0), failed uploads,
 * leftover checkpoint and temp files, and uploads left open on the server.
 * `--json` adds the figures as one JSON line. Exit status 1 when an object
 * is wrong, an upload failed, re-sent bytes exceed the bound, or anything
 * is left over.
 *
 * @module
 */

import type { OssOperation } from "../lib/client/operations.ts";
import { createHash, randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { crc64 } from "../lib/crc64/crc64.ts";
import type { FaultAction, FaultRule, FaultStats } from "../lib/server/faults.ts";
import { OssClient } from "../mod.ts";
import {
  CAMPAIGN_CREDENTIALS,
  CampaignServer,
  FaultControl,
  flagValue,
  numberFlag,
  Random,
  type Runtime,
  runtimesFlag,
  startClient,
} from "./_campaign_procs.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const BUCKET = "soak";
const MAX_CLIENT_RUNS = 12;

interface SoakOptions {
  deadline: number;
  maxUploads: number;
  seed: number;
  maxBytes: number;
  maxPartSize: number;
  runtimes: Runtime[];
  json: boolean;
  /** Print the planned workloads of `--uploads` uploads and exit. */
  dryRun: boolean;
}

function parseOptions(args: string[]): SoakOptions {
  const seconds = flagValue(args, "seconds") !== undefined
    ? numberFlag(args, "seconds", 60)
    : numberFlag(args, "minutes", 1) * 60;
  return {
    deadline: Date.now() + seconds * 1000,
    maxUploads: numberFlag(args, "uploads", Infinity),
    seed: numberFlag(args, "seed", randomBytes(4).readUInt32LE(0)),
    maxBytes: Math.round(numberFlag(args, "max-mib", 32) * MiB),
    maxPartSize: Math.max(100 * KiB, Math.round(numberFlag(args, "max-part-kib", 4096) * KiB)),
    runtimes: runtimesFlag(args, ["deno", "bun", "node"]),
    json: args.includes("--json"),
    dryRun: args.includes("--dry-run"),
  };
}

/** What the soak counts. */
interface Tally {
  uploads: number;
  bytes: number;
  faultsInjected: number;
  clientKills: number;
  serverKills: number;
  clientErrors: number;
  bytesResent: number;
  resendBound: number;
  wrongObjects: number;
  failedUploads: number;
  leftoverCheckpoints: number;
  leftoverTempFiles: number;
  openUploads: number;
  resendOverBound: number;
  /** Seconds of the slowest upload, kills and restarts included (a stall shows here). */
  slowestUploadSeconds: number;
  errorSamples: string[];
}

/** One upload's random shape. */
interface Workload {
  key: string;
  size: number;
  partSize: number;
  routines: number;
  source: "path" | "blob" | "file-source";
  runtime: Runtime;
  rules: FaultRule[];
  /** Parts done after which the client is SIGKILLed, one per planned kill. */
  clientKillsAt: number[];
  /** Parts done after which the server is SIGKILLed and restarted, if at all. */
  serverKillAt?: number;
}

function randomSize(rng: Random, max: number): number {
  const r = rng.next();
  if (r < 0.03) return 0;
  if (r < 0.2) return rng.int(1, Math.min(max, 100 * KiB));
  if (r < 0.6) return rng.int(1, Math.min(max, 2 * MiB));
  return rng.int(1, max);
}

function randomAction(rng: Random, partSize: number): FaultAction {
  switch (rng.int(0, 5)) {
    case 0:
      return { type: "error", status: 500, code: "InternalError" };
    case 1:
      return { type: "error", status: 503, code: rng.pick(["ServiceUnavailable", "SlowDown"]) };
    case 2:
      return { type: "reset", phase: "request", afterBytes: rng.int(0, partSize) };
    case 3:
      return { type: "reset", phase: "response" };
    case 4:
      return { type: "latency", ms: rng.int(20, 400) };
    default:
      return { type: "corrupt", phase: "request", atByte: rng.int(0, partSize - 1) };
  }
}

function planWorkload(rng: Random, n: number, o: SoakOptions): Workload {
  const size = randomSize(rng, o.maxBytes);
  const partSize = rng.int(100 * KiB, o.maxPartSize);
  const parts = Math.max(1, Math.ceil(size / partSize));
  const key = `soak/${n}/${rng.pick(["a", "dir/b c", "ü+%", "x.bin"])}`;
  const rules: FaultRule[] = [];
  if (size > 0 && rng.chance(0.6)) {
    for (let i = rng.int(1, 3); i > 0; i--) {
      const operation = rng.pick<OssOperation>([
        "UploadPart",
        "UploadPart",
        "UploadPart",
        "InitiateMultipartUpload",
        "CompleteMultipartUpload",
        "ListParts",
      ]);
      let action = randomAction(rng, Math.min(partSize, size));
      // Only bodies can be corrupted or cut mid-way; other operations get a 5xx instead.
      if (operation !== "UploadPart" && (action.type === "corrupt" || action.type === "reset")) {
        action = { type: "error", status: 503, code: "ServiceUnavailable" };
      }
      rules.push({ operation, key, nth: rng.int(1, parts), times: rng.int(1, 2), action });
    }
  }
  const clientKillsAt: number[] = [];
  if (parts > 1 && rng.chance(0.35)) {
    for (let i = rng.int(1, 2); i > 0; i--) clientKillsAt.push(rng.int(0, parts - 1));
  }
  return {
    key,
    size,
    partSize,
    routines: rng.int(1, 8),
    source: rng.pick(["path", "blob", "file-source"] as const),
    runtime: rng.pick(o.runtimes),
    rules,
    clientKillsAt: clientKillsAt.sort((a, b) => a - b),
    serverKillAt: parts > 1 && rng.chance(0.15) ? rng.int(1, parts - 1) : undefined,
  };
}

/** Server counts that survive restarts: read before each kill, summed. */
class StatsLedger {
  faults = 0;
  partBytes = 0;

  add(s: FaultStats): void {
    this.faults += s.injected;
    this.partBytes += s.partBytes;
  }
}

async function digestOf(
  body: ReadableStream<Uint8Array>,
): Promise<{ sha256: string; crc: bigint }> {
  const sha = createHash("sha256");
  let crc = 0n;
  for await (const chunk of body) {
    sha.update(chunk);
    crc = crc64(chunk, crc);
  }
  return { sha256: sha.digest("hex"), crc };
}

/** Runs client processes until one finishes the upload (or the runs are used up). */
async function runUpload(
  w: Workload,
  job: Record<string, unknown>,
  server: CampaignServer,
  faults: FaultControl,
  ledger: StatsLedger,
  tally: Tally,
): Promise<{ done: boolean; kills: number; errors: number }> {
  const killsAt = [...w.clientKillsAt];
  let serverKillAt = w.serverKillAt;
  let kills = 0, errors = 0;
  for (let run = 0; run < MAX_CLIENT_RUNS; run++) {
    let serverKill: Promise<void> | undefined;
    const client = startClient(w.runtime, job, (done) => {
      if (killsAt.length > 0 && done >= killsAt[0]) {
        killsAt.shift();
        client.child.kill("SIGKILL");
        kills++;
        tally.clientKills++;
      }
      if (serverKillAt !== undefined && done >= serverKillAt && !serverKill) {
        serverKillAt = undefined;
        serverKill = (async () => {
          ledger.add(await faults.stats());
          await server.restart();
          tally.serverKills++;
          kills++;
        })();
      }
    });
    running.add(client.child);
    // A kill planned at 0 parts lands as soon as the client is running.
    if (killsAt[0] === 0) {
      killsAt.shift();
      client.child.kill("SIGKILL");
      kills++;
      tally.clientKills++;
    }
    const result = await client.finished;
    running.delete(client.child);
    await serverKill;
    if (result.code === 0) return { done: true, kills, errors };
    if (result.code !== null) {
      errors++;
      tally.clientErrors++;
      if (tally.errorSamples.length < 8) tally.errorSamples.push(result.stderr.split("\n")[0]);
    }
  }
  return { done: false, kills, errors };
}

async function verifyObject(
  bucket: ReturnType<OssClient["bucket"]>,
  key: string,
  want: { sha256: string; crc: bigint },
): Promise<string | undefined> {
  const got = await bucket.getObject(key);
  const { sha256, crc } = await digestOf(got.body);
  if (sha256 !== want.sha256) return `SHA-256 differs`;
  if (crc !== want.crc) return `CRC-64 of the bytes differs`;
  if (got.crc64 !== undefined && got.crc64 !== want.crc) return `server's CRC-64 header differs`;
  return undefined;
}

async function soakOne(
  n: number,
  rng: Random,
  o: SoakOptions,
  ctx: { server: CampaignServer; faults: FaultControl; work: string; client: OssClient },
  tally: Tally,
): Promise<void> {
  const w = planWorkload(rng, n, o);
  const path = join(ctx.work, `src-${n}.bin`);
  const checkpoint = join(ctx.work, `src-${n}.cp`);
  const bytes = rng.bytes(w.size);
  await writeFile(path, bytes);
  const want = { sha256: createHash("sha256").update(bytes).digest("hex"), crc: crc64(bytes) };

  const started = performance.now();
  await ctx.faults.clear();
  for (const rule of w.rules) await ctx.faults.add(rule);
  const ledger = new StatsLedger();
  const job = {
    endpoint: ctx.server.url,
    region: CAMPAIGN_CREDENTIALS.region,
    accessKeyId: CAMPAIGN_CREDENTIALS.accessKeyId,
    bucket: BUCKET,
    key: w.key,
    path,
    partSize: w.partSize,
    routines: w.routines,
    source: w.source,
    checkpoint,
  };
  const { done, kills, errors } = await runUpload(w, job, ctx.server, ctx.faults, ledger, tally);
  ledger.add(await ctx.faults.stats());
  tally.faultsInjected += ledger.faults;
  const seconds = (performance.now() - started) / 1000;
  tally.slowestUploadSeconds = Math.max(tally.slowestUploadSeconds, Number(seconds.toFixed(1)));
  const line =
    `#${n} ${w.runtime} ${w.source} ${w.size} B, part ${w.partSize}, routines ${w.routines}` +
    `, ${w.rules.length} rules, ${kills} kills, ${errors} errors, ${seconds.toFixed(1)} s`;
  if (!done) {
    tally.failedUploads++;
    console.log(`${line}: FAILED after ${MAX_CLIENT_RUNS} runs`);
  } else {
    const wrong = await verifyObject(ctx.client.bucket(BUCKET), w.key, want);
    if (wrong) {
      tally.wrongObjects++;
      console.log(`${line}: WRONG OBJECT: ${wrong}`);
    } else {
      console.log(`${line}: verified`);
    }
    tally.uploads++;
    tally.bytes += w.size;
    if (existsSync(checkpoint)) tally.leftoverCheckpoints++;
    if (w.size > 0) {
      const resent = Math.max(0, ledger.partBytes - w.size);
      const bound = (kills + errors + ledger.faults) * w.routines * w.partSize;
      tally.bytesResent += resent;
      tally.resendBound += bound;
      if (resent > bound) {
        tally.resendOverBound++;
        console.log(`${line}: re-sent ${resent} B, over the bound ${bound} B`);
      }
    }
    await ctx.client.bucket(BUCKET).deleteObject(w.key);
  }
  await rm(path, { force: true });
  await rm(checkpoint, { force: true });
  await rm(`${checkpoint}.lock`, { recursive: true, force: true });
}

/** Client processes running now: ended with the soak when it is interrupted. */
const running = new Set<ChildProcess>();

async function countOpenUploads(client: OssClient): Promise<number> {
  let open = 0;
  for await (const _ of client.bucket(BUCKET).listMultipartUploads()) open++;
  return open;
}

function countFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    n += entry.isDirectory() ? 1 + countFiles(join(dir, entry.name)) : 1;
  }
  return n;
}

function report(tally: Tally, o: SoakOptions, seconds: number): void {
  const mib = (b: number) => (b / MiB).toFixed(1);
  console.log(`
soak: seed ${o.seed}, ${seconds.toFixed(0)} s, client runtimes ${o.runtimes.join(",")}
  uploads done          ${tally.uploads} (${mib(tally.bytes)} MiB)
  faults injected       ${tally.faultsInjected}
  kills survived        ${tally.clientKills} client, ${tally.serverKills} server
  client errors resumed ${tally.clientErrors}
  bytes re-sent         ${mib(tally.bytesResent)} MiB (bound ${
    mib(tally.resendBound)
  } MiB; over it: ${tally.resendOverBound})
  wrong objects         ${tally.wrongObjects}
  failed uploads        ${tally.failedUploads}
  leftover checkpoints  ${tally.leftoverCheckpoints}
  leftover temp files   ${tally.leftoverTempFiles}
  open uploads          ${tally.openUploads}
  slowest upload        ${tally.slowestUploadSeconds} s`);
  if (tally.errorSamples.length > 0) {
    console.log(
      `  client errors, first lines:\n    ${[...new Set(tally.errorSamples)].join("\n    ")}`,
    );
  }
  if (o.json) console.log(JSON.stringify({ seed: o.seed, seconds, ...tally }));
}

async function main(): Promise<void> {
  const args = "Deno" in globalThis
    ? (globalThis as unknown as { Deno: { args: string[] } }).Deno.args
    : process.argv.slice(2);
  const o = parseOptions(args);
  const rng = new Random(o.seed);
  if (o.dryRun) {
    for (let n = 1; n <= Math.min(o.maxUploads, 1000); n++) {
      const w = planWorkload(rng, n, o);
      rng.bytes(w.size); // as the run draws the source's bytes
      console.log(JSON.stringify({ n, ...w }));
    }
    return;
  }
  const work = await mkdtemp(join(tmpdir(), "ossup-soak-"));
  const dataDir = join(work, "data");
  const token = randomBytes(16).toString("hex");
  const server = new CampaignServer({ dataDir, faultsToken: token });
  const tally: Tally = {
    uploads: 0,
    bytes: 0,
    faultsInjected: 0,
    clientKills: 0,
    serverKills: 0,
    clientErrors: 0,
    bytesResent: 0,
    resendBound: 0,
    wrongObjects: 0,
    failedUploads: 0,
    leftoverCheckpoints: 0,
    leftoverTempFiles: 0,
    openUploads: 0,
    resendOverBound: 0,
    slowestUploadSeconds: 0,
    errorSamples: [],
  };
  const started = Date.now();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      for (const child of running) child.kill("SIGKILL");
      server.kill().finally(() => {
        rmSync(work, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
  try {
    await server.start();
    const faults = new FaultControl(server, token);
    const client = new OssClient({ endpoint: server.url, ...CAMPAIGN_CREDENTIALS });
    await client.createBucket(BUCKET);
    console.log(`soak: seed ${o.seed}, server ${server.url} (data dir ${dataDir})`);
    for (let n = 1; n <= o.maxUploads && Date.now() < o.deadline; n++) {
      await soakOne(n, rng, o, { server, faults, work, client }, tally);
    }
    await faults.clear();
    tally.openUploads = await countOpenUploads(client);
    // No request is in flight now: anything in tmp/ was left behind.
    tally.leftoverTempFiles = countFiles(join(dataDir, "tmp"));
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
  report(tally, o, (Date.now() - started) / 1000);
  const bad = tally.wrongObjects + tally.failedUploads + tally.resendOverBound +
    tally.leftoverCheckpoints + tally.leftoverTempFiles + tally.openUploads;
  process.exit(bad === 0 && tally.uploads > 0 ? 0 : 1);
}

await main();
