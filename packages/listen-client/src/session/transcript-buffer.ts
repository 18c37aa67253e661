/** One buffered transcript segment and the memory it belongs to. */
export interface BufferedSegment {
  readonly segment: unknown;
  readonly memoryId: string | undefined;
  readonly bytes: number;
}

/** The segments at the head of the buffer that go out as one 102 frame. */
export interface TranscriptBatch {
  readonly memoryId: string | undefined;
  readonly segments: unknown[];
  /** Segments in the batch: what {@link TranscriptBuffer.shift} removes once it is sent. */
  readonly count: number;
  readonly bytes: number;
}

/**
 * Transcript segments kept while pusher is unreachable, bounded by count. When
 * full, the oldest segment is dropped (and reported) so memory stays bounded.
 * Replay reads a batch, sends it, and only then removes it: a batch that cannot
 * be sent stays, in order, and one that cannot be encoded is dropped knowingly
 * (counted) instead of taking the rest of the buffer with it.
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
    this.#compact();
    return dropped;
  }

  /**
   * The oldest run of consecutive segments of one memory, at most `maxPerBatch`,
   * left in the buffer; undefined when empty.
   */
  peekBatch(maxPerBatch: number): TranscriptBatch | undefined {
    const first = this.#items[this.#head];
    if (!first) return undefined;
    const segments: unknown[] = [];
    let bytes = 0;
    for (let i = this.#head; i < this.#items.length && segments.length < maxPerBatch; i++) {
      const item = this.#items[i] as BufferedSegment;
      if (item.memoryId !== first.memoryId) break;
      segments.push(item.segment);
      bytes += item.bytes;
    }
    return { memoryId: first.memoryId, segments, count: segments.length, bytes };
  }

  /** Removes the oldest `count` segments (a batch that was sent or given up). */
  shift(count: number): void {
    this.#head = Math.min(this.#items.length, this.#head + count);
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#head > 1_024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
