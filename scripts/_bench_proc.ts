/**
 * What the upload clients of scripts/bench_upload.ts measure about their own
 * process on Linux, and how they report it: peak resident set and CPU time,
 * read from `/proc/self`, and one JSON line on stdout.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";

/** What every bench client prints, as one JSON line. */
export interface ClientReport {
  /** Wall-clock seconds of the upload call alone (no runtime start-up). */
  seconds: number;
  /** CPU seconds (user + system) this process spent during the upload call. */
  cpuSeconds: number;
  /** Peak resident set of the process (VmHWM), KiB, read after the upload. */
  peakRssKiB: number;
  /** Peak resident set (VmHWM), KiB, right before the upload: the runtime and the loaded code. */
  startRssKiB: number;
  /** Bytes written to the checkpoint (see each client for how they are counted). */
  checkpointBytes: number;
  /** Number of checkpoint writes. */
  checkpointWrites: number;
  /** Part size the transfer used, when the client reports it (ossup: what `"auto"` chose). */
  partSizeUsed?: number;
  /** Most parts at once the transfer ran, when the client reports it. */
  routinesPeak?: number;
}

/** VmHWM of /proc/self/status in KiB: the process's peak resident set so far. */
export function peakRssKiB(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) : -1;
}

/**
 * CPU seconds (user + system) of a whole process so far (this one by default), from
 * /proc/<pid>/stat (clock ticks of 1/100 s, Linux's USER_HZ); with `children`, those of the
 * children it has waited for instead.
 */
export function cpuSeconds(pid: number | "self" = "self", children = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const at = children ? 13 : 11;
  return (Number(fields[at]) + Number(fields[at + 1])) / 100;
}

/** The command-line flags every client takes. */
export interface ClientArgs {
  endpoint: string;
  ak: string;
  sk: string;
  bucket: string;
  key: string;
  file: string;
  /** Bytes per part; `"auto"` (ossup's adaptive choice) or `undefined` (`default`: the client's default). */
  partSize: number | "auto" | undefined;
  /** Parts at once; `"auto"` or `undefined` (`default`) as for `partSize`. */
  routines: number | "auto" | undefined;
  /** The copy bench: copy this key of the bucket to `key` instead of uploading `file`. */
  copyFrom?: string;
  /** `--download`: download `key` into `file` instead of uploading `file`. */
  download: boolean;
}

/** A number, `auto`, or `default` (the client's own default: `undefined`). */
function setting(text: string): number | "auto" | undefined {
  return text === "auto" ? "auto" : text === "default" ? undefined : Number(text);
}

/** Parses `--name value` flags into {@linkcode ClientArgs}. */
export function clientArgs(argv: string[] = process.argv.slice(2)): ClientArgs {
  const get = (name: string): string => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0 || argv[i + 1] === undefined) throw new TypeError(`--${name} is required`);
    return argv[i + 1];
  };
  return {
    endpoint: get("endpoint"),
    ak: get("ak"),
    sk: get("sk"),
    bucket: get("bucket"),
    key: get("key"),
    file: get("file"),
    partSize: setting(get("part-size")),
    routines: setting(get("routines")),
    copyFrom: argv.includes("--copy-from") ? get("copy-from") : undefined,
    download: argv.includes("--download"),
  };
}

/**
 * Times `upload`, then prints the {@linkcode ClientReport} line and exits
 * (status 1 with the error on stderr if it throws).
 */
export async function runClient(
  upload: () => Promise<
    Pick<ClientReport, "checkpointBytes" | "checkpointWrites" | "partSizeUsed" | "routinesPeak">
  >,
): Promise<void> {
  try {
    const startRssKiB = peakRssKiB();
    const cpu0 = cpuSeconds();
    const start = performance.now();
    const counted = await upload();
    const report: ClientReport = {
      seconds: (performance.now() - start) / 1000,
      cpuSeconds: cpuSeconds() - cpu0,
      peakRssKiB: peakRssKiB(),
      startRssKiB,
      ...counted,
    };
    process.stdout.write(JSON.stringify(report) + "\n");
    process.exit(0);
  } catch (err) {
    process.stderr.write(`bench client failed: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  }
}
