/**
 * What a command receives: its parsed arguments, output streams, the
 * environment, interrupt handling, and a lazily opened connection.
 *
 * @module
 */

import type { ParsedArgs } from "../command_line/flags.ts";
import type { Connection } from "./connection.ts";

/** The context of one command run. */
export interface CliContext {
  /** The parsed command line (after the command name). */
  args: ParsedArgs;
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Writes to stdout. */
  out(text: string): void;
  /** Writes to stderr. */
  err(text: string): void;
  /** Writes bytes to stdout (`cat`, `cp oss://… -`), resolving once they are handed on. */
  writeOut(bytes: Uint8Array): Promise<void>;
  /** Standard input as bytes (`cp - oss://…`). */
  stdin(): ReadableStream<Uint8Array>;
  /** Whether stderr is a terminal (progress bar) and its width. */
  tty: boolean;
  /** Terminal width. */
  columns: number;
  /** `--verbose`. */
  verbose: boolean;
  /** `--quiet`: no progress, no summary on stderr. */
  quiet: boolean;
  /** `--json`: one JSON object on stdout as the result. */
  json: boolean;
  /** Calls `handler` on Ctrl-C (SIGINT) or SIGTERM; returns the remover. */
  onInterrupt(handler: () => void): () => void;
  /** The connection (opened on first call; closed when the command ends). */
  connect(): Promise<Connection>;
}
