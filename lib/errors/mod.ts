/**
 * The errors ossup throws: one hierarchy under `OssupError`.
 *
 * @module
 */

export * from "./errors.ts";
