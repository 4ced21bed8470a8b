/**
 * Chooses the CRC-64 implementation once, lazily: WebAssembly where the
 * runtime lets us compile it, pure JS where it refuses (Cloudflare workerd
 * throws on runtime compilation). Tests and benchmarks can force either.
 *
 * @module
 */

import { updateCrc64Js } from "./_js.ts";
import { createCrc64Wasm } from "./_wasm.ts";

/** Name of a CRC-64 implementation. */
export type Crc64Implementation = "wasm" | "js";

type Update = (state: Int32Array, data: Uint8Array) => void;

let active: Update | undefined;
let activeName: Crc64Implementation = "js";
let wasm: Update | null | undefined; // null: tried and refused

function loadWasm(): Update | null {
  if (wasm === undefined) {
    try {
      wasm = createCrc64Wasm();
    } catch {
      wasm = null;
    }
  }
  return wasm;
}

function select(): Update {
  const w = loadWasm();
  if (w) {
    activeName = "wasm";
    return (active = w);
  }
  activeName = "js";
  return (active = updateCrc64Js);
}

/**
 * Advances a raw (pre-inverted) CRC register, as `[lo, hi]` 32-bit halves,
 * over `data`, with the active implementation.
 */
export function updateCrc64(state: Int32Array, data: Uint8Array): void {
  (active ?? select())(state, data);
}

/** Which implementation {@linkcode updateCrc64} uses (selecting it if not done yet). */
export function crc64Implementation(): Crc64Implementation {
  if (!active) select();
  return activeName;
}

/**
 * For tests and benchmarks: force an implementation, or pass `"auto"` to go
 * back to automatic selection. Forcing `"wasm"` throws where it cannot compile.
 */
export function setCrc64Implementation(name: Crc64Implementation | "auto"): void {
  if (name === "auto") {
    select();
  } else if (name === "js") {
    active = updateCrc64Js;
    activeName = "js";
  } else {
    const w = loadWasm();
    if (!w) throw new Error("WebAssembly CRC-64 is not available in this runtime");
    active = w;
    activeName = "wasm";
  }
}

/**
 * For tests: forget the cached WebAssembly instance (or refusal) and the
 * selection, so the next call tries to compile again.
 */
export function resetCrc64Engine(): void {
  active = undefined;
  wasm = undefined;
  activeName = "js";
}
