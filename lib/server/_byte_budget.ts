/**
 * A count of bytes that requests reserve before reading a body whole into
 * memory, so that many large XML bodies at once wait for each other instead
 * of adding up: 32 CompleteMultipartUpload bodies of 7.5 MB at once cost the
 * server +2.67 GiB before bodies waited here.
 *
 * @module
 */

/** Grants reservations of bytes, first come first served, within a total. */
export class ByteBudget {
  readonly #total: number;
  #free: number;
  readonly #waiting: { bytes: number; grant: () => void }[] = [];

  /** @param total The bytes that may be reserved at once. */
  constructor(total: number) {
    if (!(Number.isSafeInteger(total) && total > 0)) {
      throw new RangeError("a byte budget needs a positive integer total");
    }
    this.#total = total;
    this.#free = total;
  }

  /** Bytes not reserved now. */
  get free(): number {
    return this.#free;
  }

  /** Reservations waiting for bytes to be released. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Reserves `bytes` (at most the total), waiting behind earlier reservations.
   *
   * @param bytes How many bytes.
   * @returns A function that releases the reservation (calling it again does nothing).
   */
  async reserve(bytes: number): Promise<() => void> {
    const n = Math.min(Math.max(0, Math.ceil(bytes)), this.#total);
    if (this.#waiting.length === 0 && n <= this.#free) {
      this.#free -= n;
    } else {
      await new Promise<void>((grant) => this.#waiting.push({ bytes: n, grant }));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free += n;
      this.#grantWaiting();
    };
  }

  #grantWaiting(): void {
    while (this.#waiting.length > 0 && this.#waiting[0].bytes <= this.#free) {
      const next = this.#waiting.shift()!;
      this.#free -= next.bytes;
      next.grant();
    }
  }
}
