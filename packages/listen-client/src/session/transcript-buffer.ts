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

/** What a push dropped to stay within bounds. */
export interface Dropped {
  readonly count: number;
  readonly bytes: number;
}

/**
 * Transcript segments kept while pusher is unreachable, bounded by count and by
 * bytes (a count alone does not bound memory: one segment may be large). When
 * full, the oldest segments are dropped (and reported); a segment larger than the
 * whole byte bound is dropped itself.
 * Replay reads a batch, sends it, and only then removes it: a batch that cannot
 * be sent stays, in order, and one that cannot be encoded is dropped knowingly
 * (counted) instead of taking the rest of the buffer with it.
 */
export class TranscriptBuffer {
  readonly #capacity: number;
  readonly #maxBytes: number;
  #items: BufferedSegment[] = [];
  #head = 0;
  #bytes = 0;

  /** `capacity` segments and `maxBytes` bytes (of the segments' JSON) at most. */
  constructor(capacity: number, maxBytes: number) {
    this.#capacity = capacity;
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes buffered (the segments' JSON). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Adds a segment; returns what was dropped to stay within bounds, if anything. */
  push(item: BufferedSegment): Dropped | undefined {
    if (this.#capacity === 0 || item.bytes > this.#maxBytes) return { count: 1, bytes: item.bytes };
    let count = 0;
    let bytes = 0;
    while (this.size > 0 && (this.size >= this.#capacity || this.#bytes + item.bytes > this.#maxBytes)) {
      const oldest = this.#items[this.#head] as BufferedSegment;
      this.#head++;
      this.#bytes -= oldest.bytes;
      count++;
      bytes += oldest.bytes;
    }
    this.#items.push(item);
    this.#bytes += item.bytes;
    this.#compact();
    return count > 0 ? { count, bytes } : undefined;
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
    const end = Math.min(this.#items.length, this.#head + count);
    for (let i = this.#head; i < end; i++) this.#bytes -= (this.#items[i] as BufferedSegment).bytes;
    this.#head = end;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    }
    this.#compact();
  }

  /** Removes everything; returns what was removed, for the drop counters. */
  clear(): Dropped {
    const dropped = { count: this.size, bytes: this.#bytes };
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    return dropped;
  }

  #compact(): void {
    if (this.#head > 1_024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
