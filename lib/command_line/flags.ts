/**
 * The one command-line parser of ossup, for every command (`ossup cp|ls|rm|mb|presign|serve`)
 * and the server's own `main.ts`: `--flag value`, `--flag=value`, boolean `--flag` /
 * `--no-flag`, short aliases, repeatable flags, and `--` to end the flags. Mistakes are
 * {@linkcode UsageError}s that never echo a value (one could be a secret).
 *
 * @module
 */

import { UsageError } from "../errors/errors.ts";

/** One flag a command accepts. */
export interface FlagSpec {
  /** `"string"` takes a value; `"boolean"` does not. */
  type: "string" | "boolean";
  /** One-letter alias, e.g. `"j"` for `-j`. */
  short?: string;
  /** A string flag that may be given several times; its values are in `ParsedArgs.lists`. */
  multiple?: true;
}

/** How {@linkcode parseFlags} words its errors. */
export interface ParseFlagsOptions {
  /** Where the user finds the flags, appended to errors. Default `"ossup --help"`. */
  help?: string;
}

/** The parsed arguments. */
export interface ParsedArgs {
  /** Arguments that are not flags, in order. */
  positionals: string[];
  /** Values of string flags (the last one given wins). */
  strings: Map<string, string>;
  /** Values of repeatable string flags (`multiple`), in order. */
  lists: Map<string, string[]>;
  /**
   * Every repeatable flag as typed, interleaved: for flags whose relative
   * order matters, e.g. `--exclude '*.jpg' --include 'a*.jpg'`.
   */
  sequence: { name: string; value: string }[];
  /** Boolean flags that were given: `true` for `--x`, `false` for `--no-x`. */
  booleans: Map<string, boolean>;
}

/**
 * Parses `argv` against `spec` (flag names without dashes).
 *
 * A string flag's value given as the next argument may not start with `--`: that is a missing
 * value followed by another flag far more often than a value (write `--flag=--x` for one).
 *
 * @param argv The arguments.
 * @param spec The flags allowed.
 * @param options How errors name the help.
 * @returns Positionals and flag values.
 * @throws {UsageError} For an unknown flag or a missing value. Values are
 * never echoed: one could be a secret.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "./flags.ts";
 *
 * const a = parseFlags(["a.bin", "--parallel", "4", "-j"], {
 *   parallel: { type: "string" },
 *   json: { type: "boolean", short: "j" },
 * });
 * assert.deepEqual(a.positionals, ["a.bin"]);
 * assert.equal(a.strings.get("parallel"), "4");
 * assert.equal(a.booleans.get("json"), true);
 * assert.throws(() => parseFlags(["--paralel", "4"], { parallel: { type: "string" } }), { code: "Usage" });
 * ```
 */
export function parseFlags(
  argv: string[],
  spec: Record<string, FlagSpec>,
  options: ParseFlagsOptions = {},
): ParsedArgs {
  const see = `see ${options.help ?? "ossup --help"}`;
  const out: ParsedArgs = {
    positionals: [],
    strings: new Map(),
    booleans: new Map(),
    lists: new Map(),
    sequence: [],
  };
  const shorts = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.short) shorts.set(s.short, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string;
    let value: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) value = arg.slice(eq + 1);
    } else if (/^-[a-zA-Z]$/.test(arg)) {
      const long = shorts.get(arg[1]);
      if (long === undefined) throw new UsageError(`unknown flag ${arg}; ${see}`);
      name = long;
    } else {
      out.positionals.push(arg);
      continue;
    }
    if (!/^[a-z][a-z0-9-]*$/.test(name)) {
      throw new UsageError(`unknown flag #${i + 1}; ${see}`);
    }
    const s = spec[name];
    if (s === undefined && name.startsWith("no-") && spec[name.slice(3)]?.type === "boolean") {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      out.booleans.set(name.slice(3), false);
      continue;
    }
    if (s === undefined) throw new UsageError(`unknown flag --${name}; ${see}`);
    if (s.type === "boolean") {
      if (value !== undefined) throw new UsageError(`--${name} takes no value`);
      out.booleans.set(name, true);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith("--")) {
        throw new UsageError(`--${name} needs a value`);
      }
    }
    if (s.multiple) {
      out.lists.set(name, [...out.lists.get(name) ?? [], value]);
      out.sequence.push({ name, value });
    } else out.strings.set(name, value);
  }
  return out;
}

/**
 * Parses a whole number flag value within bounds.
 *
 * @param name The flag name, for the message.
 * @param text The value.
 * @param min Smallest allowed.
 * @param max Largest allowed.
 * @returns The number.
 * @throws {UsageError} When it is not a whole number in range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWhole } from "./flags.ts";
 *
 * assert.equal(parseWhole("parallel", "4", 1, 100), 4);
 * assert.throws(() => parseWhole("parallel", "0", 1, 100), {
 *   message: '--parallel must be a whole number from 1 to 100; got "0"',
 * });
 * ```
 */
export function parseWhole(name: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}; got "${text}"`);
  }
  return n;
}
