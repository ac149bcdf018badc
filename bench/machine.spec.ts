import { describe, expect, it } from '@jest/globals';
import { machineCpu, machineNote, machineSince, schedstatNs, threadsCpu } from './machine.js';

// /proc/stat's layout: user nice system idle iowait irq softirq steal guest guest_nice, in ticks.
const stat = (user: number, idle: number, steal: number) =>
  `cpu  ${user} 0 0 ${idle} 0 0 0 ${steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n`;

describe('machineCpu', () => {
  it('reads the all-cores line, not a single core, in seconds', () => {
    expect(machineCpu(stat(150, 40, 10))).toEqual({ busy: 1.5, steal: 0.1, total: 2 });
  });

  it('fails loudly on a file without the line', () => {
    expect(() => machineCpu('intr 1\n')).toThrow('no cpu line');
  });
});

describe('machineNote', () => {
  it('gives busy and stolen shares of the phase, and CPU per 1 000 deliveries of the others', () => {
    const phase = machineSince(machineCpu(stat(100, 100, 0)), machineCpu(stat(250, 140, 10)));
    const note = machineNote(phase, 2000, [{ name: 'broker', cpu: 0.5 }]);
    expect(note).toBe('machine 75 % busy, 5 % stolen, broker 0.25 s CPU/1k');
  });
});

describe('threadsCpu', () => {
  it('reads the on-CPU nanoseconds of a schedstat line, and refuses another line', () => {
    expect(schedstatNs('599835 1200 3\n')).toBe(599835);
    expect(() => schedstatNs('cpu 1 2\n')).toThrow('not a schedstat line');
  });

  it('counts this process running: its figure grows by at least the CPU it just spent', () => {
    const before = threadsCpu(process.pid);
    const cpu0 = process.cpuUsage();
    for (let end = performance.now() + 30; performance.now() < end;);
    const spent = process.cpuUsage(cpu0);
    const grew = threadsCpu(process.pid) - before;
    // cpuUsage counts in microseconds from getrusage, which can lag schedstat by a tick.
    expect(grew).toBeGreaterThan((spent.user + spent.system) / 1e6 - 0.011);
    expect(grew).toBeGreaterThan(0.02);
  });
});
