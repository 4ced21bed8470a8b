/**
 * One transfer's hold on its checkpoint: the lock, the journal's header, and
 * the serialized appends of finished parts. Used by the upload engine; the
 * coming download and copy engines journal their parts through it too.
 *
 * @module
 */

import type { CheckpointLock, CheckpointStore } from "./checkpoint_store.ts";
import {
  type CheckpointHeader,
  checkpointMismatch,
  type CheckpointTarget,
  createPartRecordEncoder,
  decodeCheckpoint,
  encodeCheckpoint,
  isIntent,
  type PartRecord,
} from "./checkpoint_journal.ts";

/** A checkpoint found in the store and how it relates to this upload. */
export type LoadedCheckpoint =
  | { kind: "none" }
  | {
    kind: "usable";
    header: CheckpointHeader;
    parts: Map<number, PartRecord>;
    needsRewrite: boolean;
  }
  | { kind: "intent"; header: CheckpointHeader }
  | { kind: "discarded"; reason: string; header?: CheckpointHeader };

/** A locked checkpoint id in a store. */
export class CheckpointSession {
  #store: CheckpointStore;
  #id: string;
  #lock: CheckpointLock;
  // Encodes records under the journal's header; set by begin/adopt.
  #encodeRecord: ((part: PartRecord) => Uint8Array) | undefined;
  // Writes run one after another in the order asked, so records never interleave and each
  // follows the header it was encoded for.
  #tail: Promise<void> = Promise.resolve();
  // The last begin's write: records wait for it, and fail with it if it failed.
  #begun: Promise<void> = Promise.resolve();

  private constructor(store: CheckpointStore, id: string, lock: CheckpointLock) {
    this.#store = store;
    this.#id = id;
    this.#lock = lock;
  }

  /** Locks `id` in `store`; throws `CheckpointError("CheckpointLocked")` when another holder has it. */
  static async open(
    store: CheckpointStore,
    id: string,
    options: { wait?: boolean; signal?: AbortSignal },
  ): Promise<CheckpointSession> {
    const lock = await store.lock(id, options);
    return new CheckpointSession(store, id, lock);
  }

  /** The id inside the store (the file path for the file store). */
  get id(): string {
    return this.#id;
  }

  /**
   * Reads the checkpoint and judges it: usable for `target`, an intent left
   * by a run that died initiating its upload, or discarded (and why).
   */
  async load(target: CheckpointTarget): Promise<LoadedCheckpoint> {
    const bytes = await this.#store.read(this.#id);
    if (bytes === null || bytes.length === 0) return { kind: "none" };
    const decoded = decodeCheckpoint(bytes);
    if ("damaged" in decoded) {
      return { kind: "discarded", reason: `damaged: ${decoded.damaged}`, header: decoded.header };
    }
    if (isIntent(decoded.header)) return { kind: "intent", header: decoded.header };
    const mismatch = checkpointMismatch(decoded.header, target);
    if (mismatch !== undefined) {
      return { kind: "discarded", reason: mismatch, header: decoded.header };
    }
    return {
      kind: "usable",
      header: decoded.header,
      parts: decoded.parts,
      needsRewrite: decoded.droppedTail,
    };
  }

  /**
   * The part size the checkpoint recorded, when it is one this transfer would resume from but
   * for the part size (same destination, source and, for a download, target): what
   * `partSize: "auto"` keeps on resume, whatever it would choose now.
   *
   * @param target This transfer; its `partSize` is not compared.
   * @returns The recorded part size, or `undefined` (none, damaged, another transfer's).
   */
  async recordedPartSize(target: Omit<CheckpointTarget, "partSize">): Promise<number | undefined> {
    const bytes = await this.#store.read(this.#id);
    if (bytes === null || bytes.length === 0) return undefined;
    const decoded = decodeCheckpoint(bytes);
    if ("damaged" in decoded || isIntent(decoded.header)) return undefined;
    const header = decoded.header;
    const mismatch = checkpointMismatch(header, { ...target, partSize: header.partSize });
    return mismatch === undefined ? header.partSize : undefined;
  }

  /**
   * Reads whatever checkpoint is there, for a run that will not resume from
   * it: `undefined` when there is none, else why it is not used and its
   * header (when readable).
   */
  async read(): Promise<{ reason: string; header?: CheckpointHeader } | undefined> {
    const bytes = await this.#store.read(this.#id);
    if (bytes === null || bytes.length === 0) return undefined;
    const decoded = decodeCheckpoint(bytes);
    if ("damaged" in decoded) {
      return { reason: `damaged: ${decoded.damaged}`, header: decoded.header };
    }
    return { reason: "the source is empty now", header: decoded.header };
  }

  /**
   * Starts a new journal for `header`, replacing whatever was there atomically. Resolves once
   * it is stored; records asked for meanwhile are appended after it (and fail if it failed), so
   * a caller whose records may wait need not.
   */
  async begin(header: CheckpointHeader, parts: Iterable<PartRecord> = []): Promise<void> {
    this.#encodeRecord = createPartRecordEncoder(header);
    const bytes = encodeCheckpoint(header, parts);
    const written = this.#tail.then(() => this.#store.write(this.#id, bytes));
    this.#begun = written;
    this.#tail = written.catch(() => {});
    await written;
  }

  /** Continues an existing journal as it is. */
  adopt(header: CheckpointHeader): void {
    this.#encodeRecord = createPartRecordEncoder(header);
    this.#begun = Promise.resolve();
  }

  /** Appends a finished part; resolves once it is stored. */
  record(part: PartRecord): Promise<void> {
    const encodeRecord = this.#encodeRecord;
    if (encodeRecord === undefined) throw new Error("CheckpointSession.record before begin/adopt");
    const line = encodeRecord(part);
    const begun = this.#begun;
    const next = this.#tail.then(() => begun).then(() => this.#store.append(this.#id, line));
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Removes the checkpoint. */
  async remove(): Promise<void> {
    await this.#tail;
    await this.#store.remove(this.#id);
  }

  /** Waits for pending appends and releases the lock. */
  async close(): Promise<void> {
    await this.#tail;
    await this.#lock.release();
  }
}
