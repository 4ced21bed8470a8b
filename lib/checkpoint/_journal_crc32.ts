/**
 * CRC-32 (IEEE 802.3, the zlib one) for the checkpoint journal's header and
 * per-record checksums. Records are tiny, so a byte-at-a-time table is plenty.
 *
 * @module
 */

const TABLE = /* @__PURE__ */ (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of `data`, continuing from `previous` (a finished CRC-32, so
 * `crc32(b, crc32(a)) === crc32(a ++ b)`).
 *
 * @param data The bytes.
 * @param previous The CRC-32 of the bytes before `data`; 0 to start.
 * @returns The CRC-32 as an unsigned 32-bit number.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  let c = ~previous;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
