/**
 * Appending to appendable objects: what `bucket.appendFile` takes and returns.
 *
 * @module
 */

export { DEFAULT_APPEND_SIZE } from "./append_file.ts";
export type {
  AppendFileOptions,
  AppendFileResult,
  AppendProgress,
  AppendTarget,
} from "./append_file.ts";
