/**
 * How a download (`routines: "auto"`) cuts its parts into spans: its first wave staggered
 * ({@linkcode TailSplit.stagger}), and its tail split: when no part is left to start, a routine
 * that would sit idle takes the unfetched rest of a range another routine is still fetching.
 * Through a narrow window far away a part fetched alone (the last one started, or one sent
 * again after a reset) goes at one connection's pace while the link stands idle; its ranges are
 * free, so several connections can share it.
 *
 * A part is the checkpoint's unit and stays one: it is cut into spans, each fetched by one
 * routine and hashed on its own; the part is recorded (its CRC-64 the spans' combined) only
 * once every span is in the sink, so a resume knows exactly which parts the file holds.
 *
 * @module
 */

import { crc64Combine } from "../crc64/crc64.ts";

/**
 * The smallest span a split makes. Smaller pieces would each pay a request's round trip for
 * less than they save.
 */
export const MIN_SPAN = 64 * 1024;

/**
 * What of one span is in the sink: the bytes written from its start and their CRC-64. A range
 * broken mid-body is fetched again from there (its ranges are free).
 */
export interface SpanProgress {
  /** Bytes of the span written to the sink, from its start. */
  kept: number;
  /** Their CRC-64. */
  crc: bigint;
}

/** A part being fetched: its place in the object and the spans it is cut into. */
export interface PartInFlight {
  /** 1-based part number. */
  readonly partNumber: number;
  /** Offset of the part in the bytes to fetch. */
  readonly offset: number;
  /** Its size. */
  readonly size: number;
  /** Its spans, in order; together they cover the part. */
  readonly spans: Span[];
}

/** One contiguous piece of a part, fetched by one routine at a time. */
export interface Span {
  /** The part it belongs to. */
  readonly part: PartInFlight;
  /** First byte, relative to the part. */
  readonly from: number;
  /** End (exclusive), relative to the part: lowered when a split gives the rest away. */
  end: number;
  /** What of it is in the sink. */
  readonly progress: SpanProgress;
  /**
   * While a request for it is open: how far (relative to the part) the answer's bytes have
   * reached, taken but not necessarily written yet. Undefined between requests.
   */
  reached: number | undefined;
}

/** The split bookkeeping of one download run. */
export class TailSplit {
  /** Spans with a request open. */
  readonly #open = new Set<Span>();
  /** Spans split off and not yet taken by a routine. */
  readonly #pieces: Span[] = [];
  /** Spans begun and not yet finished (taken or not). */
  #unfinished = 0;
  #waiters: (() => void)[] = [];
  #splits = 0;
  /** The first wave's back pieces, by the routine meant to take each. */
  readonly #staggered = new Map<number, Span>();

  /** How many spans were split off. */
  get splits(): number {
    return this.#splits;
  }

  /** Whether any span is still unfinished: an idle routine may yet get work. */
  get busy(): boolean {
    return this.#unfinished > 0;
  }

  /**
   * A part about to be fetched, as one span.
   *
   * @param partNumber 1-based part number.
   * @param offset Its offset in the bytes to fetch.
   * @param size Its size.
   * @returns Its one span.
   */
  begin(partNumber: number, offset: number, size: number): Span {
    const part: PartInFlight = { partNumber, offset, size, spans: [] };
    const span: Span = {
      part,
      from: 0,
      end: size,
      progress: { kept: 0, crc: 0n },
      reached: undefined,
    };
    part.spans.push(span);
    this.#unfinished++;
    return span;
  }

  /**
   * Staggers the first wave: through a link that shares itself evenly, parts started together
   * end together, and each routine then waits a round trip for its next answer's first bytes,
   * all at once, so the link stands idle for a round trip at every wave's end. Routine `k` of
   * the `n` that start together fetches only the front `(k + 1) / n` of its first part; the
   * back of that part goes to routine `n - 1 - k`, after its own front (see
   * {@linkcode takeStaggered}). Each routine's part boundaries then fall `2 / n` of a part's
   * time apart from the next one's, and stay so (all go at the same pace), so while one waits
   * for an answer the others fill the link. Every part still ends within the first two waves.
   *
   * @param span Routine `k`'s first part, as one span, before its request.
   * @param k The routine's place in the first wave, 0 to `n - 1`.
   * @param n Routines in the first wave.
   */
  stagger(span: Span, k: number, n: number): void {
    const at = Math.ceil(span.end * (k + 1) / n);
    if (at >= span.end) return;
    const back = this.#cut(span, at);
    this.#staggered.set(n - 1 - k, back);
    this.#pieces.push(back);
  }

  /**
   * Routine `k`'s back piece of the first wave, unless a routine with no part left took it.
   *
   * @param k The routine's place in the first wave.
   * @returns The piece, or undefined.
   */
  takeStaggered(k: number): Span | undefined {
    const back = this.#staggered.get(k);
    this.#staggered.delete(k);
    const at = back === undefined ? -1 : this.#pieces.indexOf(back);
    if (at < 0) return undefined;
    this.#pieces.splice(at, 1);
    return back;
  }

  /**
   * Before a request for `span`'s rest: with routines waiting, the rest is cut now, before it
   * is asked for, so no byte is asked twice; the pieces go to the waiting routines.
   *
   * @param span The span about to be requested.
   */
  beforeRequest(span: Span): void {
    const from = span.from + span.progress.kept;
    const rest = span.end - from;
    const ways = Math.min(this.#waiters.length + 1, Math.floor(rest / MIN_SPAN));
    if (ways >= 2) {
      const step = Math.ceil(rest / ways);
      const ends = [];
      for (let at = from + step; at < span.end; at += step) ends.push(at);
      for (let i = ends.length - 1; i >= 0; i--) {
        this.#pieces.push(this.#cut(span, ends[i]));
      }
      this.#wake();
    }
    span.reached = from;
    this.#open.add(span);
  }

  /**
   * For a routine with no part left to start: a piece split off earlier, or the back half of
   * the open span with the most left to fetch, if that is at least two {@linkcode MIN_SPAN}s
   * and at least `worthCutting` bytes. The span's owner stops reading its answer where the piece
   * begins.
   *
   * @param worthCutting The least rest worth a cut; default 0. The caller gives what the link
   * carries in a round trip (`_arrival_rate.ts`): a smaller rest gains nothing from a cut.
   * @returns A span to fetch, or undefined when there is nothing worth splitting now.
   */
  take(worthCutting = 0): Span | undefined {
    const piece = this.#pieces.pop();
    if (piece !== undefined) return piece;
    let widest: Span | undefined;
    let widestRest = 0;
    for (const span of this.#open) {
      const rest = span.end - (span.reached ?? span.end);
      if (rest > widestRest) [widest, widestRest] = [span, rest];
    }
    if (widest === undefined || widestRest < Math.max(2 * MIN_SPAN, worthCutting)) {
      return undefined;
    }
    return this.#cut(widest, widest.end - Math.floor(widestRest / 2));
  }

  /**
   * After `span`'s request: its answer ended (whole, broken, or cut where a piece begins).
   *
   * @param span The span.
   */
  afterRequest(span: Span): void {
    span.reached = undefined;
    this.#open.delete(span);
  }

  /**
   * `span` is in the sink: resolves the part's CRC-64 when it was the part's last span.
   *
   * @param span The span.
   * @returns The part's CRC-64 once every span is in; undefined while some are not.
   */
  finished(span: Span): bigint | undefined {
    this.#unfinished--;
    this.#wake();
    const spans = span.part.spans;
    if (spans.some((s) => s.progress.kept < s.end - s.from)) return undefined;
    let crc = 0n;
    for (const s of spans) crc = crc64Combine(crc, s.progress.crc, s.end - s.from);
    return crc;
  }

  /**
   * Waits until something changes (a piece is split off, a span finishes) or `signal` fires.
   *
   * @param signal The run's signal.
   */
  changed(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      this.#waiters.push(done);
    });
  }

  /** Splits `span` at `at` (relative to the part): the rest becomes a new span. */
  #cut(span: Span, at: number): Span {
    const piece: Span = {
      part: span.part,
      from: at,
      end: span.end,
      progress: { kept: 0, crc: 0n },
      reached: undefined,
    };
    span.end = at;
    const spans = span.part.spans;
    spans.splice(spans.indexOf(span) + 1, 0, piece);
    this.#unfinished++;
    this.#splits++;
    return piece;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
