/**
 * Load: many concurrent ossup and ali-oss clients against one local server.
 *
 *     npm run load -- --clients 64
 *     deno run -A scripts/load.ts --clients 8 --uploads 2 --size-mib 1 --storage memory --json
 *
 * Starts the server (lib/server/main.ts, on this script's runtime, data
 * directory by default or `--storage memory`), then two client processes at
 * once: half of `--clients` ossup clients (scripts/_load_clients.ts on
 * `--ossup-runtime`, default this runtime) and half ali-oss clients (on
 * Node). Every client uploads `--uploads` objects (default 4) of
 * `--size-mib` (default 2) in parts of `--part-kib` (default 256) with
 * `--routines` (default 2) parts at once, one object after another, checks
 * each object's CRC-64 as the server reports it, and deletes it.
 *
 * Prints uploads/s and MiB/s over the whole run, failures, wrong objects,
 * p50/p99 part latency (per client kind and overall), and the server's
 * resident set and open file descriptors (from /proc) before the clients
 * start, at their peak, and after the client processes have exited (waiting
 * up to 10 s for the server to close their sockets). `--json` adds one JSON
 * line. Exit status 1 on any failure or wrong object. Loopback only; bounded
 * by the number of uploads.
 *
 * @module
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { OssClient } from "../mod.ts";
import {
  CAMPAIGN_CREDENTIALS,
  CampaignServer,
  fdCount,
  flagValue,
  numberFlag,
  rssKiB,
  type Runtime,
  spawnScript,
  THIS_RUNTIME,
} from "./_campaign_procs.ts";
import type { LoadReport } from "./_load_clients.ts";

const BUCKET = "load";
const KiB = 1024;
const MiB = 1024 * KiB;

interface LoadOptions {
  clients: number;
  uploads: number;
  size: number;
  partSize: number;
  routines: number;
  storage: "disk" | "memory";
  ossupRuntime: Runtime;
  seed: number;
  json: boolean;
}

function parseOptions(args: string[]): LoadOptions {
  const storage = flagValue(args, "storage") ?? "disk";
  if (storage !== "disk" && storage !== "memory") {
    throw new RangeError(`--storage takes disk or memory, got ${JSON.stringify(storage)}`);
  }
  const ossupRuntime = (flagValue(args, "ossup-runtime") ?? THIS_RUNTIME) as Runtime;
  if (!["deno", "bun", "node"].includes(ossupRuntime)) {
    throw new RangeError(`--ossup-runtime takes deno, bun or node`);
  }
  return {
    clients: Math.max(1, Math.round(numberFlag(args, "clients", 8))),
    uploads: Math.max(1, Math.round(numberFlag(args, "uploads", 4))),
    size: Math.round(numberFlag(args, "size-mib", 2) * MiB),
    partSize: Math.max(100 * KiB, Math.round(numberFlag(args, "part-kib", 256) * KiB)),
    routines: Math.max(1, Math.round(numberFlag(args, "routines", 2))),
    storage,
    ossupRuntime,
    seed: Math.round(numberFlag(args, "seed", 1)),
    json: args.includes("--json"),
  };
}

/** Runs one client process; resolves with its report. */
async function runClients(runtime: Runtime, job: Record<string, unknown>): Promise<LoadReport> {
  let report: LoadReport | undefined;
  const { exited } = spawnScript(runtime, "_load_clients.ts", job, (line) => {
    if (line.startsWith("{")) report = JSON.parse(line);
  });
  const { code, stderr } = await exited;
  return report ?? {
    uploads: 0,
    failures: Number(job.clients) * Number(job.uploads),
    wrong: 0,
    partLatenciesMs: [],
    errors: [`the ${job.kind} client process exited with ${code}: ${stderr}`],
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Samples the server's RSS and fds until stopped; keeps the peaks. */
function sampler(pid: number) {
  const peak = { rssKiB: rssKiB(pid), fds: fdCount(pid) };
  const timer = setInterval(() => {
    peak.rssKiB = Math.max(peak.rssKiB, rssKiB(pid));
    peak.fds = Math.max(peak.fds, fdCount(pid));
  }, 100);
  return { peak, stop: () => clearInterval(timer) };
}

/** Waits (at most `ms`) until the server's fds are back to `baseline`. */
async function settledFds(pid: number, baseline: number, ms: number): Promise<number> {
  const until = Date.now() + ms;
  let fds = fdCount(pid);
  while (fds > baseline && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    fds = fdCount(pid);
  }
  return fds;
}

async function main(): Promise<void> {
  const args = "Deno" in globalThis
    ? (globalThis as unknown as { Deno: { args: string[] } }).Deno.args
    : process.argv.slice(2);
  const o = parseOptions(args);
  const work = await mkdtemp(join(tmpdir(), "ossup-load-"));
  const server = new CampaignServer(o.storage === "disk" ? { dataDir: join(work, "data") } : {});
  try {
    await server.start();
    const admin = new OssClient({ endpoint: server.url, ...CAMPAIGN_CREDENTIALS });
    await admin.createBucket(BUCKET);
    const before = { rssKiB: rssKiB(server.pid), fds: fdCount(server.pid) };
    const aliClients = Math.floor(o.clients / 2);
    const ossupClients = o.clients - aliClients;
    const common = {
      endpoint: server.url,
      region: CAMPAIGN_CREDENTIALS.region,
      accessKeyId: CAMPAIGN_CREDENTIALS.accessKeyId,
      bucket: BUCKET,
      uploads: o.uploads,
      size: o.size,
      partSize: o.partSize,
      routines: o.routines,
    };
    const watch = sampler(server.pid);
    const started = performance.now();
    const [ossup, ali] = await Promise.all([
      runClients(o.ossupRuntime, { ...common, kind: "ossup", clients: ossupClients, seed: o.seed }),
      aliClients > 0
        ? runClients("node", { ...common, kind: "ali", clients: aliClients, seed: o.seed + 1 })
        : Promise.resolve<LoadReport>({
          uploads: 0,
          failures: 0,
          wrong: 0,
          partLatenciesMs: [],
          errors: [],
        }),
    ]);
    const seconds = (performance.now() - started) / 1000;
    watch.stop();
    const after = {
      rssKiB: rssKiB(server.pid),
      fds: await settledFds(server.pid, before.fds, 10_000),
    };
    const figures = summarize(o, seconds, ossup, ali, before, watch.peak, after);
    print(o, figures, ossup, ali);
    const bad = figures.failures + figures.wrong;
    await server.stop();
    await rm(work, { recursive: true, force: true });
    process.exit(bad === 0 ? 0 : 1);
  } catch (err) {
    await server.stop();
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

type Usage = { rssKiB: number; fds: number };

function summarize(
  o: LoadOptions,
  seconds: number,
  ossup: LoadReport,
  ali: LoadReport,
  before: Usage,
  peak: Usage,
  after: Usage,
) {
  const ms = (r: LoadReport[]) => r.flatMap((x) => x.partLatenciesMs).sort((a, b) => a - b);
  const lat = (r: LoadReport[]) => ({
    p50: Math.round(percentile(ms(r), 50)),
    p99: Math.round(percentile(ms(r), 99)),
  });
  const uploads = ossup.uploads + ali.uploads;
  return {
    clients: o.clients,
    storage: o.storage,
    seconds: Number(seconds.toFixed(1)),
    uploads,
    uploadsPerSecond: Number((uploads / seconds).toFixed(1)),
    mibPerSecond: Number(((uploads * o.size) / MiB / seconds).toFixed(1)),
    failures: ossup.failures + ali.failures,
    wrong: ossup.wrong + ali.wrong,
    partLatencyMs: { all: lat([ossup, ali]), ossup: lat([ossup]), ali: lat([ali]) },
    server: { before, peak, after },
  };
}

function print(
  o: LoadOptions,
  f: ReturnType<typeof summarize>,
  ossup: LoadReport,
  ali: LoadReport,
): void {
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  const { before, peak, after } = f.server;
  console.log(
    `load: ${o.clients} clients (${o.clients - Math.floor(o.clients / 2)} ossup on ` +
      `${o.ossupRuntime}, ${
        Math.floor(o.clients / 2)
      } ali-oss on node), ${o.uploads} uploads each of ` +
      `${(o.size / MiB).toFixed(1)} MiB, parts of ${
        o.partSize / KiB
      } KiB, ${o.routines} at once, ` +
      `${o.storage} storage
  uploads               ${f.uploads} in ${f.seconds} s: ${f.uploadsPerSecond}/s, ${f.mibPerSecond} MiB/s
  failures              ${f.failures}
  wrong objects         ${f.wrong}
  part latency p50/p99  ${f.partLatencyMs.all.p50}/${f.partLatencyMs.all.p99} ms (ossup ${f.partLatencyMs.ossup.p50}/${f.partLatencyMs.ossup.p99}, ali-oss ${f.partLatencyMs.ali.p50}/${f.partLatencyMs.ali.p99})
  server RSS            ${mib(before.rssKiB)} MiB before, ${mib(peak.rssKiB)} MiB peak, ${
        mib(after.rssKiB)
      } MiB after
  server fds            ${before.fds} before, ${peak.fds} peak, ${after.fds} after`,
  );
  for (const e of [...ossup.errors, ...ali.errors]) console.log(`  error: ${e}`);
  if (o.json) console.log(JSON.stringify(f));
}

await main();
