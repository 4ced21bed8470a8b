/**
 * The resumable download engine.
 *
 * @module
 */

export { downloadFile } from "./download_file.ts";
export type { DownloadFileOutput } from "./download_file.ts";
export { downloadToSink } from "./download_sink.ts";
export type { DownloadSinkOptions, DownloadTarget } from "./download_sink.ts";
export { DEFAULT_DOWNLOAD_PART_SIZE } from "./download_options.ts";
export type { DownloadFileOptions, DownloadProgress, DownloadResult } from "./download_options.ts";
