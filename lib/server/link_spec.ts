/**
 * The text form of a link's settings, as `ossup serve --link` and `npm run serve -- --link`
 * take it: comma-separated `name=value` pairs, e.g. `rtt=50ms,rate=400Mbit,window=1MiB`.
 *
 * | name     | value                                                                  |
 * | -------- | ---------------------------------------------------------------------- |
 * | `rtt`    | round-trip time: `50ms`, `0.15s`                                       |
 * | `rate`   | per direction, shared: `400Mbit`, `1Gbit`, `800Kbit` (bits/s, ×1000), or bytes/s as a size: `50MB` (×1024) |
 * | `window` | bytes in flight per connection: `1MiB`, `256KB`, `65536`               |
 * | `resets` | mean bytes a connection carries before it is reset: `64MiB`            |
 * | `seed`   | seed of the reset draws: a whole number (default 1)                    |
 *
 * @module
 */

import { parseSize } from "../command_line/units.ts";
import type { LinkSettings } from "./link.ts";

/**
 * How `--link` is written, for help texts and error messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LINK_SPEC_SYNTAX } from "@ossup/ossup/server";
 *
 * // What --link's usage message says.
 * assert.match(LINK_SPEC_SYNTAX, /^rtt=DURATION,rate=RATE,window=SIZE/);
 * ```
 */
export const LINK_SPEC_SYNTAX =
  "rtt=DURATION,rate=RATE,window=SIZE[,resets=SIZE][,seed=N], e.g. rtt=50ms,rate=400Mbit,window=1MiB";

const BIT_UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };

function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  if (!m) throw new RangeError(`rtt must be a duration such as 50ms or 0.15s; got "${text}"`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

function parseRate(text: string): number {
  const bits = /^(\d+(?:\.\d+)?)([kmg]?bit)(?:\/s|ps)?$/i.exec(text);
  if (bits) return (Number(bits[1]) * BIT_UNITS[bits[2].toLowerCase()]) / 8;
  try {
    return parseSize(text.replace(/\/s$/i, ""));
  } catch {
    throw new RangeError(
      `rate must be bits per second such as 400Mbit or 1Gbit, or bytes per second such as 50MB; got "${text}"`,
    );
  }
}

function parseBytes(name: string, text: string): number {
  try {
    return parseSize(text);
  } catch {
    throw new RangeError(`${name} must be a size such as 1MiB, 256KB or 65536; got "${text}"`);
  }
}

/**
 * Parses a link's settings from their text form.
 *
 * @param text E.g. `"rtt=50ms,rate=400Mbit,window=1MiB"`.
 * @returns The settings (rate in bytes per second, rtt in milliseconds).
 * @throws {RangeError} For an unknown name, a repeated one, or a bad value; the message names
 * what is allowed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLinkSpec } from "@ossup/ossup/server";
 *
 * assert.deepEqual(parseLinkSpec("rtt=50ms,rate=400Mbit,window=1MiB"), { rtt: 50, rate: 50000000, window: 1048576 });
 * ```
 */
export function parseLinkSpec(text: string): LinkSettings {
  const settings: LinkSettings = {};
  for (const pair of text.split(",")) {
    const eq = pair.indexOf("=");
    const name = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const value = eq < 0 ? "" : pair.slice(eq + 1).trim();
    if (!["rtt", "rate", "window", "resets", "seed"].includes(name) || value === "") {
      throw new RangeError(`a link is written ${LINK_SPEC_SYNTAX}; got "${pair}"`);
    }
    if (name in settings) throw new RangeError(`link setting ${name} is given twice`);
    const bytes = (n: number) => {
      if (!(n > 0)) throw new RangeError(`link ${name} must be above 0; got "${value}"`);
      return n;
    };
    if (name === "rtt") settings.rtt = parseDurationMs(value);
    else if (name === "rate") settings.rate = bytes(parseRate(value));
    else if (name === "window") settings.window = bytes(parseBytes("window", value));
    else if (name === "resets") settings.resets = bytes(parseBytes("resets", value));
    else if (!/^\d{1,9}$/.test(value)) {
      throw new RangeError(`link seed must be a whole number; got "${value}"`);
    } else settings.seed = Number(value);
  }
  return settings;
}

/**
 * The text form of a link's settings, for messages (`rtt=50ms,rate=400Mbit,window=1MiB`).
 *
 * @param s The settings.
 * @returns The same settings as {@linkcode parseLinkSpec} reads them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatLinkSpec } from "@ossup/ossup/server";
 *
 * assert.equal(formatLinkSpec({ rtt: 50, rate: 50e6, window: 1 << 20 }), "rtt=50ms,rate=400Mbit,window=1048576");
 * ```
 */
export function formatLinkSpec(s: LinkSettings): string {
  const parts: string[] = [];
  if (s.rtt !== undefined) parts.push(`rtt=${s.rtt}ms`);
  if (s.rate !== undefined) parts.push(`rate=${(s.rate * 8) / 1e6}Mbit`);
  if (s.window !== undefined) parts.push(`window=${s.window}`);
  if (s.resets !== undefined) parts.push(`resets=${s.resets}`);
  if (s.seed !== undefined) parts.push(`seed=${s.seed}`);
  return parts.join(",");
}
