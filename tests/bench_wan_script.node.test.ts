/**
 * Smoke test of `npm run bench:wan` (scripts/bench_wan.ts), so it keeps working: one tiny
 * profile run and one tiny per-part run, ossup on Node through the link emulator, read from the
 * script's `--json` line. Asserts what was moved and how (bytes, CRC-checked by the script;
 * connections reused; RSS within its bound), never how fast.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

// The repository, also from the npm test build (npm/node_modules links to the repository's).
const root = dirname(
  realpathSync(join(fileURLToPath(import.meta.url), "..", "..", "node_modules")),
);

interface Row {
  client: string;
  direction: string;
  bytes: number;
  mbps: number;
  share: number;
  peakRssMiB: number;
  rssBoundMiB: number;
  parts: number;
  connections: number;
  note?: string;
}

function benchWan(args: string[]): Promise<{ code: number | null; out: string; rows: Row[] }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/bench_wan.ts", ...args, "--json"],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => out += s);
    child.stderr!.setEncoding("utf8").on("data", (s: string) => out += s);
    child.once("close", (code) => {
      const line = out.trim().split("\n").reverse().find((l) => l.startsWith("{"));
      resolve({ code, out, rows: line ? JSON.parse(line).rows : [] });
    });
  });
}

describe("bench:wan", () => {
  it("a profile: ossup auto up and down, the file moved whole, RSS within its bound", async () => {
    const { code, out, rows } = await benchWan([
      "--profiles",
      "4",
      "--size",
      "1MiB",
      "--clients",
      "auto-node",
    ]);
    assert.equal(code, 0, out);
    assert.deepEqual(rows.map((r) => r.direction), ["upload", "download"], out);
    for (const r of rows) {
      assert.equal(r.client, 'ossup "auto", Node', out);
      assert.equal(r.bytes, 1024 * 1024, out);
      assert.ok(r.mbps > 0 && r.share > 0, out);
      assert.ok(r.connections >= 1, out);
      assert.ok(r.peakRssMiB <= r.rssBoundMiB, out);
    }
  });

  it("--per-part: one routine's parts reuse their connection", async () => {
    const { code, out, rows } = await benchWan([
      "--per-part",
      "--quick",
      "--clients",
      "auto-node",
      "--directions",
      "upload",
    ]);
    assert.equal(code, 0, out);
    assert.equal(rows.length, 1, out);
    assert.equal(rows[0].parts, 20, out);
    // Every request of the upload opens at most a few connections: parts do not each pay a
    // handshake (a keep-alive connection that idled out may be replaced; that is not per part).
    assert.ok(rows[0].connections <= 2, out);
  });
});
