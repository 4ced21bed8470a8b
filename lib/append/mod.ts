/**
 * Appending to appendable objects: `appendFile` and what it takes and returns.
 *
 * @module
 */

export { appendFile, DEFAULT_APPEND_SIZE } from "./append_file.ts";
export type {
  AppendFileOptions,
  AppendFileResult,
  AppendProgress,
  AppendTarget,
} from "./append_file.ts";
