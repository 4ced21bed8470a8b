/**
 * The examples in the doc comments run. Every fenced TypeScript block in `mod.ts` and `lib/`
 * (JSDoc and Markdown) either runs under `deno test --doc`, asserting what it shows, or is
 * marked `ignore` and its file listed in {@linkcode IGNORED} with the reason (an AccessKey for
 * OSS itself, Bun, a browser's IndexedDB, a Redis server, a contract suite's `node:test` tests).
 * Examples import from the package name (`@ossup/ossup`, `@ossup/ossup/server`, …: Deno resolves
 * a package's own name from deno.json's `name` and `exports`) wherever the package exports what
 * they use; a relative import is for names only one module of lib/ has.
 *
 * The examples are run in a few shards ({@linkcode SHARDS}, one test file each:
 * `doc_examples_<shard>.deno.test.ts`), so no file comes near the runner's per-file timeout on a
 * loaded machine: each example is a module that loads the package afresh (about 0.2 s of CPU).
 * In a shard, one `deno test --doc --no-run` type-checks its examples at once, then one
 * `deno test --doc --no-check --parallel` runs them (so a type error in one does not hide the
 * results of the others), one worker per core, with deno test's sanitizers on: an example that
 * leaves a server, a timer or a file handle open fails. Both run in an empty working directory
 * with their own `TMPDIR`, both of which must be empty afterwards: an example leaves no file
 * behind. Each example is one test, named by its file and the line of its opening fence. The
 * rules that need no run are `doc_examples.deno.test.ts`. Deno only.
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * The files whose examples may be marked `ignore`, each with why they cannot run here (the
 * example's title or the prose before it says so too). An `ignore` anywhere else fails the
 * rule test, so the list stays short and every entry says why.
 */
export const IGNORED: Record<string, string> = {
  "mod.ts": "the Go SDK's UploadFile on OSS itself: it needs an AccessKey",
  "lib/bun.ts": "Bun, with OSS credentials in the environment",
  "lib/adapters/bun/oss_client.ts": "Bun, with OSS credentials in the environment",
  "lib/adapters/bun/file_source.ts": "Bun.file: Bun only, and the doc tests run on Deno",
  "lib/adapters/bun/socket_fetch.ts": "Bun.connect: Bun only, and the doc tests run on Deno",
  "lib/adapters/web/indexeddb_checkpoint_store.ts":
    "a browser's IndexedDB (tests/indexeddb_checkpoint_store.node.test.ts runs it in Chromium)",
  "lib/adapters/README.md": "a Redis server",
  "lib/testing/mod.ts": "a contract call registers node:test tests, which a doc test cannot hold",
  "lib/testing/checkpoint_store_contract.ts": "a contract call registers node:test tests",
  "lib/testing/file_source_contract.ts": "a contract call registers node:test tests",
  "lib/testing/file_sink_contract.ts": "a contract call registers node:test tests",
  "lib/testing/transport_contract.ts": "a contract call registers node:test tests",
};

/** Fence languages Deno type-checks and runs with `--doc`. */
const CODE_LANGUAGES = new Set([
  "ts",
  "typescript",
  "mts",
  "cts",
  "tsx",
  "js",
  "javascript",
  "mjs",
  "jsx",
]);

/** One fenced code block of a doc comment or a Markdown file. */
export interface Example {
  /** Repository path, `lib/xml/xml.ts`. */
  file: string;
  /** 1-based line of the opening fence: Deno names the test `file#line-end.ts`. */
  line: number;
  ignored: boolean;
  code: string;
}

function sourceFiles(): string[] {
  const lib = readdirSync(join(ROOT, "lib"), { recursive: true, encoding: "utf8" })
    .map((f) => `lib/${f.split("\\").join("/")}`)
    .filter((f) => (f.endsWith(".ts") && !f.endsWith(".d.ts")) || f.endsWith(".md"));
  return ["mod.ts", ...lib].sort();
}

/**
 * The code blocks of `file`: in a `.ts` file those inside `/** … *\/` comments (lines starting
 * with `*`), in Markdown every fence. A fence without a language is a listing, not code: Deno
 * does not run it.
 */
function examplesOf(file: string): Example[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  const prefix = file.endsWith(".md") ? /^()/ : /^(\s*\*\s?)/;
  const found: Example[] = [];
  let open: { line: number; ignored: boolean; code: string[] } | undefined;
  lines.forEach((text, i) => {
    const p = prefix.exec(text);
    if (!p) return;
    const body = text.slice(p[1].length);
    const fence = /^```(\S*)\s*(.*)$/.exec(body);
    if (open) {
      if (fence && fence[1] === "") {
        found.push({ file, line: open.line, ignored: open.ignored, code: open.code.join("\n") });
        open = undefined;
      } else {
        open.code.push(body);
      }
    } else if (fence && CODE_LANGUAGES.has(fence[1].toLowerCase())) {
      open = { line: i + 1, ignored: /(^|[\s,])ignore\b/.test(fence[2]), code: [] };
    }
  });
  return found;
}

/** Every code block of `mod.ts` and `lib/`. */
export const examples: Example[] = sourceFiles().flatMap(examplesOf);
/** The blocks not marked `ignore`: each must run and pass. */
export const running: Example[] = examples.filter((e) => !e.ignored);

/**
 * The shards the examples run in, by the folders their files are in; `rest` takes every file no
 * other shard names (the entries, new folders).
 */
export const SHARDS = {
  client: ["lib/client/"],
  server: ["lib/server/"],
  transfers: [
    "lib/upload/",
    "lib/download/",
    "lib/append/",
    "lib/sink/",
    "lib/source/",
    "lib/checkpoint/",
    "lib/pacing/",
  ],
  rest: [],
} as const;

/** A shard's name. */
export type Shard = keyof typeof SHARDS;

/** The shard whose test file runs the examples of `file`. */
export function shardOf(file: string): Shard {
  for (const [shard, folders] of Object.entries(SHARDS) as [Shard, readonly string[]][]) {
    if (folders.some((folder) => file.startsWith(folder))) return shard;
  }
  return "rest";
}

export interface Run {
  code: number;
  output: string;
}

/** Runs this runtime's deno in `cwd`, without colours, and resolves with its exit and output. */
export function deno(args: string[], cwd: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      { cwd, env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** Outcome of one example in deno's JUnit report, keyed `file:line`. */
interface Outcome {
  failed: boolean;
  message?: string;
}

function unescapeXml(s: string): string {
  return s.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, e: string) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e]!,
  );
}

/** `<testcase name="file:///…/lib/x.ts#12-20.ts" …>` elements and whether each failed. */
function outcomesOf(junit: string): Map<string, Outcome> {
  const outcomes = new Map<string, Outcome>();
  const root = `file://${ROOT}`;
  for (const m of junit.matchAll(/<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const name = unescapeXml(m[1]);
    const at = /^(.*)#(\d+)-\d+\.\w+$/.exec(name);
    const key = at ? `${at[1].replace(root, "")}:${at[2]}` : name;
    const failure = /<(failure|error)\b[^>]*?(?:message="([^"]*)")?[^>]*>([\s\S]*?)<\/\1>/.exec(
      m[3] ?? "",
    );
    outcomes.set(key, {
      failed: failure !== null,
      message: failure ? unescapeXml(failure[3] || failure[2] || "failed") : undefined,
    });
  }
  return outcomes;
}

/**
 * Registers the tests of one shard: its examples type-check, each runs and passes, Deno ran no
 * block the scan does not know, and nothing is left in the working directory or `TMPDIR`.
 */
export function docExamplesSuite(shard: Shard): void {
  const mine = running.filter((e) => shardOf(e.file) === shard);
  describe(`doc examples (${shard})`, () => {
    const work = mkdtempSync(join(tmpdir(), "ossup-doc-examples-"));
    const cwd = join(work, "cwd");
    const temp = join(work, "tmp");
    mkdirSync(cwd);
    mkdirSync(temp);
    const files = [...new Set(mine.map((e) => join(ROOT, e.file)))];
    const common = ["test", "--doc", `--config=${join(ROOT, "deno.json")}`];
    const env = { TMPDIR: temp, TMP: temp, TEMP: temp };
    let check: Run;
    let run: Run;
    let outcomes = new Map<string, Outcome>();

    before(async () => {
      check = await deno([...common, "--no-run", ...files], cwd, env);
      const junit = join(work, "junit.xml");
      run = await deno(
        [...common, "--no-check", "--parallel", "-A", `--junit-path=${junit}`, ...files],
        cwd,
        env,
      );
      try {
        outcomes = outcomesOf(readFileSync(junit, "utf8"));
      } catch {
        // No report: every example fails below with the output of the run.
      }
    });

    after(() => rmSync(work, { recursive: true, force: true }));

    it("the examples type-check", () => {
      assert.equal(check.code, 0, check.output);
    });

    it("deno ran no block the scan does not know", () => {
      const known = new Set(mine.map((e) => `${e.file}:${e.line}`));
      assert.deepEqual([...outcomes.keys()].filter((k) => !known.has(k)), []);
    });

    it("examples leave no files behind", () => {
      assert.deepEqual(readdirSync(cwd), [], "in the working directory");
      assert.deepEqual(readdirSync(temp), [], "in TMPDIR");
    });

    for (const e of mine) {
      it(`${e.file}:${e.line}`, () => {
        const outcome = outcomes.get(`${e.file}:${e.line}`);
        assert.ok(outcome, `deno test --doc did not run it:\n${run.output.slice(-4000)}`);
        assert.ok(!outcome.failed, outcome.message);
      });
    }
  });
}
