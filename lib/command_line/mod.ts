/**
 * The command-line parser every ossup program uses (not part of the library's public surface).
 *
 * @module
 */

export * from "./flags.ts";
export * from "./units.ts";
