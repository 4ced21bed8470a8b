/**
 * CRC-64/ECMA as OSS computes it: wasm or JS engine, tables, combine.
 *
 * @module
 */

export { Crc64, crc64, crc64Combine } from "./crc64.ts";
