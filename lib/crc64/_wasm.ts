/**
 * Loads the slicing-by-16 WebAssembly CRC-64 (see lib/crc64/crc64.wat). The
 * module is a few hundred bytes and compiles synchronously; its tables are
 * copied in from JS, and input is copied into its memory in 64 KiB chunks.
 *
 * @module
 */

import { CRC64_WASM_BASE64 } from "./_wasm_bytes.ts";
import { TABLE_COUNT, TABLE_HI, TABLE_LO } from "./_tables.ts";

// Must match the memory layout in lib/crc64/crc64.wat.
const STATE_OFFSET = 32768;
const INPUT_OFFSET = 65536;
const CHUNK = 65536;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Instantiates the module and returns an updater with the same contract as
 * the pure-JS one. Throws where WebAssembly is missing or compiling it at run
 * time is refused (Cloudflare workerd).
 */
export function createCrc64Wasm(): (state: Int32Array, data: Uint8Array) => void {
  const module = new WebAssembly.Module(decodeBase64(CRC64_WASM_BASE64));
  const instance = new WebAssembly.Instance(module, {});
  const memory = instance.exports.memory as WebAssembly.Memory;
  const update = instance.exports.update as (length: number) => void;
  // The module never grows its memory, so these views stay valid.
  const view = new DataView(memory.buffer);
  const input = new Uint8Array(memory.buffer, INPUT_OFFSET, CHUNK);
  for (let i = 0; i < TABLE_COUNT * 256; i++) {
    view.setInt32(8 * i, TABLE_LO[i], true);
    view.setInt32(8 * i + 4, TABLE_HI[i], true);
  }
  return (state, data) => {
    view.setInt32(STATE_OFFSET, state[0], true);
    view.setInt32(STATE_OFFSET + 4, state[1], true);
    const n = data.length;
    for (let offset = 0; offset < n; offset += CHUNK) {
      const length = Math.min(CHUNK, n - offset);
      input.set(length === n ? data : data.subarray(offset, offset + length));
      update(length);
    }
    state[0] = view.getInt32(STATE_OFFSET, true);
    state[1] = view.getInt32(STATE_OFFSET + 4, true);
  };
}
