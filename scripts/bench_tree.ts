/**
 * `npm run bench:tree`: a tree of small files (1–64 KiB each) put to the local server by
 * `ossup cp -r` (on Deno, Bun and Node) and by a small Go program on the official Go SDK
 * (`scripts/go/bench_tree`: one `PutObjectFromFile` per file, `--jobs` goroutines), at the same
 * concurrency, files per second side by side from one run.
 *
 *     npm run bench:tree -- [--files 10000] [--jobs 8] [--runs 3] [--clients ossup-deno,ossup-bun,ossup-node,go]
 *
 * How it measures:
 * - One tree, written once into a temp folder: `--files` files in folders of 100, sizes spread
 *   over 1–64 KiB by a fixed seed.
 * - For each client a fresh server (`lib/server/main.ts` on this runtime, memory storage, its own
 *   process), so no client pays for the objects of another; the clients run one after another.
 * - The time is the transfer's alone, as each reports it: `cp -r --json`'s `seconds` (from the
 *   first file sent to the last one journalled, after the folder is listed; its journal on, as
 *   by default), and the Go program's (after its own walk). Files/s is files over that time.
 * - Each client's objects are counted on the server after its run (the count must be the tree's).
 * - `--runs N` rounds (default 3), each running every client once in turn (each round starting
 *   one client further on, so none always follows the same one), so a burst of load on this
 *   shared machine falls on one round, not on one client: each client's figure is its
 *   median over the rounds, and its ratio to Go the median of its per-round ratios (each against
 *   Go's run of the same round), printed with the rounds' ratios beside it.
 * - Beside it, the CPU seconds (median over the rounds) of the client's process, start-up
 *   included, and of the server while the client ran: on a machine of few cores the two share
 *   them, so a client's own CPU is time the server does not get.
 * - Goal (issue 15): ossup's files/s ≥ the Go SDK's. The Go SDK 1.4 signs V1, ossup V4.
 *
 * It prints a table and one JSON line (`{ files, jobs, runs, loadavg, results: [{ client, files,
 * seconds, filesPerSecond, ratioToGo, clientCpu, serverCpu, rounds: [{ seconds, ratioToGo,
 * clientCpu, serverCpu }] }] }`).
 *
 * @module
 */

import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { OssClient } from "../mod.ts";
import { buildBenchGoClient } from "./_bench_go.ts";
import { cpuSeconds } from "./_bench_proc.ts";
import {
  CAMPAIGN_CREDENTIALS,
  CampaignServer,
  clientEnv,
  ROOT,
  type Runtime,
  runtimeCommand,
} from "./_campaign_procs.ts";

const CLIENT_IDS = ["ossup-deno", "ossup-bun", "ossup-node", "go"] as const;
type ClientId = typeof CLIENT_IDS[number];
const BUCKET = "bench-tree";

interface Settings {
  files: number;
  jobs: number;
  runs: number;
  clients: ClientId[];
}

function usage(message: string): never {
  console.error(`bench_tree: ${message}`);
  console.error(
    "usage: bench_tree.ts [--files N] [--jobs N] [--runs N] [--clients ossup-deno,ossup-bun,ossup-node,go]",
  );
  process.exit(2);
}

function parseSettings(argv: string[]): Settings {
  const s: Settings = { files: 10_000, jobs: 8, runs: 3, clients: [...CLIENT_IDS] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    const whole = (name: string, min: number, max: number) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        usage(`--${name} must be a whole number from ${min} to ${max}`);
      }
      i++;
      return n;
    };
    switch (argv[i]) {
      case "--files":
        s.files = whole("files", 1, 1_000_000);
        break;
      case "--jobs":
        s.jobs = whole("jobs", 1, 1000);
        break;
      case "--runs":
        s.runs = whole("runs", 1, 100);
        break;
      case "--clients": {
        const ids = (value ?? "").split(",");
        for (const id of ids) {
          if (!(CLIENT_IDS as readonly string[]).includes(id)) {
            usage(`unknown client ${id}; clients: ${CLIENT_IDS.join(", ")}`);
          }
        }
        s.clients = ids as ClientId[];
        i++;
        break;
      }
      default:
        usage(`unknown argument ${argv[i]}`);
    }
  }
  return s;
}

/** Writes the tree: `files` files of 1–64 KiB, 100 a folder, from a fixed seed. */
async function makeTree(root: string, files: number): Promise<number> {
  let seed = 0x9e3779b9;
  const next = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const pool = new Uint8Array(64 * 1024 + 4096);
  for (let i = 0; i < pool.length; i++) pool[i] = next() & 0xff;
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const folder = join(root, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(folder, { recursive: true });
    const size = 1024 + (next() % (63 * 1024 + 1));
    const start = next() % 4096;
    await writeFile(join(folder, `f${i}.bin`), pool.subarray(start, start + size));
    bytes += size;
  }
  return bytes;
}

/** Runs a command to its end; its stdout, or a thrown error with its stderr. */
function run(cmd: string, args: string[], env: Record<string, string | undefined>, cwd: string) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => out += s);
    child.stderr!.setEncoding("utf8").on("data", (s: string) => err = (err + s).slice(-4000));
    child.once("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited ${code}: ${err}`));
    });
  });
}

interface Result {
  client: ClientId;
  files: number;
  seconds: number;
  /** CPU seconds of the client's process (and its children), start-up included. */
  clientCpu: number;
  /** CPU seconds the server used while the client ran. */
  serverCpu: number;
}

/** One client's run against a fresh server; its own count of files and time. */
async function runClient(
  id: ClientId,
  tree: string,
  work: string,
  s: Settings,
  goBinary: string | undefined,
): Promise<Result> {
  const server = new CampaignServer({});
  await server.start();
  try {
    const admin = new OssClient({ endpoint: server.url, ...CAMPAIGN_CREDENTIALS });
    await admin.createBucket(BUCKET);
    const prefix = `${id}/`;
    let reported: { files: number; seconds: number };
    const serverBefore = cpuSeconds(server.pid);
    const childrenBefore = cpuSeconds("self", true);
    if (id === "go") {
      const out = await run(
        goBinary!,
        [
          "-endpoint",
          new URL(server.url).host,
          "-ak",
          CAMPAIGN_CREDENTIALS.accessKeyId,
          "-sk",
          CAMPAIGN_CREDENTIALS.accessKeySecret,
          "-bucket",
          BUCKET,
          "-prefix",
          prefix,
          "-dir",
          tree,
          "-jobs",
          String(s.jobs),
        ],
        process.env,
        work,
      );
      reported = JSON.parse(out.trim());
    } else {
      const runtime = id.slice("ossup-".length) as Runtime;
      const [cmd, args] = runtimeCommand(runtime, join(ROOT, "lib/cli/main.ts"), [
        "cp",
        "-r",
        tree,
        `oss://${BUCKET}/${prefix}`,
        "--jobs",
        String(s.jobs),
        "--checkpoint-dir",
        work,
        "--json",
      ]);
      const env = {
        ...clientEnv(),
        OSS_ENDPOINT: server.url,
        OSS_REGION: CAMPAIGN_CREDENTIALS.region,
        OSS_ACCESS_KEY_ID: CAMPAIGN_CREDENTIALS.accessKeyId,
        OSS_ACCESS_KEY_SECRET: CAMPAIGN_CREDENTIALS.accessKeySecret,
      };
      // From the checkout, where Node finds tsx; the journal goes to the work folder.
      const out = JSON.parse((await run(cmd, args, env, ROOT)).trim());
      reported = { files: out.copied, seconds: out.seconds };
    }
    const serverCpu = cpuSeconds(server.pid) - serverBefore;
    const clientCpu = cpuSeconds("self", true) - childrenBefore;
    let stored = 0;
    for await (const _ of admin.bucket(BUCKET).listObjects({ prefix })) stored++;
    if (stored !== s.files || reported.files !== s.files) {
      throw new Error(`${id}: ${reported.files} files reported, ${stored} stored, of ${s.files}`);
    }
    return {
      client: id,
      files: reported.files,
      seconds: reported.seconds,
      clientCpu: round2(clientCpu),
      serverCpu: round2(serverCpu),
    };
  } finally {
    await server.stop();
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** A client's median over the rounds, and its ratio to Go round by round. */
function summarize(client: ClientId, runs: Result[], rounds: Result[][]) {
  const perRound = runs.map((r, i) => {
    const go = rounds[i].find((x) => x.client === "go");
    return {
      seconds: Math.round(r.seconds * 1000) / 1000,
      ratioToGo: go ? round2(go.seconds / r.seconds) : null,
      clientCpu: r.clientCpu,
      serverCpu: r.serverCpu,
    };
  });
  const seconds = median(runs.map((r) => r.seconds));
  const ratios = perRound.map((r) => r.ratioToGo).filter((r): r is number => r !== null);
  return {
    client,
    files: runs[0].files,
    seconds: Math.round(seconds * 1000) / 1000,
    filesPerSecond: Math.round(runs[0].files / seconds),
    ratioToGo: ratios.length > 0 ? round2(median(ratios)) : null,
    clientCpu: round2(median(runs.map((r) => r.clientCpu))),
    serverCpu: round2(median(runs.map((r) => r.serverCpu))),
    rounds: perRound,
  };
}

async function main(): Promise<void> {
  const s = parseSettings(process.argv.slice(2));
  const work = await mkdtemp(join(tmpdir(), "ossup-bench-tree-"));
  try {
    const tree = join(work, "tree");
    const bytes = await makeTree(tree, s.files);
    const goBinary = s.clients.includes("go")
      ? await buildBenchGoClient(work, "bench_tree")
      : undefined;
    const load = loadavg().map((n) => Math.round(n * 100) / 100);
    console.log(
      `${s.files} files (${(bytes / 1024 / 1024).toFixed(1)} MiB), ${s.jobs} at once; ` +
        `load average before: ${load.join(" ")}`,
    );
    const rounds: Result[][] = [];
    for (let round = 0; round < s.runs; round++) {
      // Each round starts one client further on, so none always runs after the same one.
      const results = new Array<Result>(s.clients.length);
      for (let i = 0; i < s.clients.length; i++) {
        const c = (round + i) % s.clients.length;
        results[c] = await runClient(s.clients[c], tree, work, s, goBinary);
      }
      rounds.push(results);
    }
    const rows = s.clients.map((client, c) => summarize(client, rounds.map((r) => r[c]), rounds));
    for (const r of rows) {
      const perRound = r.rounds.length > 1 && r.ratioToGo !== null
        ? ` (rounds: ${r.rounds.map((x) => x.ratioToGo).join(", ")})`
        : "";
      console.log(
        `${r.client.padEnd(11)} ${String(r.filesPerSecond).padStart(7)} files/s  ` +
          `${r.seconds.toFixed(3).padStart(8)} s${
            r.ratioToGo === null ? "" : `  ${r.ratioToGo}× Go${perRound}`
          }  CPU: client ${r.clientCpu.toFixed(2)} s, server ${r.serverCpu.toFixed(2)} s`,
      );
    }
    console.log(
      JSON.stringify({
        files: s.files,
        jobs: s.jobs,
        runs: s.runs,
        bytes,
        loadavg: load,
        results: rows,
      }),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
