/**
 * The runtime-agnostic core that every entry point re-exports: the client
 * (less the `OssClient` each entry composes with its platform), the upload
 * engine, errors, CRC64, signing, and the interfaces adapters fill.
 *
 * @module
 */

export * from "./client/mod.ts";

export * from "./errors/mod.ts";
export * from "./crc64/mod.ts";
export * from "./signing/mod.ts";
export * from "./source/mod.ts";
export * from "./sink/mod.ts";
export * from "./checkpoint/mod.ts";

export * from "./upload/mod.ts";
export * from "./append/mod.ts";
export * from "./download/mod.ts";
export * from "./pacing/mod.ts";
