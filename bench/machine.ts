import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** A process's CPU seconds so far, from /proc/<pid>/stat. */
export function processCpu(pid: number): { user: number; system: number } {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / TICKS_PER_SECOND, system: Number(f[12]) / TICKS_PER_SECOND };
}

/** The whole machine's CPU seconds so far, summed over its cores (/proc/stat's `cpu` line). */
export interface MachineCpu {
  /** Running anything: user, nice, system, irq, softirq. */
  readonly busy: number;
  /** Wanted but taken by the hypervisor for other guests. */
  readonly steal: number;
  /** Everything, idle and iowait included. */
  readonly total: number;
}

export function machineCpu(stat = readFileSync('/proc/stat', 'utf8')): MachineCpu {
  const line = /^cpu\s+(.*)$/m.exec(stat);
  if (!line) throw new Error('/proc/stat has no cpu line');
  // user nice system idle iowait irq softirq steal (guest times are already inside user and nice)
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = line[1]
    .trim()
    .split(/\s+/)
    .map((x) => Number(x) / TICKS_PER_SECOND);
  const busy = user + nice + system + irq + softirq;
  return { busy, steal, total: busy + idle + iowait + steal };
}

/** The machine's CPU seconds between two samples. */
export const machineSince = (before: MachineCpu, after: MachineCpu = machineCpu()): MachineCpu => ({
  busy: after.busy - before.busy,
  steal: after.steal - before.steal,
  total: after.total - before.total,
});

/**
 * What the machine did during a phase: how busy its cores were (server, load generator and broker
 * together) and how much the hypervisor took for other guests. A phase whose steal is high
 * measured a shared host, not the code; `others` names processes (the broker) whose CPU per
 * 1 000 deliveries the note also gives.
 */
export function machineNote(
  phase: MachineCpu,
  deliveries: number,
  others: readonly { name: string; cpu: number }[] = [],
): string {
  if (!(phase.total > 0)) return '';
  const pct = (x: number) => `${Math.round((x / phase.total) * 1000) / 10} %`;
  const parts = [
    `machine ${pct(phase.busy)} busy, ${pct(phase.steal)} stolen`,
    ...others.map((o) => `${o.name} ${per1k(o.cpu, deliveries)} s CPU/1k`),
  ];
  return parts.join(', ');
}

/** CPU seconds per 1 000 deliveries, to four decimals as the report shows them. */
export const per1k = (cpu: number, deliveries: number) =>
  Math.round((cpu / deliveries) * 1000 * 10000) / 10000;
