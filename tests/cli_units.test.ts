/**
 * The command line's pure pieces: sizes (KB = 1024, as OSS writes them),
 * oss:// URLs, flag parsing, the default part size, the wording of local
 * file errors, and how often progress prints off a terminal.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatBytes, formatDuration, parseSize } from "../lib/cli/units.ts";
import { parseObjectUrl, parseOssUrl } from "../lib/cli/oss_url.ts";
import { parseFlags } from "../lib/command_line/flags.ts";
import { parallelFlag, partSizeFlag } from "../lib/cli/cmd_upload.ts";
import { EXIT, NotedFailure, UsageError } from "../lib/cli/cli_error.ts";
import { reportError } from "../lib/cli/error_report.ts";
import { createProgress, PLAIN_LINE_INTERVAL_MS } from "../lib/cli/progress.ts";

describe("cli units", () => {
  it("parses sizes in powers of 1024", () => {
    assert.equal(parseSize("100KB"), 102400);
    assert.equal(parseSize("100k"), 102400);
    assert.equal(parseSize("8MB"), 8 * 1024 * 1024);
    assert.equal(parseSize("8MiB"), 8 * 1024 * 1024);
    assert.equal(parseSize("1GiB"), 1024 ** 3);
    assert.equal(parseSize("1.5M"), 1.5 * 1024 * 1024);
    assert.equal(parseSize("102400"), 102400);
    for (const bad of ["", "MB", "1XB", "-1MB", "1 2"]) {
      assert.throws(() => parseSize(bad), RangeError);
    }
  });
  it("formats bytes and durations", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1536), "1.5 KiB");
    assert.equal(formatBytes(48 * 1024 * 1024), "48.0 MiB");
    // Rounding never shows 1024 of a unit.
    assert.equal(formatBytes(1023.6), "1.0 KiB");
    assert.equal(formatBytes(1024 * 1024 - 1), "1.0 MiB");
    assert.equal(formatBytes(1024 ** 3 - 1), "1.0 GiB");
    assert.equal(formatBytes(1024 * 1024 - 52 * 1024), "972.0 KiB");
    assert.equal(formatDuration(7), "7s");
    assert.equal(formatDuration(125), "2m05s");
    assert.equal(formatDuration(NaN), "?");
  });
  it("bounds --part-size; without it (or with auto) part size and parallelism are auto", () => {
    assert.throws(() => partSizeFlag("10KB"), UsageError);
    assert.throws(() => partSizeFlag("6GB"), UsageError);
    assert.equal(partSizeFlag("8MB"), 8 * 1024 * 1024);
    assert.equal(partSizeFlag(undefined), "auto");
    assert.equal(partSizeFlag("auto"), "auto");
    assert.equal(parallelFlag(undefined), "auto");
    assert.equal(parallelFlag("auto"), "auto");
    assert.equal(parallelFlag("4"), 4);
    assert.throws(() => parallelFlag("fast"), UsageError);
  });
  it("parses oss:// URLs", () => {
    assert.deepEqual(parseOssUrl("oss://bkt"), { bucket: "bkt", key: "" });
    assert.deepEqual(parseOssUrl("oss://bkt/a/b c.txt"), { bucket: "bkt", key: "a/b c.txt" });
    assert.throws(() => parseOssUrl("s3://bkt/a"), UsageError);
    assert.throws(() => parseOssUrl("oss://B_k/a"), UsageError);
    assert.throws(() => parseObjectUrl("oss://bkt/dir/"), UsageError);
  });
  it("parses flags without echoing values", () => {
    const a = parseFlags(["x", "--parallel=3", "-j", "--no-checkpoint", "--", "--y"], {
      parallel: { type: "string" },
      json: { type: "boolean", short: "j" },
      checkpoint: { type: "boolean" },
    });
    assert.deepEqual(a.positionals, ["x", "--y"]);
    assert.equal(a.strings.get("parallel"), "3");
    assert.equal(a.booleans.get("json"), true);
    assert.equal(a.booleans.get("checkpoint"), false);
    assert.throws(() => parseFlags(["--secret=abc"], {}), (e: Error) => !e.message.includes("abc"));
  });
});

describe("cli local file errors", () => {
  const fsError = (code: string, path?: string) =>
    Object.assign(new Error(`${code}: raw message`), { code, ...(path ? { path } : {}) });
  it("are exit 2 with a line naming the path, not 'a bug'", () => {
    const cases: [string, RegExp][] = [
      ["ENOENT", /^no such file or folder: \/d\/f\.bin/],
      ["EACCES", /^permission denied on \/d\/f\.bin/],
      ["EPERM", /^operation not permitted on \/d\/f\.bin/],
      ["EISDIR", /^\/d\/f\.bin is a folder; give the path of a file$/],
      ["ENOTDIR", /^\/d\/f\.bin: a part of this path is a file, not a folder/],
      ["ENOSPC", /^no space left on the device writing \/d\/f\.bin: free some space$/],
      ["EROFS", /^\/d\/f\.bin is on a read-only file system/],
    ];
    for (const [code, re] of cases) {
      const r = reportError(fsError(code, "/d/f.bin"), { verbose: false });
      assert.equal(r.exitCode, EXIT.usage, code);
      assert.match(r.message, re, code);
      assert.ok(!r.message.includes("report it") && !r.message.includes("raw message"), r.message);
    }
  });
  it("without a path still say what happened", () => {
    const r = reportError(fsError("EISDIR"), { verbose: false });
    assert.equal(r.exitCode, EXIT.usage);
    assert.equal(r.message, "a local file is a folder; give the path of a file");
  });
  it("append a transfer's note to the cause's line", () => {
    const r = reportError(new NotedFailure(fsError("ENOSPC", "x.bin"), "the checkpoint is kept"), {
      verbose: false,
    });
    assert.equal(r.exitCode, EXIT.usage);
    assert.equal(
      r.message,
      "no space left on the device writing x.bin: free some space; the checkpoint is kept",
    );
  });
});

describe("cli progress off a terminal", () => {
  const sample = (done: number, total: number) => ({
    bytesDone: done * 1000,
    bytesTotal: total * 1000,
    partsDone: done,
    partsTotal: total,
  });
  it("prints the first sample, one line per 5% step and the last, for 200 parts", () => {
    const lines: string[] = [];
    const p = createProgress({ write: (t) => lines.push(t), tty: false, now: () => 0 });
    for (let i = 0; i <= 200; i++) p.update(sample(i, 200));
    p.stop();
    assert.equal(lines.length, 21);
    assert.match(lines[0], /\(0%\).*parts 0\/200\n$/);
    assert.match(lines.at(-1)!, /\(100%\).*parts 200\/200\n$/);
  });
  it("prints at least every 10 s while bytes move, and nothing when they do not", () => {
    const lines: string[] = [];
    let t = 0;
    const p = createProgress({ write: (l) => lines.push(l), tty: false, now: () => t });
    p.update(sample(0, 1000)); // 0%: printed
    t = PLAIN_LINE_INTERVAL_MS - 1;
    p.update(sample(1, 1000)); // same 5% step, under 10 s: not printed
    t = PLAIN_LINE_INTERVAL_MS;
    p.update(sample(2, 1000)); // 10 s after the last line: printed
    t = 3 * PLAIN_LINE_INTERVAL_MS;
    p.update(sample(2, 1000)); // no progress since: not printed
    assert.equal(lines.length, 2);
    assert.match(lines[1], /parts 2\/1000/);
  });
  it("prints nothing when quiet", () => {
    const lines: string[] = [];
    const p = createProgress({ write: (l) => lines.push(l), tty: false, quiet: true });
    for (let i = 0; i <= 10; i++) p.update(sample(i, 10));
    p.stop();
    assert.deepEqual(lines, []);
  });
});
