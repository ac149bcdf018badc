import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** A process's CPU seconds so far, from /proc/<pid>/stat. */
export function processCpu(pid: number): { user: number; system: number } {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / TICKS_PER_SECOND, system: Number(f[12]) / TICKS_PER_SECOND };
}

/**
 * A process's CPU seconds so far to the nanosecond: the sum over its threads of the time each
 * has run (/proc/<pid>/task/<tid>/schedstat's first field). /proc/<pid>/stat counts in 10 ms
 * ticks, a tenth of what a server spends in a one-second slice at 2 000 deliveries/s. A thread
 * that ended takes its time with it: Node's threads live as long as the process.
 */
export function threadsCpu(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += schedstatNs(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8'));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e9;
}

/** schedstat's fields: on-CPU time (ns), time waiting to run (ns), timeslices run. */
export function schedstatNs(text: string): number {
  const ns = Number(text.split(' ', 1)[0]);
  if (!Number.isFinite(ns)) throw new Error(`not a schedstat line: ${text}`);
  return ns;
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
