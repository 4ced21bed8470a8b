/**
 * Where the download engine writes: the `FileSink` interface.
 *
 * @module
 */

export { PARTIAL_DOWNLOAD_SUFFIX } from "./file_sink.ts";
export type { CreateFileSink, FileSink } from "./file_sink.ts";
