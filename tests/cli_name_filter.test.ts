/**
 * `cp -r --include/--exclude`: ossutil's rules on base names, in the order typed
 * (the examples of ossutil 1.4.0's announcement of the flags), and the parser keeping
 * repeatable flags in that order.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseFlags } from "../lib/command_line/flags.ts";
import { nameFilter, nameRulesOf } from "../lib/cli/name_filter.ts";
import { UsageError } from "../lib/errors/errors.ts";

const FILES = ["testfile1.jpg", "testfile2.txt", "testfile33.jpg"];
const SPEC = {
  include: { type: "string", multiple: true },
  exclude: { type: "string", multiple: true },
} as const;

function picked(argv: string[], files = FILES): string[] {
  const keep = nameFilter(nameRulesOf(parseFlags(argv, SPEC).sequence));
  return files.filter(keep);
}

describe("--include/--exclude", () => {
  it("applies the rules left to right on the base name, as ossutil does", () => {
    assert.deepEqual(picked([]), FILES);
    assert.deepEqual(picked(["--exclude", "*.jpg"]), ["testfile2.txt"]);
    assert.deepEqual(picked(["--exclude", "*.jpg", "--include", "testfile*.jpg"]), FILES);
    assert.deepEqual(
      picked(["--exclude", "*.jpg", "--include", "testfile*.jpg", "--exclude=testfile?.jpg"]),
      ["testfile2.txt", "testfile33.jpg"],
    );
    assert.deepEqual(picked(["--include", "*.jpg"]), ["testfile1.jpg", "testfile33.jpg"]);
  });

  it("matches the name, never the folders, with ?, [set], [!set] and \\ escapes", () => {
    const files = ["a/b/x1.log", "x1/y.txt", "dir/[a].txt", "q/x9.log", "z/*.log"];
    assert.deepEqual(picked(["--include", "x[0-5].log"], files), ["a/b/x1.log"]);
    assert.deepEqual(picked(["--include", "x[!0-5].log"], files), ["q/x9.log"]);
    assert.deepEqual(picked(["--include", "x?.*"], files), ["a/b/x1.log", "q/x9.log"]);
    assert.deepEqual(picked(["--include", "\\[a\\].txt"], files), ["dir/[a].txt"]);
    assert.deepEqual(picked(["--include", "\\*.log"], files), ["z/*.log"]);
    assert.deepEqual(picked(["--include", "x1*"], files), ["a/b/x1.log"]);
  });

  it("refuses a malformed pattern with a UsageError naming it", () => {
    assert.throws(
      () => picked(["--include", "a[bc"]),
      (e) => e instanceof UsageError && /a\[bc/.test(e.message),
    );
    assert.throws(() => picked(["--exclude", ""]), UsageError);
  });
});
