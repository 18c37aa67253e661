/** One buffered transcript segment and the memory it belongs to. */
export interface BufferedSegment {
  readonly segment: unknown;
  readonly memoryId: string | undefined;
  readonly bytes: number;
}

/**
 * Transcript segments kept while pusher is unreachable, bounded by count. When
 * full, the oldest segment is dropped (and reported) so memory stays bounded.
 */
export class TranscriptBuffer {
  readonly #capacity: number;
  #items: BufferedSegment[] = [];
  #head = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Adds a segment; returns the one dropped to make room, if any. */
  push(item: BufferedSegment): BufferedSegment | undefined {
    let dropped: BufferedSegment | undefined;
    if (this.size >= this.#capacity) {
      dropped = this.#items[this.#head];
      this.#head++;
    }
    this.#items.push(item);
    if (this.#head > 1_024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return dropped;
  }

  /**
   * Removes everything, in order, grouped into batches of consecutive segments of
   * the same memory, at most `maxPerBatch` each: one 102 frame per batch.
   */
  drain(maxPerBatch: number): { memoryId: string | undefined; segments: unknown[] }[] {
    const batches: { memoryId: string | undefined; segments: unknown[] }[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i] as BufferedSegment;
      const last = batches[batches.length - 1];
      if (last && last.memoryId === item.memoryId && last.segments.length < maxPerBatch)
        last.segments.push(item.segment);
      else batches.push({ memoryId: item.memoryId, segments: [item.segment] });
    }
    this.#items = [];
    this.#head = 0;
    return batches;
  }
}
