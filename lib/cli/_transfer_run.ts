/**
 * What `cp` does the same way in both directions: reading the checkpoint
 * flags, and running the transfer with Ctrl-C wired to an abort, a progress
 * line on stderr, and a "paused" or "interrupted" exit when it is stopped.
 *
 * @module
 */

import { AbortError } from "../errors.ts";
import type { CliContext } from "./cli_context.ts";
import { CliError, EXIT, UsageError } from "./cli_error.ts";
import { createProgress, type Progress } from "./progress.ts";

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
  /** Added to "with --no-checkpoint nothing is kept". */
  nothingKeptNote?: string;
}

/**
 * Runs `transfer`; the progress line stops when it ends either way. When
 * Ctrl-C stopped it, throws the `interrupted` exit, saying where the
 * checkpoint is kept to resume from.
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
    if (controller.signal.aborted) {
      const where = stop.where();
      throw new CliError(
        EXIT.interrupted,
        stop.checkpoint
          ? `paused${where}; the checkpoint is kept in ${stop.checkpoint}: run the same command again to resume`
          : `interrupted${where}; with --no-checkpoint nothing is kept${
            stop.nothingKeptNote ?? ""
          }`,
      );
    }
    throw err;
  } finally {
    removeInterrupt();
  }
}
