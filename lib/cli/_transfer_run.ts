/**
 * What `cp` does the same way in both directions: reading the checkpoint
 * flags, and running the transfer with Ctrl-C wired to an abort, a progress
 * line on stderr, and a "paused" or "interrupted" exit when it is stopped.
 *
 * @module
 */

import { readFile, stat } from "node:fs/promises";
import { AbortError, NetworkError, TimeoutError } from "../errors/errors.ts";
import { decodeCheckpoint, isIntent } from "../checkpoint/checkpoint_journal.ts";
import type { CliContext } from "./cli_context.ts";
import { CliError, EXIT, NotedFailure, UsageError } from "./cli_error.ts";
import { createProgress, type Progress } from "./progress.ts";
import { formatBytes } from "./units.ts";

/** The checkpoint flags as given; at most one of them. */
export interface CheckpointFlags {
  /** `--checkpoint PATH`. */
  path?: string;
  /** `--checkpoint-dir DIR`. */
  dir?: string;
  /** `--no-checkpoint`. */
  off: boolean;
}

/** Reads `--checkpoint`, `--checkpoint-dir` and `--no-checkpoint`; a usage error for two of them. */
export function checkpointFlags(ctx: CliContext): CheckpointFlags {
  const path = ctx.args.strings.get("checkpoint");
  const dir = ctx.args.strings.get("checkpoint-dir");
  const off = ctx.args.booleans.get("checkpoint") === false;
  if ([path !== undefined, dir !== undefined, off].filter(Boolean).length > 1) {
    throw new UsageError("give at most one of --checkpoint, --checkpoint-dir and --no-checkpoint");
  }
  return { path, dir, off };
}

/**
 * How a transfer is split, as its first line says it: `"in 48 parts of 1.0
 * MiB, 2 at once"`, `"in 128 parts of 1.0 MiB, 8 at once to start (auto)"`,
 * `"in 1 part"`. The counts are the transfer's own (a resumed one keeps its
 * checkpoint's part size), and "at once" is never more than there are parts.
 *
 * @param p The first progress sample (its part size and routines, when it has them).
 * @param routines Parts at once asked for.
 */
export function describeParts(
  p: { partsTotal: number; bytesTotal: number; partSize?: number; routines?: number },
  routines: number | "auto",
): string {
  const n = p.partsTotal;
  if (n <= 1) return `in ${n} part${n === 1 ? "" : "s"}`;
  const partSize = p.partSize;
  const fits = partSize !== undefined && (n - 1) * partSize < p.bytesTotal &&
    p.bytesTotal <= n * partSize;
  const atOnce = routines === "auto"
    ? `${Math.min(p.routines ?? 1, n)} at once to start (auto)`
    : `${Math.min(routines, n)} at once`;
  return `in ${n} parts${fits ? ` of ${formatBytes(partSize)}` : ""}, ${atOnce}`;
}

/** What a transfer gets while it runs. */
export interface TransferRun {
  /** Aborted by Ctrl-C (or SIGTERM). */
  signal: AbortSignal;
  /** The progress line (quiet under `--quiet` and `--json`). */
  progress: Progress;
}

/** How {@linkcode runTransfer} words a stop. */
export interface TransferStop {
  /** Where the checkpoint is kept, or `false` for `--no-checkpoint`. */
  checkpoint: string | false;
  /** How far it got, e.g. `" at 3/8 parts"`, or `""`. */
  where: () => string;
  /** What the transfer does, for "nothing was uploaded". */
  verb: "uploaded" | "downloaded" | "copied";
  /** Added to "with --no-checkpoint nothing is kept". */
  nothingKeptNote?: string;
}

/**
 * Whether a checkpoint to resume from is on disk at `path` now: a failure
 * before the first checkpoint write (a refused connection, say) leaves none,
 * or only an upload's intent (a journal with no upload ID yet, kept so the
 * next run can find an upload started but never recorded), and then there is
 * nothing to resume.
 */
async function checkpointKept(path: string | false): Promise<boolean> {
  if (path === false) return false;
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile() || info.size === 0) return false;
  const journal = decodeCheckpoint(await readFile(path).catch(() => new Uint8Array()));
  return "damaged" in journal || !isIntent(journal.header);
}

/** Failures that running the same command again can get past: network, timeouts, a full disk. */
function worthRetrying(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return err instanceof NetworkError || err instanceof TimeoutError ||
    code === "ENOSPC" || code === "EDQUOT";
}

/** What is left after `err` and what to do, or `undefined` when nothing needs saying. */
async function afterFailure(stop: TransferStop, err: unknown): Promise<string | undefined> {
  if (stop.checkpoint === false || !worthRetrying(err)) return undefined;
  return await checkpointKept(stop.checkpoint)
    ? `the checkpoint is kept in ${stop.checkpoint}: run the same command again to resume`
    : `nothing was ${stop.verb} and no checkpoint was written: run the same command again to start over`;
}

/**
 * Runs `transfer`; the progress line stops when it ends either way. When
 * Ctrl-C stopped it, throws the `interrupted` exit, saying where the
 * checkpoint is kept to resume from (only when one was written). A network
 * failure or a full disk is thrown with a note saying whether a checkpoint
 * is kept.
 */
export async function runTransfer<T>(
  ctx: CliContext,
  stop: TransferStop,
  transfer: (run: TransferRun) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const removeInterrupt = ctx.onInterrupt(() =>
    controller.abort(new AbortError("interrupted (Ctrl-C)"))
  );
  const progress = createProgress({
    write: ctx.err,
    tty: ctx.tty,
    columns: ctx.columns,
    quiet: ctx.quiet || ctx.json,
  });
  try {
    const result = await transfer({ signal: controller.signal, progress });
    progress.stop();
    return result;
  } catch (err) {
    progress.stop();
    if (controller.signal.aborted) throw await interrupted(stop);
    const note = await afterFailure(stop, err);
    throw note === undefined ? err : new NotedFailure(err, note);
  } finally {
    removeInterrupt();
  }
}

async function interrupted(stop: TransferStop): Promise<CliError> {
  const where = stop.where();
  if (stop.checkpoint === false) {
    return new CliError(
      EXIT.interrupted,
      `interrupted${where}; with --no-checkpoint nothing is kept${stop.nothingKeptNote ?? ""}`,
    );
  }
  return new CliError(
    EXIT.interrupted,
    await checkpointKept(stop.checkpoint)
      ? `paused${where}; the checkpoint is kept in ${stop.checkpoint}: run the same command again to resume`
      : `interrupted${where} before anything was ${stop.verb}; no checkpoint was written: ` +
        "run the same command again to start over",
  );
}

/**
 * The fields every `--json` result of a transfer that writes an object has: where it went,
 * its size, ETag, CRC64 and whether the server confirmed it, and the seconds it took.
 */
export function writtenObjectJson(
  r: {
    bucket: string;
    key: string;
    size: number;
    etag: string;
    crc64: bigint;
    crc64Verified: boolean;
  },
  seconds: number,
): Record<string, unknown> {
  return {
    bucket: r.bucket,
    key: r.key,
    size: r.size,
    etag: r.etag,
    crc64: r.crc64.toString(),
    crc64Verified: r.crc64Verified,
    seconds: Math.round(seconds * 1000) / 1000,
  };
}
