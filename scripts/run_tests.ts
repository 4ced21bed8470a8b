/**
 * Runs the whole test suite (`tests/**\/*.test.ts`) on Deno, Bun and Node 20,
 * then on Node again against the built npm package ("npm"), one runtime after
 * another, and ends with one total line across runtimes:
 * `N passed, N failed` (`, N skipped` appended when any were skipped).
 *
 * ```sh
 * npm test                                   # all runtimes, all files
 * npm test -- --runtime bun                  # one runtime (repeat or comma-separate for more)
 * npm test -- --runtime node xml crc64       # files whose path contains "xml" or "crc64"
 * npm test -- --jobs 1 --timeout 600         # one file at a time, 600 s per file
 * npm test -- --runtime npm                  # Node against the npm build (= --node-build)
 * npm test -- --runtime npm --no-build       # … reusing npm/ as it is (npm run build:npm)
 * npm test -- --fuzz-runs 100000 fuzz_       # long fuzzing (see tests/_fuzz.ts)
 * npm test -- --fuzz-seed 7 fuzz_            # … with another seed than CI's
 * ```
 *
 * Each file runs in its own runtime process (at most `--jobs` at once, default 2),
 * so a crash, an import error or a hang in one file is pinned on that file and
 * cannot hide the results of the others. Results come from each runtime's JUnit
 * reporter; only leaf tests count (a describe block is not a test). A file that
 * exits non-zero without a reported failure, reports no tests, or outlives its
 * timeout counts as one failed test. Files named `*.deno.test.ts`,
 * `*.bun.test.ts`, `*.node.test.ts` run only on that runtime. On Deno the files
 * are type-checked once, together (a type error is one failed test), then run
 * with `--no-check`. Node runs them with `node --import tsx --test`: Node 20
 * passes `--import tsx` on to the per-file test process.
 *
 * The "npm" runtime builds the package first (`scripts/build_npm.ts`, into
 * this run's temp directory unless `--npm-dir` names one; `--no-build` uses
 * `npm/` as it is; a failed build is one failed test), then
 * runs the transpiled test files (those of all runtimes and the
 * `*.node.test.ts`) with plain `node --test` from `npm/`: there the public
 * entries are imported by package name, `ossup`, `ossup/web`, … (see
 * build_npm.ts).
 *
 * Output is streamed in file order: the oldest running file prints live, the
 * others are held until it finishes.
 *
 * Exit code: 0 when nothing failed and every runtime ran at least one test;
 * 1 otherwise. With `OSSUP_REQUIRE_ALL=1` (set by `.ci/run`) a skipped test
 * also fails the run: CI skips nothing.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import process from "node:process";
import { buildNpm } from "./build_npm.ts";

type Runtime = "deno" | "bun" | "node" | "npm";
const RUNTIMES: Runtime[] = ["deno", "bun", "node", "npm"];

const root = resolve(import.meta.dirname ?? ".", "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

interface Options {
  runtimes: Runtime[];
  filters: string[];
  jobs: number;
  timeoutSeconds: number;
  /**
   * The npm package directory of the "npm" runtime. Default: a fresh one in
   * this run's temp directory (so concurrent runs do not share a build), or
   * `npm/` with `--no-build`.
   */
  npmDir?: string;
  /** Build it before the "npm" runtime runs (`--no-build` reuses it). */
  build: boolean;
  /** Runs per fuzz property (`OSSUP_FUZZ_RUNS` of tests/_fuzz.ts); the tests' default when unset. */
  fuzzRuns?: number;
  /** Seed of the fuzz properties (`OSSUP_FUZZ_SEED`); CI's fixed seed when unset. */
  fuzzSeed?: number;
}

function usage(): never {
  console.log(
    "usage: deno run -A scripts/run_tests.ts [--runtime deno|bun|node|npm]... [--node-build] " +
      "[--no-build] [--npm-dir DIR] [--jobs N] [--timeout SECONDS] [--fuzz-runs N] " +
      "[--fuzz-seed N] [FILTER...]",
  );
  process.exit(2);
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    runtimes: [],
    filters: [],
    jobs: 2,
    timeoutSeconds: 300,
    build: true,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].startsWith("--") ? args[i].split(/=(.*)/s) : [args[i]];
    const value = () => inline ?? args[++i] ?? usage();
    if (flag === "--runtime" || flag === "-r") {
      for (const r of value().split(",")) {
        if (!RUNTIMES.includes(r as Runtime)) usage();
        if (!o.runtimes.includes(r as Runtime)) o.runtimes.push(r as Runtime);
      }
    } else if (flag === "--node-build") {
      if (!o.runtimes.includes("npm")) o.runtimes.push("npm");
    } else if (flag === "--no-build") {
      o.build = false;
    } else if (flag === "--npm-dir") {
      o.npmDir = resolve(value());
    } else if (flag === "--jobs" || flag === "-j") {
      o.jobs = Math.max(1, Number(value()) || 1);
    } else if (flag === "--timeout") {
      o.timeoutSeconds = Math.max(1, Number(value()) || 300);
    } else if (flag === "--fuzz-runs" || flag === "--fuzz-seed") {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || (flag === "--fuzz-runs" && n < 1)) usage();
      if (flag === "--fuzz-runs") o.fuzzRuns = n;
      else o.fuzzSeed = n;
    } else if (flag === "--help" || flag === "-h") {
      usage();
    } else if (flag.startsWith("-")) {
      console.error(`unknown option ${flag}`);
      usage();
    } else {
      o.filters.push(flag);
    }
  }
  if (o.runtimes.length === 0) o.runtimes = [...RUNTIMES];
  return o;
}

// ---------------------------------------------------------------- test files

function listTestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listTestFiles(path));
    else if (name.endsWith(".test.ts")) out.push(relative(root, path).replaceAll("\\", "/"));
  }
  return out;
}

/** The runtime a file is reserved for (`x.bun.test.ts`), or undefined for all. */
function onlyRuntime(file: string): Runtime | undefined {
  const m = /\.(deno|bun|node)\.test\.ts$/.exec(file);
  return m ? (m[1] as Runtime) : undefined;
}

/** Whether `file` runs on `runtime`: the npm build runs Node's files. */
function runsOn(file: string, runtime: Runtime): boolean {
  const only = onlyRuntime(file);
  return only === undefined || only === (runtime === "npm" ? "node" : runtime);
}

function npmDirOf(o: Options): string {
  return o.npmDir ?? join(root, "npm");
}

/** `tests/a/x.test.ts` → its transpiled file, `<npmDir>/tests/a/x.test.js`. */
function builtTestFile(o: Options, file: string): string {
  return join(npmDirOf(o), file.replace(/\.ts$/, ".js"));
}

// ---------------------------------------------------------------- JUnit

interface Case {
  name: string;
  /** Names of enclosing <testsuite> elements, outermost first. */
  suites: string[];
  failed: boolean;
  skipped: boolean;
  message?: string;
}

const XML_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) => {
    if (e[0] === "#") {
      return String.fromCodePoint(
        e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : +e.slice(1),
      );
    }
    return XML_ENTITIES[e] ?? all;
  });
}

/**
 * Reads the <testcase> elements of a JUnit report with the suites around them.
 * The reports of the three runtimes escape `<` in text and `"` in attributes,
 * which is all this scanner relies on.
 */
function parseJunit(xml: string): Case[] {
  const cases: Case[] = [];
  const suites: string[] = [];
  let current: Case | undefined;
  const tag =
    /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<(\/?)([\w:-]+)((?:\s+[\w:-]+\s*=\s*"[^"]*")*)\s*(\/?)>/g;
  for (const m of xml.matchAll(tag)) {
    if (m[2] === undefined) continue; // comment or CDATA
    const [, closing, name, attrText, selfClosing] = m;
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) {
      attrs[a[1]] = unescapeXml(a[2]);
    }
    if (name === "testsuite") {
      if (closing) suites.pop();
      else if (!selfClosing) suites.push(attrs.name ?? "");
    } else if (name === "testcase") {
      if (closing) {
        current = undefined;
      } else {
        current = { name: attrs.name ?? "", suites: [...suites], failed: false, skipped: false };
        cases.push(current);
        if (selfClosing) current = undefined;
      }
    } else if (current && !closing && (name === "failure" || name === "error")) {
      current.failed = true;
      current.message ??= attrs.message ?? attrs.type;
    } else if (current && !closing && name === "skipped") {
      current.skipped = true;
      current.message ??= attrs.message;
    }
  }
  return cases;
}

interface Leaf {
  name: string;
  status: "passed" | "failed" | "skipped";
  message?: string;
}

/**
 * Leaf tests of one file's report. Bun and Node report describe blocks as
 * <testsuite>s, so their <testcase>s are leaves. Deno reports a describe block
 * as a <testcase> too, named "outer > inner > test": a case is a group when
 * another case's name extends it. A group that failed while none of its
 * descendants did (a failing hook) counts as one failed test.
 */
function leavesOf(cases: Case[], runtime: Runtime): Leaf[] {
  const fullName = (c: Case) =>
    runtime === "deno" ? c.name : [...c.suites.filter((s) => !/\.test\.ts$/.test(s)), c.name]
      .join(" > ");
  const names = cases.map(fullName);
  const leaves: Leaf[] = [];
  cases.forEach((c, i) => {
    const status = c.failed ? "failed" : c.skipped ? "skipped" : "passed";
    const prefix = names[i] + " > ";
    const descendants = runtime === "deno"
      ? cases.filter((_, j) => names[j].startsWith(prefix))
      : [];
    if (descendants.length === 0) {
      leaves.push({ name: names[i], status, message: c.message });
    } else if (c.failed && !descendants.some((d) => d.failed)) {
      leaves.push({ name: names[i], status: "failed", message: c.message });
    }
  });
  return leaves;
}

// ---------------------------------------------------------------- running

interface FileResult {
  file: string;
  leaves: Leaf[];
  exitCode: number | null;
  timedOut: boolean;
}

function commandFor(
  runtime: Runtime,
  file: string,
  junit: string,
  o: Options,
): [string, string[]] {
  switch (runtime) {
    case "deno":
      // Type-checked beforehand, all files at once (see denoCheck).
      return [bin("deno"), ["test", "-A", "--no-check", `--junit-path=${junit}`, file]];
    case "bun":
      // Bun's default per-test timeout is 5 s; interop tests build and spawn peers.
      return [
        bin("bun"),
        [
          "test",
          "--timeout=600000",
          "--reporter=junit",
          `--reporter-outfile=${junit}`,
          `./${file}`,
        ],
      ];
    case "node":
      return [nodeBinary(), [
        "--import",
        "tsx",
        "--test",
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        "--test-reporter=junit",
        `--test-reporter-destination=${junit}`,
        file,
      ]];
    case "npm":
      return [nodeBinary(), [
        "--test",
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        "--test-reporter=junit",
        `--test-reporter-destination=${junit}`,
        builtTestFile(o, file),
      ]];
  }
}

/** Working directory of a runtime's test processes: the npm build mirrors the root. */
function cwdFor(runtime: Runtime, o: Options): string {
  return runtime === "npm" ? npmDirOf(o) : root;
}

function nodeBinary(): string {
  // Under Node the runner itself may be Node; under Deno/Bun use `node` from PATH.
  const isNode = !("Deno" in globalThis) && !("Bun" in globalThis);
  return isNode ? process.execPath : "node";
}

/** Output sink that lets one file print live and holds the others in order. */
class OrderedOutput {
  #queue: { chunks: string[]; done: boolean }[] = [];

  open(header: string): { write(s: string): void; close(): void } {
    const entry = { chunks: [header], done: false };
    this.#queue.push(entry);
    this.#flush();
    return {
      write: (s) => {
        entry.chunks.push(s);
        this.#flush();
      },
      close: () => {
        entry.done = true;
        this.#flush();
      },
    };
  }

  #flush() {
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      if (head.chunks.length > 0) process.stdout.write(head.chunks.splice(0).join(""));
      if (!head.done) return;
      this.#queue.shift();
    }
  }
}

/** Runs a command in its own process group, its output into `sink`; resolves with its exit. */
function runProcess(
  cmd: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutSeconds: number,
  sink: { write(s: string): void },
  cwd: string = root,
): Promise<{ exitCode: number | null; timedOut: boolean }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      // Own process group, so a timeout also ends servers and peers the file started.
      detached: true,
      env: { ...process.env, ...env },
    });
    let timedOut = false;
    let finished = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      sink.write(`\n!! no result after ${timeoutSeconds} s: killed\n`);
      killGroup();
    }, timeoutSeconds * 1000);
    running.add(killGroup);
    child.stdout!.setEncoding("utf8").on("data", (s: string) => sink.write(s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => sink.write(s));
    const finish = (exitCode: number | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      running.delete(killGroup);
      done({ exitCode, timedOut });
    };
    child.on("error", (err) => {
      sink.write(`!! cannot start ${cmd}: ${err.message}\n`);
      finish(null);
    });
    child.on("close", (code, signal) => finish(signal ? null : code));
  });
}

async function runFile(
  runtime: Runtime,
  file: string,
  workDir: string,
  index: number,
  o: Options,
  out: OrderedOutput,
): Promise<FileResult> {
  const timeoutSeconds = o.timeoutSeconds;
  const junit = join(workDir, `${runtime}-${index}.xml`);
  rmSync(junit, { force: true });
  const [cmd, args] = commandFor(runtime, file, junit, o);
  const sink = out.open(`\n── ${runtime} ${file}\n`);
  const started = Date.now();
  const { exitCode, timedOut } = await runProcess(
    cmd,
    args,
    {
      OSSUP_TEST_RUNTIME: runtime,
      ...(o.fuzzRuns === undefined ? {} : { OSSUP_FUZZ_RUNS: String(o.fuzzRuns) }),
      ...(o.fuzzSeed === undefined ? {} : { OSSUP_FUZZ_SEED: String(o.fuzzSeed) }),
    },
    timeoutSeconds,
    sink,
    cwdFor(runtime, o),
  );
  let leaves: Leaf[] = [];
  if (existsSync(junit)) {
    try {
      leaves = leavesOf(parseJunit(readFileSync(junit, "utf8")), runtime);
    } catch (err) {
      sink.write(`!! cannot read the JUnit report of ${file}: ${err}\n`);
    }
  }
  const failed = leaves.some((l) => l.status === "failed");
  if (timedOut) {
    leaves.push({
      name: "(file)",
      status: "failed",
      message: `timed out after ${timeoutSeconds} s`,
    });
  } else if (exitCode !== 0 && !failed) {
    leaves.push({
      name: "(file)",
      status: "failed",
      message: `exited with ${exitCode} without reporting a failed test (load error, ` +
        "uncaught error between tests, or a failing hook)",
    });
  } else if (leaves.length === 0) {
    leaves.push({ name: "(file)", status: "failed", message: "reported no tests" });
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  sink.write(`── ${runtime} ${file}: ${totalLine(count(leaves))} (${seconds} s)\n`);
  sink.close();
  return { file, leaves, exitCode, timedOut };
}

/**
 * Type-checks all of Deno's test files in one `deno check` (much faster than a
 * check per file); the files then run with `--no-check`. A type error counts as
 * one failed test and does not stop the tests from running.
 */
async function denoCheck(files: string[], o: Options, out: OrderedOutput): Promise<FileResult> {
  const sink = out.open(`\n── deno check (${files.length} files)\n`);
  const { exitCode, timedOut } = await runProcess(
    bin("deno"),
    ["check", ...files],
    {},
    o.timeoutSeconds,
    sink,
  );
  sink.close();
  const leaves: Leaf[] = exitCode === 0 ? [] : [{
    name: "(type check)",
    status: "failed",
    message: timedOut ? "timed out" : `deno check exited with ${exitCode}: type errors above`,
  }];
  return { file: "deno check", leaves, exitCode, timedOut };
}

/**
 * Builds the npm package and its test build for the "npm" runtime. A failed
 * build (or a test file it did not emit) counts as one failed test.
 */
function npmBuild(files: string[], o: Options, out: OrderedOutput): FileResult {
  const sink = out.open(`\n── npm build (${npmDirOf(o)})\n`);
  let message: string | undefined;
  try {
    if (o.build) buildNpm({ outDir: npmDirOf(o), log: false });
    const missing = files.filter((f) => !existsSync(builtTestFile(o, f)));
    if (missing.length > 0) message = `not in the test build: ${missing.join(", ")}`;
  } catch (err) {
    message = err instanceof Error ? err.message : String(err);
  }
  sink.write(message ? `!! ${message}\n` : o.build ? "built\n" : "reusing the build\n");
  sink.close();
  const leaves: Leaf[] = message
    ? [{ name: "(npm build)", status: "failed", message: message.split("\n")[0] }]
    : [];
  return { file: "npm build", leaves, exitCode: message ? 1 : 0, timedOut: false };
}

const running = new Set<() => void>();
/** This run's temp directory (JUnit reports, the npm build), removed on exit. */
let workDir: string | undefined;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    for (const kill of running) kill();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}

async function runRuntime(runtime: Runtime, files: string[], o: Options, workDir: string) {
  const out = new OrderedOutput();
  const results: FileResult[] = [];
  if (runtime === "deno") results.push(await denoCheck(files, o, out));
  if (runtime === "npm") {
    const build = npmBuild(files, o, out);
    results.push(build);
    if (build.exitCode !== 0) return results;
  }
  const first = results.length;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      results[first + i] = await runFile(runtime, files[i], workDir, i, o, out);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, files.length) }, worker));
  return results;
}

function count(leaves: Leaf[]) {
  const c = { passed: 0, failed: 0, skipped: 0 };
  for (const l of leaves) c[l.status]++;
  return c;
}

function totalLine(c: { passed: number; failed: number; skipped: number }): string {
  return `${c.passed} passed, ${c.failed} failed` + (c.skipped > 0 ? `, ${c.skipped} skipped` : "");
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const requireAll = process.env.OSSUP_REQUIRE_ALL === "1";
  const all = listTestFiles(join(root, "tests")).filter((f) =>
    o.filters.length === 0 || o.filters.some((p) => f.includes(p.replace(/^\.\//, "")))
  );
  if (all.length === 0) {
    console.error(`no test files match ${o.filters.join(" ")}`);
    process.exit(1);
  }
  workDir = mkdtempSync(join(tmpdir(), "ossup-run-tests-"));
  if (o.build) o.npmDir ??= join(workDir, "npm");
  const total = { passed: 0, failed: 0, skipped: 0 };
  const summaries: string[] = [];
  const problems: string[] = [];
  let runtimeBroken = false;
  try {
    for (const runtime of o.runtimes) {
      const files = all.filter((f) => runsOn(f, runtime));
      if (files.length === 0) continue;
      console.log(`\n════ ${runtime}: ${files.length} test files`);
      const started = Date.now();
      const results = await runRuntime(runtime, files, o, workDir);
      const c = count(results.flatMap((r) => r.leaves));
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      total.passed += c.passed;
      total.failed += c.failed;
      total.skipped += c.skipped;
      let line = `${runtime}: ${totalLine(c)} (${files.length} files, ${seconds} s)`;
      if (c.passed + c.failed === 0) {
        line += " — ran zero tests";
        runtimeBroken = true;
      }
      summaries.push(line);
      for (const r of results) {
        for (const l of r.leaves) {
          if (l.status === "failed" || (l.status === "skipped" && requireAll)) {
            const why = l.message ? `: ${l.message.split("\n")[0].slice(0, 200)}` : "";
            problems.push(
              `${l.status === "failed" ? "FAIL" : "SKIP"} [${runtime}] ${r.file} › ${l.name}${why}`,
            );
          }
        }
      }
      console.log(`\n════ ${line}`);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  console.log("");
  if (problems.length > 0) console.log(problems.join("\n") + "\n");
  for (const s of summaries) console.log(s);
  if (requireAll && total.skipped > 0) {
    console.log(
      `OSSUP_REQUIRE_ALL=1: ${total.skipped} skipped tests fail this run (CI skips nothing)`,
    );
  }
  console.log(totalLine(total));
  const ok = total.failed === 0 && !runtimeBroken && !(requireAll && total.skipped > 0);
  process.exit(ok ? 0 : 1);
}

await main();
