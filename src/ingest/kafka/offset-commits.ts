export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read (Kafka's convention for a committed offset). */
  readonly offset: string;
}

/**
 * Commits processed offsets at most once per `intervalMs` while records flow, instead of after
 * every batch as kafkajs does: that was an OffsetCommit round trip per batch, holding up the
 * partition's next fetch, and at 2 000 records/s about a quarter of the gateway's CPU per record
 * (bench/RESULTS.md). Kafka's Java consumer commits every 5 s by default. What is pending is
 * committed by a timer once records stop coming, and by the source before it stops or rejoins.
 * Anything processed but not yet committed when a consumer dies is read again by whoever takes
 * the partition over, and recognised by its offset (LogMarks) or its key: at least once, never
 * delivered twice.
 */
export class OffsetCommits {
  private pending = new Map<string, PartitionOffset>();
  private lastCommit: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly commit: (offsets: PartitionOffset[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (err: Error) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.lastCommit = now();
  }

  get size(): number {
    return this.pending.size;
  }

  /** The record at `offset` was handled: the partition resumes after it. */
  processed(topic: string, partition: number, offset: string): void {
    const next = (BigInt(offset) + 1n).toString();
    this.pending.set(`${topic}:${partition}`, { topic, partition, offset: next });
    if (this.now() - this.lastCommit >= this.intervalMs) {
      this.flush().catch(this.onError);
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush().catch(this.onError);
      }, this.intervalMs);
      this.timer.unref();
    }
  }

  /** Commits everything pending now. A failed commit keeps its offsets for the next one. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastCommit = this.now();
    if (this.pending.size === 0) return;
    const offsets = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.commit(offsets);
    } catch (err) {
      for (const o of offsets) {
        const key = `${o.topic}:${o.partition}`;
        if (!this.pending.has(key)) this.pending.set(key, o);
      }
      throw err;
    }
  }

  /** Drops what is pending: after a rejoin, those partitions may be another member's now. */
  forget(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
