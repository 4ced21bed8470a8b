/**
 * `npm run bench:wan`: uploads and downloads through the link emulator, one link profile at a
 * time, by ossup `"auto"` (Deno, Bun, Node), ossup at the seed's settings (100 KB × 3), the Go
 * SDK at the seed's settings and hand-tuned, and ali-oss's `multipartUpload` with its defaults;
 * MB/s and share of the link's rate, peak RSS against its bound.
 *
 *     npm run bench:wan -- [--profiles 1,2,3,4] [--clients auto-deno,…] [--directions upload,download]
 *                          [--quick] [--size 4MiB] [--runs 1] [--json]
 *     npm run bench:wan -- --per-part [--quick] [--clients …]
 *     npm run bench:wan -- --clients auto-deno --fixed 1MiBx8,1MiBx16,1MiBx32 [--profiles 3]
 *
 * Profiles (issue 14), and the file each moves:
 *
 * | # | link                                            | file    | link time | round trips |
 * |---|-------------------------------------------------|---------|-----------|-------------|
 * | 1 | rtt=20ms,rate=1Gbit,window=4MiB                 | 256 MiB | 2.1 s     | 107         |
 * | 2 | rtt=50ms,rate=400Mbit,window=1MiB               | 256 MiB | 5.4 s     | 107         |
 * | 3 | rtt=150ms,rate=100Mbit,window=256KiB            | 192 MiB | 16.1 s    | 107         |
 * | 4 | rtt=300ms,rate=20Mbit,window=64KiB,resets=32MiB | 80 MiB  | 33.6 s    | 112         |
 *
 * The rule for the file: its link time (size / rate) is at least 100 of the link's round trips,
 * rounded up to a multiple of 16 MiB. Besides its bytes a transfer pays round trips that no
 * parallelism hides, about 5 for an upload (the first handshake, InitiateMultipartUpload, the
 * other connections' handshakes, the last part's answer, CompleteMultipartUpload) and 4 for a
 * download (HeadObject instead of Initiate and Complete), so the best share of the link any client
 * can reach is time / (time + 5 or 4 round trips): with 100 round trips 95% up and 96% down, and
 * issue 14's 90% is a goal a client can meet. (The files of issue 14's first table, 256, 128, 48
 * and 12 MiB, capped any client at 95, 92, 84 and 77% of the link.)
 *
 * `--quick` moves a quarter of each (ceilings 84, 84, 84, 85% up), `--size` a given size (a
 * multiple of 4 KiB). The seed's settings move a quarter of the file (a second file), and so do
 * ali-oss's defaults on profile 4: their parallelism is fixed, so their rate is steady from the
 * first part, and at their slower pace a quarter still takes ≥ 100 round trips (seed ≥ 5, 13, 28,
 * 50 s; ali-oss ≈ 30 s on profile 4), so the same fixed round trips cost them ≤ 5% there too. On
 * profiles 1–3 ali-oss moves the whole file: a quarter would take only 33–57 round trips at its
 * pace. (How much a smaller file changes their MB/s: the README's benchmark section.)
 * "Hand-tuned" is the Go SDK at 16 routines with 8 MiB parts, or smaller parts when the file has
 * fewer than 16 × 8 MiB (what someone tuning by hand would do: 16 parts in flight), at least
 * 100 KiB.
 *
 * Clients (`--clients`): `auto-deno`, `auto-bun`, `auto-node` (ossup, partSize and routines
 * `"auto"`, default maxMemory 256 MiB); `seed-ossup` (ossup on Deno, 100 KB × 3); `go-seed`,
 * `go-tuned` (Go SDK 1.4 `UploadFile`/`DownloadFile`, checkpoint on); `ali-oss` (upload only:
 * ali-oss has no parallel or resumable download to compare, and the table says so).
 *
 * `--fixed 1MiBx16,…` adds ossup on Deno at fixed settings (part size × routines): what a link
 * gives a transfer that knows the best settings in advance, the ceiling `"auto"` is measured
 * against.
 *
 * `--per-part` measures issue 14's item 4 instead: one routine of 100 KiB parts through
 * `rtt=50ms,rate=400Mbit,window=1MiB` (40 parts; 20 with `--quick`), ossup on each runtime and
 * the Go SDK, up and down: milliseconds per part, in round trips, and the connections opened
 * through the link (1 when every part reuses the first connection).
 *
 * How it measures: the server is `lib/server/main.ts` on Deno in its own process (memory
 * storage); the link (`startLink`) runs in this process in front of it, so client, link and
 * server each have a process. Each transfer is a fresh client process (scripts/_bench_runner.ts,
 * the machinery of `npm run bench`): MB/s = bytes / the transfer call's time (10^6 bytes/s, the
 * unit the link's Mbit/s rate converts to), timed in the client; every object and downloaded file
 * is checked (size, CRC64). Peak RSS: the client's VmHWM, bound maxMemory + 80 MiB for `"auto"`
 * and routines × part size + 80 MiB for fixed settings. The machine's load average is printed
 * per profile: other processes share the cores, and the emulator's timing depends on them.
 *
 * Not part of `npm test` (tests/campaign_scripts.test.ts runs a tiny smoke of it): it asserts
 * nothing about time.
 *
 * @module
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { OssClient } from "../mod.ts";
import { type RunningLink, startLink } from "../lib/server/link.ts";
import { formatLinkSpec, parseLinkSpec } from "../lib/server/link_spec.ts";
import type { ClientReport } from "./_bench_proc.ts";
import { buildBenchGoClient } from "./_bench_go.ts";
import {
  ACCESS_KEY_ID,
  ACCESS_KEY_SECRET,
  binary,
  children,
  clientRunFlags,
  compileForNode,
  fileCrc,
  median,
  root,
  runClient,
  startServer,
  stop,
  writeTestFile,
} from "./_bench_runner.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const BUCKET = "bench";
/** `"auto"`'s default memory budget (lib/upload/parallelism.ts, DEFAULT_MAX_MEMORY). */
const AUTO_MAX_MEMORY = 256 * MiB;

interface Profile {
  spec: string;
  size: number;
}

const PROFILES: Profile[] = [
  { spec: "rtt=20ms,rate=1Gbit,window=4MiB", size: 256 * MiB },
  { spec: "rtt=50ms,rate=400Mbit,window=1MiB", size: 256 * MiB },
  { spec: "rtt=150ms,rate=100Mbit,window=256KiB", size: 192 * MiB },
  { spec: "rtt=300ms,rate=20Mbit,window=64KiB,resets=32MiB", size: 80 * MiB },
];

type Direction = "upload" | "download";

interface ClientSpec {
  id: string;
  label: string;
  /** Part size and routines for a file of `size` bytes: numbers, "auto" or "default". */
  settings(size: number): { partSize: string; routines: string };
  /** A quarter-size file on this profile (fixed settings whose rate is steady and slow). */
  small?: (profile: number) => boolean;
  /** Directions it can do. */
  directions: Direction[];
  /** The command running it against `endpoint` (`http://host:port`). */
  command(args: string[], endpoint: string): [string, string[]];
}

/** The link of the per-part measurement (`--per-part`): issue 14's item 4, RTT 50 ms. */
const PER_PART_LINK = "rtt=50ms,rate=400Mbit,window=1MiB";

const SEED = { partSize: String(100 * KiB), routines: "3" };

/** 16 parts in flight: 8 MiB, or size / 16 when smaller (in 100 KiB steps, at least 100 KiB). */
function tunedPartSize(size: number): number {
  const step = 100 * KiB;
  return Math.max(step, Math.min(8 * MiB, Math.floor(size / 16 / step) * step));
}

// ---------------------------------------------------------------------------------------------
// Command line

interface Settings {
  profiles: number[];
  clients: string[];
  directions: Direction[];
  quick: boolean;
  runs: number;
  json: boolean;
  /** `--per-part`: the per-request overhead at RTT 50 ms instead of the profiles. */
  perPart: boolean;
  /** `--size`: bytes each profile moves instead of its own (smoke tests). */
  size?: number;
  /** `--fixed`: ossup on Deno at fixed part size × routines, e.g. `1MiBx16` (the link's ceiling). */
  fixed: { partSize: number; routines: number }[];
}

const CLIENT_IDS = [
  "auto-deno",
  "auto-bun",
  "auto-node",
  "seed-ossup",
  "go-seed",
  "go-tuned",
  "ali-oss",
];

function listFlag(argv: string[], name: string): string[] | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined) throw new TypeError(`--${name} needs a value`);
  return value.split(",").map((v) => v.trim()).filter(Boolean);
}

/** `--size`: a whole number of KiB or MiB (`512KiB`, `4MiB`), a multiple of 4 KiB. */
function sizeFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)(KiB|MiB)$/.exec(text);
  const size = m ? Number(m[1]) * (m[2] === "KiB" ? KiB : MiB) : NaN;
  if (!(size >= 4 * KiB) || size % (4 * KiB) !== 0) {
    throw new RangeError(`--size: a multiple of 4 KiB such as 512KiB or 4MiB; got ${text}`);
  }
  return size;
}

function parseSettings(argv: string[]): Settings {
  const switches = ["--quick", "--json", "--per-part"];
  const known = new Set([
    "--profiles",
    "--clients",
    "--directions",
    "--runs",
    "--size",
    "--fixed",
    ...switches,
  ]);
  for (let i = 0; i < argv.length; i++) {
    if (!known.has(argv[i])) throw new TypeError(`unknown flag ${argv[i]} (${[...known]})`);
    if (!switches.includes(argv[i])) i++;
  }
  const profiles = (listFlag(argv, "profiles") ?? ["1", "2", "3", "4"]).map(Number);
  const bad = profiles.filter((p) => !Number.isInteger(p) || p < 1 || p > PROFILES.length);
  if (bad.length) throw new RangeError(`--profiles: numbers 1 to ${PROFILES.length}; got ${bad}`);
  const clients = listFlag(argv, "clients") ?? CLIENT_IDS;
  const unknown = clients.filter((c) => !CLIENT_IDS.includes(c));
  if (unknown.length) throw new TypeError(`--clients: unknown ${unknown} (${CLIENT_IDS})`);
  const directions = (listFlag(argv, "directions") ?? ["upload", "download"]) as Direction[];
  if (directions.some((d) => d !== "upload" && d !== "download")) {
    throw new TypeError(`--directions: upload, download; got ${directions}`);
  }
  const runs = Number(listFlag(argv, "runs")?.[0] ?? 1);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new RangeError("--runs must be a whole number ≥ 1");
  }
  return {
    profiles,
    clients,
    directions,
    quick: argv.includes("--quick"),
    runs,
    json: argv.includes("--json"),
    perPart: argv.includes("--per-part"),
    size: sizeFlag(listFlag(argv, "size")?.[0]),
    fixed: (listFlag(argv, "fixed") ?? []).map(fixedFlag),
  };
}

/** One `--fixed` setting: `<size>x<routines>`, e.g. `1MiBx16`, `256KiBx32`. */
function fixedFlag(text: string): { partSize: number; routines: number } {
  const [size, routines] = text.split("x");
  const n = Number(routines);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new RangeError(`--fixed: <part size>x<routines 1–100> such as 1MiBx16; got ${text}`);
  }
  return { partSize: sizeFlag(size)!, routines: n };
}

// ---------------------------------------------------------------------------------------------
// One profile

/** What one client measured in one direction (medians over the runs; RSS the largest). */
interface Row {
  profile: number;
  client: string;
  direction: Direction;
  /** Bytes moved. */
  bytes: number;
  mbps: number;
  /** MB/s over the link's rate. */
  share: number;
  peakRssMiB: number;
  rssBoundMiB: number;
  partSize?: number;
  routines?: string;
  /** Parts moved. */
  parts?: number;
  /** Milliseconds per part (the transfer's time over its parts). */
  msPerPart?: number;
  /** Connections the client opened through the link (most over the runs). */
  connections?: number;
  /** Why there is no number. */
  note?: string;
}

/** A row with no figures, only why. */
function noteRow(profile: number, client: string, direction: Direction, note: string): Row {
  return {
    profile,
    client,
    direction,
    bytes: 0,
    mbps: NaN,
    share: NaN,
    peakRssMiB: NaN,
    rssBoundMiB: NaN,
    note,
  };
}

interface Files {
  full: { path: string; crc: bigint; size: number };
  small: { path: string; crc: bigint; size: number };
}

function rssBound(partSize: string, routines: string, size: number): number {
  if (partSize === "auto" || routines === "auto") return (AUTO_MAX_MEMORY + 80 * MiB) / MiB;
  // ali-oss's defaults: 1 MiB × 5.
  const part = partSize === "default" ? MiB : Number(partSize);
  const n = routines === "default" ? 5 : Number(routines);
  return (Math.min(size, part * n) + 80 * MiB) / MiB;
}

async function runProfile(
  index: number,
  profile: Profile,
  settings: Settings,
  specs: ClientSpec[],
  work: string,
  log: (line: string) => void,
): Promise<Row[]> {
  const link = parseLinkSpec(profile.spec);
  const size = profile.size;
  const full = join(work, "full.bin");
  const small = join(work, "small.bin");
  const files: Files = {
    full: { path: full, crc: writeTestFile(full, size), size },
    small: { path: small, crc: writeTestFile(small, size / 4), size: size / 4 },
  };
  const started = await startServer(undefined);
  let running: RunningLink | undefined;
  try {
    running = await startLink({ ...link, target: started.url });
    const admin = new OssClient({
      endpoint: started.url, // set-up and checks go around the link
      region: "cn-hangzhou",
      accessKeyId: ACCESS_KEY_ID,
      accessKeySecret: ACCESS_KEY_SECRET,
    });
    await admin.createBucket(BUCKET);
    const bucket = admin.bucket(BUCKET);
    const rows: Row[] = [];
    for (const direction of settings.directions) {
      if (direction === "download") {
        for (const f of [files.full, files.small]) {
          await bucket.uploadFile(`download/${f.size}`, f.path, { partSize: 8 * MiB, routines: 4 });
        }
      }
      for (const spec of specs) {
        if (!spec.directions.includes(direction)) {
          rows.push(noteRow(index, spec.label, direction, "no parallel download"));
          continue;
        }
        const file = spec.small?.(index) ? files.small : files.full;
        const { partSize, routines } = spec.settings(file.size);
        const reports: ClientReport[] = [];
        const connections: number[] = [];
        let failure: string | undefined;
        for (let run = 0; run < settings.runs; run++) {
          const key = direction === "download"
            ? `download/${file.size}`
            : `upload/${spec.id}-${run}.bin`;
          const target = direction === "download" ? join(work, `${spec.id}.out`) : file.path;
          const args = clientRunFlags({
            bucket: BUCKET,
            key,
            file: target,
            partSize,
            routines,
            download: direction === "download",
          });
          const [cmd, cmdArgs] = spec.command(args, running.url);
          const connectionsBefore = running.stats().connections;
          let report: ClientReport;
          try {
            report = await runClient(cmd, cmdArgs, 300_000 + (file.size / MiB) * 2000);
          } catch (err) {
            // A client that gives up (e.g. the Go SDK on a link reset: it does not retry a part)
            // is a result of the profile, not the end of the benchmark.
            // runClient's message: the command, then the client's stderr; its first line says why.
            failure = String((err as Error).message).split("\n").slice(1).find((l) => l.trim()) ??
              "failed";
            break;
          }
          connections.push(running.stats().connections - connectionsBefore);
          const got = direction === "download"
            ? fileCrc(target)
            : await bucket.headObject(key).then((h) => ({ crc: h.crc64, size: h.size }));
          if (got.size !== file.size || got.crc !== file.crc) {
            throw new Error(`${spec.label} ${direction}: wrong bytes (size ${got.size})`);
          }
          if (direction === "download") rmSync(target, { force: true });
          else await bucket.deleteObject(key);
          reports.push(report);
        }
        if (failure !== undefined) {
          rows.push(noteRow(index, spec.label, direction, `failed: ${failure.slice(0, 120)}`));
          log(`  ${direction.padEnd(8)} ${spec.label.padEnd(22)} failed: ${failure}`);
          continue;
        }
        const mbps = median(reports.map((r) => file.size / 1e6 / r.seconds));
        const last = reports[reports.length - 1];
        const row: Row = {
          profile: index,
          client: spec.label,
          direction,
          bytes: file.size,
          mbps,
          share: mbps / (link.rate! / 1e6),
          peakRssMiB: Math.max(...reports.map((r) => r.peakRssKiB)) / KiB,
          rssBoundMiB: rssBound(partSize, routines, file.size),
          partSize: last.partSizeUsed ?? (/^\d+$/.test(partSize) ? Number(partSize) : undefined),
          routines: last.routinesPeak !== undefined
            ? `${routines === "auto" ? "auto, peak " : ""}${last.routinesPeak}`
            : routines,
        };
        row.parts = Math.ceil(file.size / (row.partSize ?? MiB));
        row.msPerPart = median(reports.map((r) => r.seconds)) * 1000 / row.parts;
        row.connections = Math.max(...connections);
        rows.push(row);
        log(
          `  ${direction.padEnd(8)} ${spec.label.padEnd(22)} ${mbps.toFixed(1).padStart(6)} MB/s ` +
            `${(row.share * 100).toFixed(0).padStart(3)}%  RSS ${row.peakRssMiB.toFixed(0)} MiB  ` +
            `parts ${
              row.partSize === undefined ? "default" : formatSize(row.partSize)
            } × ${row.routines}, ${
              row.msPerPart.toFixed(1)
            } ms/part, ${row.connections} connections`,
        );
      }
    }
    return rows;
  } finally {
    await running?.close();
    await stop(started.child);
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting

function formatSize(bytes: number): string {
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}

function markdownTable(rows: Row[], direction: Direction): string {
  const lines = [
    `| ${direction} | MB/s | share of link | part size × routines | peak RSS MiB (bound) |`,
    "|---|---:|---:|---|---:|",
  ];
  for (const r of rows.filter((x) => x.direction === direction)) {
    if (r.note) {
      lines.push(`| ${r.client} | – | – | ${r.note} | – |`);
      continue;
    }
    lines.push(
      `| ${r.client} | ${r.mbps.toFixed(1)} | ${(r.share * 100).toFixed(0)}% | ` +
        `${r.partSize === undefined ? "default" : formatSize(r.partSize)} × ${r.routines} | ` +
        `${r.peakRssMiB.toFixed(0)} (${r.rssBoundMiB.toFixed(0)}) |`,
    );
  }
  return lines.join("\n");
}

function perPartTable(rows: Row[], rtt: number): string {
  const lines = [
    "| client | direction | ms per part | round trips per part | connections |",
    "|---|---|---:|---:|---:|",
  ];
  for (const r of rows.filter((x) => !x.note)) {
    lines.push(
      `| ${r.client} | ${r.direction} | ${r.msPerPart!.toFixed(1)} | ` +
        `${(r.msPerPart! / rtt).toFixed(2)} | ${r.connections} |`,
    );
  }
  return lines.join("\n");
}

/** The goals for each "auto" row: ≥ 90% of the link, ≥ 1.0× tuned Go, ≥ 5× the seed. */
function goals(rows: Row[]): string[] {
  const out: string[] = [];
  const find = (direction: Direction, label: string) =>
    rows.find((r) => r.direction === direction && r.client === label && !r.note);
  for (const r of rows.filter((x) => x.client.startsWith('ossup "auto"') && !x.note)) {
    const tuned = find(r.direction, "Go SDK, hand-tuned");
    const seed = find(r.direction, "ossup, seed 100 KB × 3");
    const checks = [
      `link ${(r.share * 100).toFixed(0)}% ${r.share >= 0.9 ? "met" : "MISSED"}`,
      tuned
        ? `vs tuned Go ${(r.mbps / tuned.mbps).toFixed(2)}× ${
          r.mbps >= tuned.mbps ? "met" : "MISSED"
        }`
        : "",
      seed
        ? `vs seed ${(r.mbps / seed.mbps).toFixed(1)}× ${
          r.mbps >= 5 * seed.mbps ? "met" : "MISSED"
        }`
        : "",
      `RSS ${r.peakRssMiB <= r.rssBoundMiB ? "met" : "MISSED"}`,
    ].filter(Boolean);
    out.push(`  ${r.direction} ${r.client}: ${checks.join(", ")}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const log = settings.json ? (_: string) => {} : (line: string) => console.log(line);
  const work = mkdtempSync(join(tmpdir(), "ossup-bench-wan-"));
  const cleanup = () => {
    for (const child of children) child.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  };
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const wanted = new Set(settings.clients);
    const goBinary = wanted.has("go-seed") || wanted.has("go-tuned")
      ? await buildBenchGoClient(work)
      : "";
    const ossupClient = join(root, "scripts/_bench_ossup_client.ts");
    const wantsNode = wanted.has("auto-node") || wanted.has("ali-oss");
    const ossupNode = wantsNode ? compileForNode(ossupClient) : "";
    const aliNode = wantsNode ? compileForNode(join(root, "scripts/_bench_ali_client.ts")) : "";
    const aliVersion = JSON.parse(
      readFileSync(join(root, "node_modules/ali-oss/package.json"), "utf8"),
    ).version;
    const AUTO = () => ({ partSize: "auto", routines: "auto" });
    const both: Direction[] = ["upload", "download"];
    // The Go SDK takes host:port (an IP endpoint makes it path-style) and single-dash flags.
    const goCommand = (a: string[], url: string): [string, string[]] => [
      goBinary,
      ["-endpoint", new URL(url).host, ...a.map((x) => x.replace(/^--/, "-"))],
    ];
    const all: ClientSpec[] = [
      {
        id: "auto-deno",
        label: 'ossup "auto", Deno',
        settings: AUTO,
        directions: both,
        command: (a, url) => [binary("deno"), ["run", "-A", ossupClient, "--endpoint", url, ...a]],
      },
      {
        id: "auto-bun",
        label: 'ossup "auto", Bun',
        settings: AUTO,
        directions: both,
        command: (a, url) => [binary("bun"), ["run", ossupClient, "--endpoint", url, ...a]],
      },
      {
        id: "auto-node",
        label: 'ossup "auto", Node',
        settings: AUTO,
        directions: both,
        command: (a, url) => ["node", [ossupNode, "--endpoint", url, ...a]],
      },
      {
        id: "seed-ossup",
        label: "ossup, seed 100 KB × 3",
        settings: () => SEED,
        small: () => true,
        directions: both,
        command: (a, url) => [binary("deno"), ["run", "-A", ossupClient, "--endpoint", url, ...a]],
      },
      {
        id: "go-seed",
        label: "Go SDK, seed 100 KB × 3",
        settings: () => SEED,
        small: () => true,
        directions: both,
        command: goCommand,
      },
      {
        id: "go-tuned",
        label: "Go SDK, hand-tuned",
        settings: (size) => ({ partSize: String(tunedPartSize(size)), routines: "16" }),
        directions: both,
        command: goCommand,
      },
      {
        id: "ali-oss",
        label: `ali-oss ${aliVersion} defaults`,
        settings: () => ({ partSize: "default", routines: "default" }),
        small: (profile) => profile === 4,
        directions: ["upload"],
        command: (a, url) => ["node", [aliNode, "--endpoint", url, ...a]],
      },
    ];
    const fixed: ClientSpec[] = settings.fixed.map(({ partSize, routines }) => ({
      id: `fixed-${partSize}x${routines}`,
      label: `ossup ${formatSize(partSize)} × ${routines}, Deno`,
      settings: () => ({ partSize: String(partSize), routines: String(routines) }),
      directions: both,
      command: (a, url) => [binary("deno"), ["run", "-A", ossupClient, "--endpoint", url, ...a]],
    }));
    const specs = [...all.filter((s) => wanted.has(s.id)), ...fixed];
    const rows: Row[] = [];
    const load = () => loadavg().map((x) => x.toFixed(1)).join(" ");
    if (settings.perPart) {
      // Item 4 of issue 14: one routine of 100 KB parts at RTT 50 ms, so each part's time is
      // its request's overhead plus 100 KB at the window's pace: ideally one round trip.
      const perPart = all.filter((s) =>
        ["auto-deno", "auto-bun", "auto-node", "go-seed"].includes(s.id)
      )
        .filter((s) => wanted.has(s.id))
        .map((s) => ({
          ...s,
          label: s.id === "go-seed"
            ? "Go SDK, 100 KB × 1"
            : s.label.replace('"auto"', "100 KB × 1"),
          settings: () => ({ partSize: String(100 * KiB), routines: "1" }),
          small: () => false,
        }));
      const profile = { spec: PER_PART_LINK, size: (settings.quick ? 20 : 40) * 100 * KiB };
      log(
        `\nper-part overhead: ${PER_PART_LINK}, ${profile.size / (100 * KiB)} parts of 100 KiB, ` +
          `one routine; load ${load()} on ${availableParallelism()} cores`,
      );
      const perPartRows = await runProfile(0, profile, settings, perPart, work, log);
      rows.push(...perPartRows);
      log(`load after: ${load()}\n`);
      log(perPartTable(perPartRows, parseLinkSpec(PER_PART_LINK).rtt!));
    } else {
      for (const index of settings.profiles) {
        const base = PROFILES[index - 1];
        const profile = {
          ...base,
          size: settings.size ?? (settings.quick ? base.size / 4 : base.size),
        };
        log(
          `\nprofile ${index}: ${formatLinkSpec(parseLinkSpec(profile.spec))}, file ` +
            `${formatSize(profile.size)} (seed settings: ${formatSize(profile.size / 4)}); ` +
            `load ${load()} on ${availableParallelism()} cores`,
        );
        const profileRows = await runProfile(index, profile, settings, specs, work, log);
        rows.push(...profileRows);
        log(`load after: ${load()}\n`);
        for (const direction of settings.directions) {
          log(markdownTable(profileRows, direction) + "\n");
        }
        for (const line of goals(profileRows)) log(line);
      }
    }
    if (settings.json) console.log(JSON.stringify({ rows }));
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    cleanup();
  }
}

await main();
