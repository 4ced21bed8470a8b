/**
 * Smoke test of the reliability campaign's scripts, so they keep working:
 * a short soak (scripts/soak.ts: a fixed seed whose plan holds client kills,
 * server kills and fault rules) and a short load run (scripts/load.ts), each
 * on the runtime running the tests, with the server and clients on it too
 * (ali-oss clients on Node). Asserts the outcomes, never timings.
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
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

function runScript(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const command: [string, string[]] = runtime === "deno"
    ? [join(root, "node_modules", "deno", "deno"), ["run", "-A", script, ...args]]
    : runtime === "bun"
    ? [process.execPath, ["run", script, ...args]]
    : [process.execPath, ["--import", "tsx", script, ...args]];
  return new Promise((resolve) => {
    const child = spawn(command[0], command[1], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => out += s);
    child.stderr!.setEncoding("utf8").on("data", (s: string) => out += s);
    child.once("close", (code) => resolve({ code, out }));
  });
}

function lastJson(out: string): Record<string, unknown> {
  const line = out.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  assert.ok(line, `no JSON line in:\n${out}`);
  return JSON.parse(line);
}

describe("campaign scripts", () => {
  it("soak: 4 uploads under fault rules, client and server kills, all verified", async () => {
    // Seed 14 plans, over these 4 uploads (`--dry-run` prints the plan): 6 fault rules; uploads
    // 1, 3 and 4 SIGKILL their client (3 and 4 twice: the second kill is skipped when the
    // resumed run has no part left to report); upload 2 SIGKILLs and restarts the server.
    const { code, out } = await runScript("scripts/soak.ts", [
      "--uploads",
      "4",
      "--seconds",
      "600",
      "--seed",
      "14",
      "--max-mib",
      "1",
      "--max-part-kib",
      "150",
      "--runtimes",
      runtime,
      "--json",
    ]);
    const r = lastJson(out);
    assert.equal(r.uploads, 4, out);
    assert.equal(r.wrongObjects, 0, out);
    assert.equal(r.failedUploads, 0, out);
    assert.equal(r.leftoverCheckpoints, 0, out);
    assert.equal(r.leftoverTempFiles, 0, out);
    assert.equal(r.openUploads, 0, out);
    assert.equal(r.resendOverBound, 0, out);
    assert.equal(r.serverKills, 1, out);
    assert.ok((r.clientKills as number) >= 3, out);
    assert.equal(code, 0, out);
  });

  it("load: ossup and ali-oss clients at once, every object right, fds reported", async () => {
    const { code, out } = await runScript("scripts/load.ts", [
      "--clients",
      "4",
      "--uploads",
      "1",
      "--size-mib",
      "0.3",
      "--part-kib",
      "100",
      "--storage",
      "memory",
      "--json",
    ]);
    const r = lastJson(out) as {
      uploads: number;
      failures: number;
      wrong: number;
      server: { before: { fds: number }; after: { fds: number } };
    };
    assert.equal(r.uploads, 4, out);
    assert.equal(r.failures, 0, out);
    assert.equal(r.wrong, 0, out);
    assert.ok(r.server.before.fds > 0 && r.server.after.fds > 0, out);
    assert.equal(code, 0, out);
  });

  it("bench:tree: a tiny tree by ossup cp -r and the Go SDK, every file stored, files/s side by side", async () => {
    const { code, out } = await runScript("scripts/bench_tree.ts", [
      "--files",
      "40",
      "--jobs",
      "4",
      "--runs",
      "2",
      "--clients",
      `ossup-${runtime},go`,
    ]);
    assert.equal(code, 0, out);
    const r = lastJson(out) as {
      files: number;
      runs: number;
      results: {
        client: string;
        files: number;
        filesPerSecond: number;
        ratioToGo: number;
        rounds: { seconds: number; ratioToGo: number }[];
      }[];
    };
    assert.equal(r.files, 40);
    assert.equal(r.runs, 2);
    for (const x of r.results) assert.equal(x.rounds.length, 2, out);
    assert.deepEqual(r.results.find((x) => x.client === "go")!.rounds.map((x) => x.ratioToGo), [
      1,
      1,
    ]);
    assert.deepEqual(r.results.map((x) => [x.client, x.files]), [[`ossup-${runtime}`, 40], [
      "go",
      40,
    ]]);
    for (const x of r.results) assert.ok(x.filesPerSecond > 0 && x.ratioToGo > 0, out);
  });
});
