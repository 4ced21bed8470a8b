/**
 * Progress of a transfer on stderr: a live bar redrawn in place on a
 * terminal (bytes, percent, rate, ETA, parts), plain lines otherwise: the
 * first sample, then one line per 5% step and at least one every 10
 * seconds while it moves, so a log gets at most about 21 lines however
 * many parts there are (a 200-part upload once printed 200), plus the last.
 *
 * @module
 */

import { formatBytes, formatDuration } from "./units.ts";

/** A progress sample. */
export interface ProgressSample {
  /** Bytes done, including those from an earlier run. */
  bytesDone: number;
  /** Total bytes. */
  bytesTotal: number;
  /** Parts done, including those from an earlier run. */
  partsDone: number;
  /** Number of parts. */
  partsTotal: number;
}

/** Off a terminal, a line each time the percentage reaches another multiple of this. */
export const PLAIN_LINE_PERCENT_STEP = 5;

/** Off a terminal, a line at least this often (milliseconds) while bytes move. */
export const PLAIN_LINE_INTERVAL_MS = 10_000;

/** Options of {@linkcode createProgress}. */
export interface ProgressOptions {
  /** Writes to stderr. */
  write: (text: string) => void;
  /** Redraw a bar in place (stderr is a terminal). */
  tty: boolean;
  /** Terminal width. Default 80. */
  columns?: number;
  /** Print nothing. */
  quiet?: boolean;
  /** Milliseconds since an arbitrary origin. Default `performance.now`. */
  now?: () => number;
  /** What the sample's count counts: `"parts"` of one transfer (default), `"files"` of a tree. */
  countLabel?: string;
}

/** A running progress display. */
export interface Progress {
  /** Records a sample (and draws it, at most ten times a second on a terminal). */
  update(sample: ProgressSample): void;
  /** Bytes per second since the first sample. */
  rate(): number;
  /** Ends the display (the bar's line is kept). */
  stop(): void;
}

/**
 * One line describing a sample.
 *
 * @param s The sample.
 * @param bytesPerSecond The current rate.
 * @param countLabel What `partsDone`/`partsTotal` count. Default `"parts"`.
 * @returns e.g. `"21.6 MiB / 48.0 MiB (45%), 12.3 MiB/s, ETA 2s, parts 22/48"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeProgress } from "./progress.ts";
 *
 * assert.equal(
 *   describeProgress({ bytesDone: 1024, bytesTotal: 2048, partsDone: 1, partsTotal: 2 }, 1024),
 *   "1.0 KiB / 2.0 KiB (50%), 1.0 KiB/s, ETA 1s, parts 1/2",
 * );
 * ```
 */
export function describeProgress(
  s: ProgressSample,
  bytesPerSecond: number,
  countLabel = "parts",
): string {
  const pct = s.bytesTotal === 0 ? 100 : Math.floor((s.bytesDone / s.bytesTotal) * 100);
  const eta = bytesPerSecond > 0 ? (s.bytesTotal - s.bytesDone) / bytesPerSecond : NaN;
  return `${formatBytes(s.bytesDone)} / ${formatBytes(s.bytesTotal)} (${pct}%), ` +
    `${formatBytes(bytesPerSecond)}/s, ETA ${
      formatDuration(eta)
    }, ${countLabel} ${s.partsDone}/${s.partsTotal}`;
}

/**
 * Starts a progress display.
 *
 * @param o Output, terminal or not.
 * @returns The display.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createProgress } from "./progress.ts";
 *
 * const lines: string[] = [];
 * let now = 0;
 * const p = createProgress({ write: (t) => lines.push(t.trimEnd()), tty: false, now: () => now });
 * p.update({ bytesDone: 0, bytesTotal: 10, partsDone: 0, partsTotal: 1 });
 * now += 1000;
 * p.update({ bytesDone: 10, bytesTotal: 10, partsDone: 1, partsTotal: 1 });
 * p.stop();
 * assert.deepEqual(lines, [
 *   "ossup: 0 B / 10 B (0%), 0 B/s, ETA ?, parts 0/1",
 *   "ossup: 10 B / 10 B (100%), 10 B/s, ETA 0s, parts 1/1",
 * ]);
 * ```
 */
export function createProgress(o: ProgressOptions): Progress {
  const now = o.now ?? (() => performance.now());
  let first: { t: number; bytes: number } | undefined;
  let last: ProgressSample | undefined;
  let drawnAt = -Infinity;
  let printed: { step: number; bytes: number; t: number } | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  const rate = () => {
    if (!first || !last) return 0;
    const seconds = (now() - first.t) / 1000;
    return seconds > 0 ? (last.bytesDone - first.bytes) / seconds : 0;
  };

  const drawBar = () => {
    if (!last) return;
    const text = describeProgress(last, rate(), o.countLabel);
    // A terminal that reports no size (0) is read as 80 columns.
    const columns = o.columns && o.columns >= 20 ? o.columns : 80;
    const width = Math.min(30, columns - text.length - 4);
    const fraction = last.bytesTotal === 0 ? 1 : last.bytesDone / last.bytesTotal;
    const filled = Math.round(fraction * Math.max(width, 0));
    const line = width >= 10
      ? `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${text}`
      : text;
    o.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
    drawnAt = now();
  };

  return {
    update(sample) {
      if (stopped) return;
      if (!first) first = { t: now(), bytes: sample.bytesDone };
      last = sample;
      if (o.quiet) return;
      if (o.tty) {
        if (timer === undefined) {
          // Keeps rate and ETA moving between parts.
          timer = setInterval(drawBar, 500);
          (timer as { unref?: () => void }).unref?.();
        }
        if (now() - drawnAt >= 100 || sample.bytesDone === sample.bytesTotal) drawBar();
        return;
      }
      const pct = sample.bytesTotal === 0
        ? 100
        : Math.floor(sample.bytesDone * 100 / sample.bytesTotal);
      const step = Math.floor(pct / PLAIN_LINE_PERCENT_STEP);
      const t = now();
      const due = printed === undefined || step !== printed.step ||
        (sample.bytesDone !== printed.bytes && t - printed.t >= PLAIN_LINE_INTERVAL_MS);
      if (!due) return;
      printed = { step, bytes: sample.bytesDone, t };
      o.write(`ossup: ${describeProgress(sample, rate(), o.countLabel)}\n`);
    },
    rate,
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      if (o.tty && !o.quiet && last) {
        drawBar();
        o.write("\n");
      }
    },
  };
}
