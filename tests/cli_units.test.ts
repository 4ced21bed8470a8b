/**
 * The command line's pure pieces: sizes (KB = 1024, as OSS writes them),
 * oss:// URLs, flag parsing, the default part size.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatBytes, formatDuration, parseSize } from "../lib/cli/units.ts";
import { parseObjectUrl, parseOssUrl } from "../lib/cli/oss_url.ts";
import { parseFlags } from "../lib/cli/args.ts";
import { autoPartSize, partSizeFlag } from "../lib/cli/cmd_upload.ts";
import { UsageError } from "../lib/cli/cli_error.ts";

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
    assert.equal(formatDuration(7), "7s");
    assert.equal(formatDuration(125), "2m05s");
    assert.equal(formatDuration(NaN), "?");
  });
  it("bounds --part-size and picks a default", () => {
    assert.throws(() => partSizeFlag("10KB", 0), UsageError);
    assert.throws(() => partSizeFlag("6GB", 0), UsageError);
    assert.equal(partSizeFlag(undefined, 48 * 1024 * 1024), 1024 * 1024);
    assert.equal(autoPartSize(10 * 1024 ** 3), 16 * 1024 * 1024);
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
