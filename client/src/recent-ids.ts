/**
 * The ids of the last `capacity` notifications delivered, so one delivered twice (relayed by the
 * old leader and replayed to the new one during a hand-over) reaches the application once.
 */
export class RecentIds {
  private readonly set = new Set<string>();

  constructor(private readonly capacity = 1024) {}

  /** Records `id`; false when it was already there. */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    this.set.add(id);
    if (this.set.size > this.capacity) {
      // A Set iterates in insertion order: the first entry is the oldest.
      this.set.delete(this.set.values().next().value!);
    }
    return true;
  }
}
