/**
 * The one journal of a tree transfer (`cp -r`): which files are done, and
 * the checkpoints of the large files in flight, in one entry of a
 * {@linkcode CheckpointStore} (a file by default) rather than a folder of
 * per-file checkpoints that outlive their transfer (ossutil #109).
 *
 * Format: JSON lines. The first is the header naming the transfer; then
 * `{"d":path,"v":version}` for a finished file (`version` is what says it
 * is still the same file: size and mtime of a local file, the ETag of an
 * object), and `{"w"|"a"|"r":id,"b":base64}` for the write, append and
 * remove of the nested checkpoint `id` (see {@linkcode TreeJournal.store}).
 * Records are appended, several at once when they pile up; a line without
 * its newline (a crash mid-append) is dropped. Opening an existing journal
 * rewrites it compacted, so it does not grow run after run.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { CheckpointLock, CheckpointStore } from "../checkpoint/checkpoint_store.ts";
import { concatBytes } from "../_concat_bytes.ts";
import { UsageError } from "./cli_error.ts";

/** What a journal is for: compared on open, so a journal is never used for another transfer. */
export interface TreeJournalHeader {
  /** `"up"` (folder to OSS), `"down"`, or `"copy"` (OSS to OSS). */
  direction: "up" | "down" | "copy";
  /** The source: an absolute folder or `oss://bucket/prefix/`. */
  source: string;
  /** The destination, likewise. */
  destination: string;
}

interface Record {
  ossupTree?: 1;
  d?: string;
  v?: string;
  w?: string;
  a?: string;
  r?: string;
  b?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const toBase64 = (data: Uint8Array) => Buffer.from(data).toString("base64");
// A copy: a Buffer's slice() would share memory.
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));

function sameHeader(a: TreeJournalHeader, b: TreeJournalHeader): boolean {
  return a.direction === b.direction && a.source === b.source && a.destination === b.destination;
}

/** A tree transfer's journal, open and locked. */
export class TreeJournal {
  readonly #store: CheckpointStore;
  readonly #id: string;
  readonly #lock: CheckpointLock;
  readonly #done: Map<string, string>;
  readonly #nested: Map<string, Uint8Array>;
  #pending: string[] = [];
  #waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  #draining: Promise<void> | undefined;

  private constructor(
    store: CheckpointStore,
    id: string,
    lock: CheckpointLock,
    done: Map<string, string>,
    nested: Map<string, Uint8Array>,
  ) {
    this.#store = store;
    this.#id = id;
    this.#lock = lock;
    this.#done = done;
    this.#nested = nested;
  }

  /**
   * Opens (and locks) the journal at `id`: an earlier run's is read back and
   * rewritten compacted; none starts a new one.
   *
   * @param store Where the journal is kept.
   * @param id Its id there (its path, for the file store).
   * @param header The transfer; an existing journal must name the same one.
   * @returns The journal, and whether an earlier run's was found.
   * @throws {UsageError} When the journal names another transfer or cannot be read.
   */
  static async open(
    store: CheckpointStore,
    id: string,
    header: TreeJournalHeader,
  ): Promise<{ journal: TreeJournal; resumed: boolean }> {
    const lock = await store.lock(id);
    try {
      const bytes = await store.read(id);
      const done = new Map<string, string>();
      const nested = new Map<string, Uint8Array>();
      const resumed = bytes !== null && bytes.length > 0;
      if (resumed) replay(decoder.decode(bytes), id, header, done, nested);
      const journal = new TreeJournal(store, id, lock, done, nested);
      await store.write(id, encoder.encode(journal.#compacted(header)));
      return { journal, resumed };
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** The version recorded for a finished file, or `undefined`. */
  doneVersion(path: string): string | undefined {
    return this.#done.get(path);
  }

  /** How many files are recorded as finished. */
  get doneCount(): number {
    return this.#done.size;
  }

  /**
   * Records a finished file; resolves once the record is in the store, so a
   * file is never reported done before a rerun would know it.
   */
  markDone(path: string, version: string): Promise<void> {
    this.#done.set(path, version);
    return this.#append({ d: path, v: version });
  }

  /**
   * A {@linkcode CheckpointStore} whose entries live in this journal: given
   * to `uploadFile`/`downloadFile` for the large files, so their part
   * checkpoints resume with the tree and go when it is done. Its lock is
   * the journal's, held for the whole transfer.
   */
  get store(): CheckpointStore {
    return {
      read: (id) => Promise.resolve(this.#nested.get(id)?.slice() ?? null),
      write: (id, data) => {
        this.#nested.set(id, data.slice());
        return this.#append({ w: id, b: toBase64(data) });
      },
      append: (id, data) => {
        this.#nested.set(id, concatBytes([this.#nested.get(id) ?? new Uint8Array(), data]));
        return this.#append({ a: id, b: toBase64(data) });
      },
      remove: (id) => {
        if (!this.#nested.delete(id)) return Promise.resolve();
        return this.#append({ r: id });
      },
      lock: () => Promise.resolve({ release: () => Promise.resolve() }),
    };
  }

  /** Ends the transfer: the journal is removed when `finished`, kept otherwise. */
  async close(finished: boolean): Promise<void> {
    try {
      await this.#draining?.catch(() => {});
      if (finished) await this.#store.remove(this.#id);
    } finally {
      await this.#lock.release();
    }
  }

  #compacted(header: TreeJournalHeader): string {
    const lines = [JSON.stringify({ ossupTree: 1, ...header })];
    for (const [d, v] of this.#done) lines.push(JSON.stringify({ d, v }));
    for (const [w, data] of this.#nested) {
      lines.push(JSON.stringify({ w, b: toBase64(data) }));
    }
    return lines.join("\n") + "\n";
  }

  /** Queues a record; the records queued while an append runs go in the next one. */
  #append(record: Record): Promise<void> {
    this.#pending.push(JSON.stringify(record) + "\n");
    const written = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#draining ??= this.#drain();
    return written;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const text = this.#pending.join("");
      const waiters = this.#waiters;
      this.#pending = [];
      this.#waiters = [];
      try {
        await this.#store.append(this.#id, encoder.encode(text));
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.#draining = undefined;
  }
}

/** Reads an earlier run's records into `done` and `nested`. */
function replay(
  text: string,
  id: string,
  header: TreeJournalHeader,
  done: Map<string, string>,
  nested: Map<string, Uint8Array>,
): void {
  // Only whole lines: an append cut short by a crash leaves a line without its newline.
  const lines = text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter((l) => l !== "");
  const records: Record[] = [];
  for (const line of lines) {
    try {
      records.push(JSON.parse(line));
    } catch {
      throw new UsageError(
        `the tree journal ${id} is damaged (a line is not JSON); remove it to start over`,
      );
    }
  }
  const first = records[0] as (Record & Partial<TreeJournalHeader>) | undefined;
  if (first?.ossupTree !== 1) {
    throw new UsageError(`${id} is not an ossup tree journal; remove it or pick another path`);
  }
  const was = first as TreeJournalHeader;
  if (!sameHeader(was, header)) {
    throw new UsageError(
      `the tree journal ${id} is for ${was.source} -> ${was.destination}, not this transfer; ` +
        "remove it or give another --checkpoint",
    );
  }
  for (const r of records.slice(1)) {
    if (r.d !== undefined) done.set(r.d, r.v ?? "");
    else if (r.w !== undefined) nested.set(r.w, fromBase64(r.b ?? ""));
    else if (r.a !== undefined) {
      nested.set(r.a, concatBytes([nested.get(r.a) ?? new Uint8Array(), fromBase64(r.b ?? "")]));
    } else if (r.r !== undefined) nested.delete(r.r);
  }
}
