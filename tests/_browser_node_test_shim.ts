/**
 * In-page stand-ins for `node:test` and `node:assert/strict`, so a shared
 * contract suite written for the test runners can run inside a browser page.
 * A browser test bundles the suite with esbuild, aliasing both specifiers to
 * this file (`--alias:node:test=...` and `--alias:node:assert/strict=...`):
 * `describe`/`it`/`before`/`after` only collect, and {@linkcode runCollected}
 * runs the collected cases one after another and reports each one.
 *
 * Only what the contract suites use is here: strict `ok`, `equal`,
 * `notEqual`, `deepEqual`, `throws`, `rejects`, `match`, `fail`.
 *
 * @module
 */

type Body = () => unknown;

/** One collected case. */
interface Case {
  name: string;
  fn: Body;
}

/** What one case did in the page. */
export interface CaseResult {
  /** Describe-block names and the case's name, joined by " > ". */
  name: string;
  /** Whether it passed. */
  passed: boolean;
  /** The failure, with its stack, when it failed. */
  error?: string;
}

const cases: Case[] = [];
const befores: Body[] = [];
const afters: Body[] = [];
const path: string[] = [];

/** Collects the cases `fn` declares, under `name`. */
export function describe(name: string, fn: () => void): void {
  path.push(name);
  try {
    fn();
  } finally {
    path.pop();
  }
}

/** Collects one case (an options object in the middle is ignored). */
export function it(name: string, ...rest: unknown[]): void {
  const fn = rest[rest.length - 1] as Body;
  cases.push({ name: [...path, name].join(" > "), fn });
}

/** Runs `fn` once before the first case. */
export function before(fn: Body): void {
  befores.push(fn);
}

/** Runs `fn` once after the last case. */
export function after(fn: Body): void {
  afters.push(fn);
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack?.includes(err.message) ? err.stack : `${err}`;
  return String(err);
}

/**
 * Runs every collected case in order; a failing case does not stop the
 * others. A failing `before` or `after` hook is reported as a failed case.
 */
export async function runCollected(): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const hook = async (kind: string, fn: Body) => {
    try {
      await fn();
    } catch (err) {
      results.push({ name: `(${kind} hook)`, passed: false, error: describeError(err) });
    }
  };
  for (const fn of befores) await hook("before", fn);
  for (const c of cases) {
    try {
      await c.fn();
      results.push({ name: c.name, passed: true });
    } catch (err) {
      results.push({ name: c.name, passed: false, error: describeError(err) });
    }
  }
  for (const fn of afters) await hook("after", fn);
  return results;
}

// ------------------------------------------------------------------ assert

/** The error a failed assertion throws. */
export class AssertionError extends Error {
  /** Sets the name Node's AssertionError has. */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function fail(message?: string | Error): never {
  if (message instanceof Error) throw message;
  throw new AssertionError(message ?? "Failed");
}

/** Strict deep equality: same prototypes, same own enumerable keys, `Object.is` leaves. */
function deepStrictEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>, rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && deepStrictEqual(ra[k], rb[k]));
}

type Expected = RegExp | ((err: unknown) => unknown) | (new (...args: never[]) => unknown);

/** Node's rules: a class is an `instanceof` test, a function a validator returning true. */
function checkThrown(err: unknown, expected: Expected | undefined, message?: string): void {
  if (expected === undefined) return;
  if (expected instanceof RegExp) {
    if (!expected.test(String(err))) fail(message ?? `${err} does not match ${expected}`);
    return;
  }
  if (expected.prototype !== undefined && err instanceof expected) return;
  if (expected === Error || expected.prototype instanceof Error) {
    fail(message ?? `expected ${expected.name}, got ${err}`);
  }
  if ((expected as (err: unknown) => unknown)(err) !== true) {
    fail(message ?? `the validation function did not return true for ${err}`);
  }
}

/** Stand-in for `node:assert/strict`'s default export. */
const assert = Object.assign(
  (value: unknown, message?: string): void => {
    if (!value) fail(message ?? `${show(value)} is not truthy`);
  },
  {
    AssertionError,
    fail,
    ok(value: unknown, message?: string): void {
      if (!value) fail(message ?? `${show(value)} is not truthy`);
    },
    equal(actual: unknown, expected: unknown, message?: string): void {
      if (!Object.is(actual, expected)) {
        fail(message ?? `expected ${show(expected)}, got ${show(actual)}`);
      }
    },
    notEqual(actual: unknown, expected: unknown, message?: string): void {
      if (Object.is(actual, expected)) fail(message ?? `expected not ${show(expected)}`);
    },
    deepEqual(actual: unknown, expected: unknown, message?: string): void {
      if (!deepStrictEqual(actual, expected)) {
        fail(message ?? `expected ${show(expected)}, got ${show(actual)}`);
      }
    },
    notDeepEqual(actual: unknown, expected: unknown, message?: string): void {
      if (deepStrictEqual(actual, expected)) fail(message ?? `expected not ${show(expected)}`);
    },
    match(text: string, pattern: RegExp, message?: string): void {
      if (!pattern.test(text)) fail(message ?? `${show(text)} does not match ${pattern}`);
    },
    throws(fn: () => unknown, expected?: Expected, message?: string): void {
      try {
        fn();
      } catch (err) {
        checkThrown(err, expected, message);
        return;
      }
      fail(message ?? "Missing expected exception.");
    },
    async rejects(
      promise: Promise<unknown> | (() => Promise<unknown>),
      expected?: Expected,
      message?: string,
    ): Promise<void> {
      try {
        await (typeof promise === "function" ? promise() : promise);
      } catch (err) {
        checkThrown(err, expected, message);
        return;
      }
      fail(message ?? "Missing expected rejection.");
    },
  },
);

export default assert;
