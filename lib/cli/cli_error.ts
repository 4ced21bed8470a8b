/**
 * Exit codes of `ossup` and the error the command line raises for expected
 * failures: printed as one line, never with a stack trace.
 *
 * @module
 */

import { OssupError, UsageError } from "../errors/errors.ts";

/**
 * Exit codes, documented in `ossup --help`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EXIT } from "./cli_error.ts";
 *
 * assert.equal(EXIT.network, 4);
 * assert.equal(EXIT.interrupted, 130); // Ctrl-C: run the same command to resume
 * ```
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** An unexpected error (a bug): rerun with --verbose and report it. */
  unexpected: 1,
  /** Bad input or local files: usage, bad oss:// URL, bad size or number; a local file or folder missing or not allowed, a full disk. */
  usage: 2,
  /** Authentication or permission refused: wrong key, bad signature, access denied. */
  auth: 3,
  /** Network failure: endpoint unreachable, connection reset, timeout. */
  network: 4,
  /** Integrity failure: CRC64 mismatch, or the source changed during the upload. */
  integrity: 5,
  /** OSS refused the request for another reason: no such bucket or key, and so on. */
  oss: 6,
  /** The checkpoint (or the local data) is in use by another process. */
  checkpoint: 7,
  /** The checkpoint cannot be read or written: a full disk, a directory in its place, no permission. */
  checkpointIo: 8,
  /** Interrupted (Ctrl-C); the checkpoint is kept, run the same command to resume. */
  interrupted: 130,
} as const;

/**
 * An expected failure of a command: its message is one line saying what
 * failed, why, and what to do; `exitCode` is one of {@linkcode EXIT}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CliError, EXIT } from "./cli_error.ts";
 *
 * const err = new CliError(EXIT.usage, "no such file: big.iso (check the path)");
 * assert.equal(err.exitCode, 2);
 * assert.equal(err.code, "CommandFailed");
 * ```
 */
export class CliError extends OssupError {
  /** This class's code: `"CommandFailed"`. */
  static override readonly code: "CommandFailed" = "CommandFailed";

  /** The process exit code. */
  readonly exitCode: number;

  /**
   * @param exitCode One of {@linkcode EXIT}.
   * @param message One line: what, why, what to do. Never a secret.
   * @param options The underlying error, if any.
   */
  constructor(exitCode: number, message: string, options?: { cause?: unknown }) {
    super(CliError.code, message, options);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

// A command-line mistake: exit code 2 (EXIT.usage). One class for every command, the server's
// main.ts included, so it lives with the other errors.
export { UsageError };

/**
 * A failure of a transfer with what is left of it, e.g. "the checkpoint is
 * kept in big.bin.cp: run the same command again to resume": reported as
 * its cause, with the note appended to the cause's line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NotedFailure } from "./cli_error.ts";
 *
 * const err = new NotedFailure(new Error("socket hang up"), "nothing was uploaded");
 * assert.equal(err.note, "nothing was uploaded");
 * assert.equal((err.cause as Error).message, "socket hang up");
 * ```
 */
export class NotedFailure extends OssupError {
  /** This class's code: `"TransferFailed"`. */
  static override readonly code: "TransferFailed" = "TransferFailed";

  /** Appended to the cause's one-line message. */
  readonly note: string;

  /**
   * @param cause The failure as thrown.
   * @param note What is left and what to do, one clause.
   */
  constructor(cause: unknown, note: string) {
    super(NotedFailure.code, note, { cause });
    this.name = "NotedFailure";
    this.note = note;
  }
}
