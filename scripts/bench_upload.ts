/**
 * `npm run bench`: the same file uploaded to the local server by ossup (on
 * Deno, Bun and Node), by the official Go SDK's `UploadFile` (Debian's SDK
 * 1.4) and by ali-oss's `multipartUpload`, at equal part size and
 * parallelism, side by side, with ratios to the Go SDK.
 *
 *     npm run bench -- [--download] [--size 1GB] [--part-size 8MB] [--routines 4] [--runs 3]
 *                      [--data DIR] [--clients ossup-deno,ossup-bun,ossup-node,go,ali-oss]
 *     npm run bench -- --copy [same flags; clients ossup-deno,ossup-bun,ossup-node,go]
 *     deno run -A scripts/bench_upload.ts --size 64MB --part-size 100KB --routines 3
 *
 * `--download` measures the other direction: the file is uploaded once, then each client downloads
 * it into a file of its own with checkpoint on, ossup's `bucket.downloadFile(key, file,
 * { partSize, routines, checkpoint: true })` against the Go SDK's `bucket.DownloadFile(key,
 * file, partSize, oss.Routines(n), oss.Checkpoint(true, ""))` (ali-oss has no resumable
 * download); each file written is checked (size and CRC64 against the original) and deleted.
 * Everything else below holds for both directions.
 *
 * Sizes take B, KB, MB, GB (binary: 1 KB = 1024 B, so 100KB is OSS's 102,400-byte minimum part).
 *
 * How it measures, so that the clients are compared on equal terms:
 * - One server for all: `lib/server/main.ts` on Deno, in its own process, memory storage
 *   (`--data DIR` for the disk storage), started once. Each upload goes to its own key, is
 *   checked (size and the server's CRC64 against the file's) and then deleted.
 * - Each upload runs in a fresh process: `scripts/_bench_ossup_client.ts` under `deno run -A`,
 *   `bun run` and plain `node` (the client compiled to JavaScript first by esbuild, as npm users
 *   get ossup: no TypeScript loader in the measured process); `scripts/go/bench_upload` (built
 *   here with GO111MODULE=off against /usr/share/gocode); `scripts/_bench_ali_client.ts`,
 *   compiled the same way, on plain `node` with ali-oss loaded from node_modules.
 *   Each run uploads once with every client, in a rotating order, so drift (page cache,
 *   thermal, neighbours) spreads over all of them.
 * - Throughput: file size / wall-clock time of the upload call alone, timed inside the
 *   client (runtime start-up and module loading excluded); the median over the runs.
 *   MiB/s (2^20 bytes per second).
 * - CPU: user + system seconds the client process spent during the upload call
 *   (/proc/self/stat, or getrusage in Go); the median over the runs.
 * - Peak RSS: VmHWM (the kernel's high-water mark of the resident set) of the client
 *   process, read by the client from /proc/self/status right after the upload, and also
 *   polled by this script from /proc/<pid>/status every 50 ms until exit; the larger of the
 *   two, and the largest over the runs. It includes the runtime itself (V8/JSC, Go runtime,
 *   and the clients' loaded code); "at start" is VmHWM right before the upload
 *   call, with the client's code loaded, so peak − start is what the upload itself cost.
 * - Checkpoint bytes written, per upload:
 *   ossup: bytes handed to its checkpoint store's `write` and `append` (the store `checkpoint:
 *   true` creates, `<file>.cp`, wrapped by a counter); Go: the SDK rewrites the whole `.cp`
 *   JSON after each finished part and then publishes a progress event from the same goroutine,
 *   so the client sums the file's size at each event; ali-oss: writes nothing itself but hands
 *   the checkpoint to the progress callback, so the client counts the bytes of
 *   `JSON.stringify(checkpoint)` an application would persist per callback (counted, not
 *   written). Checkpoints go beside the file (`<file>.cp`), as in the seed.
 * - Goals (issue 4): throughput ≥ the Go SDK's; peak RSS ≤ routines × part size + 80 MiB
 *   (stated for a 1 GB file).
 *
 * With `--copy`, the same machinery measures server-side copies instead: the file is uploaded
 * once as `bench/source.bin`, then each client copies it to its own key in parts, ossup with
 * `bucket.copyFile(…, { partSize, routines, checkpoint, copyObjectLimit: 0 })` and the Go SDK
 * with `bucket.CopyFile(bucket, src, key, partSize, oss.Routines(n), oss.Checkpoint(true, …))`
 * (always multipart, so both copy part for part); each copy is checked (size and CRC64 equal
 * the source's) and deleted. Throughput is the object's size over the copy call's time.
 *
 * Temporary files (the test file, the Go binary) live in one directory under the system temp
 * directory, removed at the end, also on failure and on Ctrl-C; the server is stopped.
 * Not part of `npm test`: it asserts nothing about time.
 *
 * @module
 */

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { OssClient } from "../mod.ts";
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
  version,
  writeTestFile,
} from "./_bench_runner.ts";

const KiB = 1024;
const MiB = 1024 * 1024;
const BUCKET = "bench";

// ---------------------------------------------------------------------------------------------
// Command line

interface Settings {
  size: number;
  partSize: number;
  routines: number;
  runs: number;
  dataDir?: string;
  clients: string[];
  /** Server-side copies (`--copy`) instead of uploads. */
  copy: boolean;
  /** Downloads (`--download`) instead of uploads. */
  download: boolean;
}

const CLIENT_IDS = ["ossup-deno", "ossup-bun", "ossup-node", "go", "ali-oss"];
/** The clients of the copy bench: ali-oss's multipartUploadCopy has no checkpoint file to compare. */
const COPY_CLIENT_IDS = ["ossup-deno", "ossup-bun", "ossup-node", "go"];
const COPY_SOURCE_KEY = "bench/source.bin";

function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|KIB|K|MB|MIB|M|GB|GIB|G)?$/i.exec(text.trim());
  if (!m) throw new RangeError(`${flag}: not a size: ${text} (e.g. 256MB, 100KB, 1GB)`);
  const unit = (m[2] ?? "B").toUpperCase()[0];
  const factor = unit === "K" ? KiB : unit === "M" ? MiB : unit === "G" ? 1024 * MiB : 1;
  const n = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${flag}: must be positive`);
  return n;
}

function parseSettings(argv: string[]): Settings {
  const s: Settings = {
    size: 1024 * MiB,
    partSize: 8 * MiB,
    routines: 4,
    runs: 3,
    clients: argv.includes("--copy") || argv.includes("--download") ? COPY_CLIENT_IDS : CLIENT_IDS,
    copy: argv.includes("--copy"),
    download: argv.includes("--download"),
  };
  argv = argv.filter((a) => a !== "--copy" && a !== "--download");
  if (s.copy && s.download) throw new TypeError("give --copy or --download, not both");
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new TypeError(`${flag} needs a value`);
    if (flag === "--size") s.size = parseSize(value, flag);
    else if (flag === "--part-size") s.partSize = parseSize(value, flag);
    else if (flag === "--routines" || flag === "--runs") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`${flag} must be a whole number ≥ 1`);
      if (flag === "--routines") s.routines = n;
      else s.runs = n;
    } else if (flag === "--data") s.dataDir = value;
    else if (flag === "--clients") {
      s.clients = value.split(",").map((c) => c.trim()).filter(Boolean);
      const known = s.copy || s.download ? COPY_CLIENT_IDS : CLIENT_IDS;
      const unknown = s.clients.filter((c) => !known.includes(c));
      if (unknown.length) throw new TypeError(`unknown clients ${unknown} (${known})`);
    } else {
      throw new TypeError(`unknown flag ${flag}`);
    }
  }
  if (s.partSize < 100 * KiB) throw new RangeError("--part-size must be at least 100KB");
  if (s.routines > 100) throw new RangeError("--routines must be at most 100");
  if (Math.ceil(s.size / s.partSize) > 10_000) {
    throw new RangeError("--size / --part-size must give at most 10,000 parts");
  }
  return s;
}

function formatSize(bytes: number): string {
  if (bytes % (1024 * MiB) === 0) return `${bytes / (1024 * MiB)} GiB`;
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}

function formatBytes(bytes: number): string {
  if (bytes >= 10 * MiB) return `${(bytes / MiB).toFixed(0)} MiB`;
  if (bytes >= 10 * KiB) return `${(bytes / KiB).toFixed(0)} KiB`;
  return `${bytes} B`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r.map((cell, c) => c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])).join("  ")
  ).join("\n");
}

// ---------------------------------------------------------------------------------------------

interface ClientSpec {
  id: string;
  label: string;
  command: (common: string[]) => [string, string[]];
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const { size, partSize, routines, runs } = settings;
  const parts = Math.ceil(size / partSize);
  const aliVersion = JSON.parse(
    readFileSync(join(root, "node_modules/ali-oss/package.json"), "utf8"),
  ).version;
  const cpuModel = cpus()[0]?.model ?? "?";

  const what = settings.copy ? "copy" : settings.download ? "download" : "upload";
  console.log(
    settings.copy
      ? "ossup copy benchmark: one object copied in parts inside the server, ossup vs the Go SDK"
      : settings.download
      ? "ossup download benchmark: one object downloaded to a file, ossup vs the Go SDK"
      : "ossup upload benchmark: one file, five clients, one local server",
  );
  console.log(
    `machine:  ${availableParallelism()} cores (${cpuModel}), ` +
      `${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM`,
  );
  console.log(
    `runtimes: deno ${version(binary("deno"), ["--version"]).replace(/^deno /, "")}, ` +
      `bun ${version(binary("bun"), ["--version"])}, node ${version("node", ["--version"])}, ` +
      `${version("go", ["version"]).replace(/^go version /, "")}, ali-oss ${aliVersion}`,
  );
  console.log(
    `settings: file ${formatSize(size)}, part size ${formatSize(partSize)} (${parts} parts), ` +
      `routines ${routines}, runs ${runs}, server: deno, ` +
      `${settings.dataDir ? `disk storage in ${settings.dataDir}` : "memory storage"}`,
  );

  const work = mkdtempSync(join(tmpdir(), `ossup-bench-${what}-`));
  let server: ChildProcess | undefined;
  const cleanup = async () => {
    for (const child of children) child.kill("SIGKILL");
    if (server) await stop(server).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  };
  const onSignal = () => {
    cleanup().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const file = join(work, "upload.bin");
    process.stdout.write(`writing ${formatSize(size)} of random bytes… `);
    const expectedCrc = writeTestFile(file, size);
    console.log("done");

    const wanted = new Set(settings.clients);
    let goBinary = "";
    if (wanted.has("go")) {
      process.stdout.write("building the Go SDK client… ");
      goBinary = await buildBenchGoClient(work);
      console.log("done");
    }

    const started = await startServer(settings.dataDir);
    server = started.child;
    const url = started.url;
    const endpointHostPort = new URL(url).host;
    const admin = new OssClient({
      endpoint: url,
      region: "cn-hangzhou",
      accessKeyId: ACCESS_KEY_ID,
      accessKeySecret: ACCESS_KEY_SECRET,
    });
    await admin.createBucket(BUCKET).catch((err) => {
      if (err?.code !== "BucketAlreadyExists") throw err;
    });
    const bucket = admin.bucket(BUCKET);
    if (settings.copy) {
      process.stdout.write(`uploading the copy source ${COPY_SOURCE_KEY}… `);
      const put = await bucket.uploadFile(COPY_SOURCE_KEY, file, {
        partSize: 8 * MiB,
        routines: 4,
      });
      if (put.crc64 !== expectedCrc) throw new Error("the copy source was stored wrong");
      console.log("done");
    }
    const downloadKey = "bench/download.bin";
    if (settings.download) {
      process.stdout.write(`uploading it once as ${downloadKey}… `);
      const put = await bucket.uploadFile(downloadKey, file, { partSize, routines });
      if (put.crc64 !== expectedCrc) throw new Error("the stored object differs from the file");
      console.log("done");
    }

    const ossupClient = join(root, "scripts/_bench_ossup_client.ts");
    const wantsNode = wanted.has("ossup-node") || wanted.has("ali-oss");
    const ossupNodeClient = wantsNode ? compileForNode(ossupClient) : "";
    const aliClient = wantsNode ? compileForNode(join(root, "scripts/_bench_ali_client.ts")) : "";
    const allSpecs: ClientSpec[] = [
      {
        id: "ossup-deno",
        label: "ossup on Deno",
        command: (a) => [binary("deno"), ["run", "-A", ossupClient, "--endpoint", url, ...a]],
      },
      {
        id: "ossup-bun",
        label: "ossup on Bun",
        command: (a) => [binary("bun"), ["run", ossupClient, "--endpoint", url, ...a]],
      },
      {
        id: "ossup-node",
        label: "ossup on Node",
        command: (a) => ["node", [ossupNodeClient, "--endpoint", url, ...a]],
      },
      {
        id: "go",
        label: `Go SDK 1.4 ${
          settings.copy ? "CopyFile" : settings.download ? "DownloadFile" : "UploadFile"
        }`,
        command: (
          a,
        ) => [goBinary, ["-endpoint", endpointHostPort, ...a.map((x) => x.replace(/^--/, "-"))]],
      },
      {
        id: "ali-oss",
        label: `ali-oss ${aliVersion} (Node)`,
        command: (a) => ["node", [aliClient, "--endpoint", url, ...a]],
      },
    ];
    const specs = allSpecs.filter((s) => wanted.has(s.id));

    const results = new Map<string, ClientReport[]>(specs.map((s) => [s.id, []]));
    // Generous: 1 MiB/s at worst, plus start-up.
    const timeoutMs = 120_000 + (size / MiB) * 1000;
    for (let run = 0; run < runs; run++) {
      const order = specs.map((_, i) => specs[(i + run) % specs.length]);
      for (const spec of order) {
        const key = settings.download ? downloadKey : `bench/${spec.id}-${run + 1}.bin`;
        const target = settings.download ? join(work, `${spec.id}.out`) : file;
        const common = clientRunFlags({
          bucket: BUCKET,
          key,
          file: target,
          partSize,
          routines,
          copyFrom: settings.copy ? COPY_SOURCE_KEY : undefined,
          download: settings.download,
        });
        const [cmd, args] = spec.command(common);
        const report = await runClient(cmd, args, timeoutMs);
        // The object (or, downloading, the file written) must be the file: size and CRC64.
        const got = settings.download
          ? fileCrc(target)
          : await bucket.headObject(key).then((h) => ({ crc: h.crc64, size: h.size }));
        if (got.size !== size || got.crc !== expectedCrc) {
          throw new Error(
            `${spec.label}: the ${settings.download ? "file written" : "stored object"} differs ` +
              `(size ${got.size}, crc64 ${got.crc}; expected ${size}, ${expectedCrc})`,
          );
        }
        if (settings.download) rmSync(target, { force: true });
        else await bucket.deleteObject(key);
        results.get(spec.id)!.push(report);
        console.log(
          `run ${run + 1}/${runs}  ${spec.label.padEnd(24)} ` +
            `${(size / MiB / report.seconds).toFixed(1).padStart(7)} MiB/s  ` +
            `cpu ${report.cpuSeconds.toFixed(1).padStart(5)} s  ` +
            `peak RSS ${(report.peakRssKiB / KiB).toFixed(0).padStart(5)} MiB ` +
            `(${(report.startRssKiB / KiB).toFixed(0)} at start)  ` +
            `checkpoint ${
              formatBytes(report.checkpointBytes)
            } in ${report.checkpointWrites} writes`,
        );
      }
    }

    // Summary
    const summary = specs.map((spec) => {
      const reports = results.get(spec.id)!;
      return {
        spec,
        mibps: median(reports.map((r) => size / MiB / r.seconds)),
        cpu: median(reports.map((r) => r.cpuSeconds)),
        rssMiB: Math.max(...reports.map((r) => r.peakRssKiB)) / KiB,
        startMiB: median(reports.map((r) => r.startRssKiB)) / KiB,
        cpBytes: median(reports.map((r) => r.checkpointBytes)),
        cpWrites: median(reports.map((r) => r.checkpointWrites)),
      };
    });
    const go = summary.find((s) => s.spec.id === "go");
    const ratio = (x: number, base: number | undefined) => {
      if (base === undefined || base === 0) return "–";
      const r = x / base;
      return `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`;
    };
    const rssGoal = (routines * partSize) / MiB + 80;
    const rows = [[
      "client",
      "MiB/s",
      "vs Go",
      "CPU s",
      "vs Go",
      "peak RSS MiB",
      "vs Go",
      "at start",
      "checkpoint bytes",
      "writes",
      "B/part",
      "vs Go",
    ]];
    for (const s of summary) {
      rows.push([
        s.spec.label,
        s.mibps.toFixed(1),
        ratio(s.mibps, go?.mibps),
        s.cpu.toFixed(1),
        ratio(s.cpu, go?.cpu),
        s.rssMiB.toFixed(0),
        ratio(s.rssMiB, go?.rssMiB),
        s.startMiB.toFixed(0),
        String(s.cpBytes),
        String(s.cpWrites),
        (s.cpBytes / parts).toFixed(0),
        ratio(s.cpBytes, go?.cpBytes),
      ]);
    }
    console.log("");
    console.log(
      `${formatSize(size)} file, ${formatSize(partSize)} parts × ${parts}, ${routines} routines: ` +
        `median of ${runs} run(s) (peak RSS: the largest)`,
    );
    console.log(table(rows));
    console.log("");
    console.log(
      settings.copy
        ? "goal: throughput ≥ Go SDK's CopyFile (no byte passes through a copying client)"
        : `goals: throughput ≥ Go SDK's; peak RSS ≤ routines × part size + 80 MiB = ` +
          `${rssGoal.toFixed(0)} MiB`,
    );
    for (const s of summary.filter((x) => x.spec.id.startsWith("ossup-"))) {
      const fast = go === undefined ? "no Go run" : s.mibps >= go.mibps ? "met" : "MISSED";
      const lean = s.rssMiB <= rssGoal ? "met" : "MISSED";
      console.log(
        `  ${s.spec.label.padEnd(14)} throughput ${fast}` +
          (settings.copy ? "" : `, peak RSS ${lean}`),
      );
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
}

await main();
