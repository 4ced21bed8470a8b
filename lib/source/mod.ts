/**
 * What the upload engine reads: the `FileSource` interface and the Blob source.
 *
 * @module
 */

export type { FileSource, OpenFile, SourceStat } from "./file_source.ts";
export { blobSource } from "./blob_source.ts";
export type { BlobSourceOptions } from "./blob_source.ts";
