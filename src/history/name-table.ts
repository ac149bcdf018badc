/**
 * One shared copy of each short name notifications repeat (channels, types). Parsed JSON gives
 * every notification its own copy; history keeps notifications for a day, and each string it
 * keeps is one more object for the GC to copy and mark. Bounded: past `max` distinct names, a
 * new one is kept as it came.
 */
export class NameTable {
  private readonly names = new Map<string, string>();

  constructor(private readonly max = 10_000) {}

  intern(name: string): string {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    if (this.names.size < this.max) this.names.set(name, name);
    return name;
  }
}
