/**
 * `--include` / `--exclude` for `cp -r`, with ossutil's semantics: each
 * pattern is a glob matched against the file's (or key's) base name, never
 * its folders (`*`, `?`, `[abc]`, `[a-z]`, `[!abc]`, `\` to escape, as Go's
 * `filepath.Match` that ossutil uses); the rules apply left to right: the
 * first decides (an include keeps what matches, an exclude keeps what does
 * not), then each later include adds what it matches and each later exclude
 * removes it. No rules keep everything.
 *
 * Written here rather than taken from picomatch or minimatch: those match
 * whole paths with their own extensions (`**`, braces, `[^…]`), and users
 * expect exactly what ossutil would have picked.
 *
 * @module
 */

import { UsageError } from "./cli_error.ts";

/** One rule as typed, in order. */
export interface NameRule {
  /** `--include` or `--exclude`. */
  kind: "include" | "exclude";
  /** The glob. */
  pattern: string;
}

/** Translates one glob into an anchored regular expression over a base name. */
function globToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      const next = pattern[++i];
      if (next === undefined) throw new UsageError(`pattern "${pattern}" ends with a lone \\`);
      re += escapeRegExp(next);
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw new UsageError(`pattern "${pattern}" has a [ without its ]`);
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      // Inside a class only \ ] [ ^ need escaping; `-` keeps its range meaning.
      re += `[${negated ? "^" : ""}${body.replace(/[\\\]\[^]/g, "\\$&")}]`;
      i = end;
    } else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`, "u");
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Builds the filter `--include`/`--exclude` describe.
 *
 * @param rules The rules in the order given.
 * @returns Whether a path (`a/b/c.jpg`, separated by `/`) is kept.
 * @throws {UsageError} For a malformed pattern.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nameFilter } from "./name_filter.ts";
 *
 * const keep = nameFilter([
 *   { kind: "exclude", pattern: "*.jpg" },
 *   { kind: "include", pattern: "testfile*.jpg" },
 *   { kind: "exclude", pattern: "testfile?.jpg" },
 * ]);
 * // Left to right: a later include adds testfile33.jpg, a later exclude drops testfile1.jpg.
 * assert.deepEqual([keep("a/testfile33.jpg"), keep("testfile1.jpg"), keep("x.txt")], [true, false, true]);
 * ```
 */
export function nameFilter(rules: NameRule[]): (path: string) => boolean {
  if (rules.length === 0) return () => true;
  const compiled = rules.map((r) => ({
    include: r.kind === "include",
    re: globToRegExp(r.pattern),
  }));
  return (path) => {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const [first, ...rest] = compiled;
    let keep = first.re.test(name) === first.include;
    for (const r of rest) {
      if (r.include) keep ||= r.re.test(name);
      else keep &&= !r.re.test(name);
    }
    return keep;
  };
}

/**
 * The rules of a parsed command line in the order typed: `--include` and
 * `--exclude` interleave, and their order matters.
 *
 * @param sequence The repeatable flags as typed (`ParsedArgs.sequence`).
 * @returns The rules.
 * @throws {UsageError} For an empty pattern.
 */
export function nameRulesOf(sequence: { name: string; value: string }[]): NameRule[] {
  const rules: NameRule[] = [];
  for (const { name, value } of sequence) {
    if (name !== "include" && name !== "exclude") continue;
    if (value === "") throw new UsageError(`--${name} needs a pattern`);
    rules.push({ kind: name, pattern: value });
  }
  return rules;
}
