import type { Row } from './scenarios.js';
import type { TargetKind } from './targets.js';

const COLUMNS: [keyof Row, string][] = [
  ['scenario', 'scenario'],
  ['transport', 'tr'],
  ['label', 'case'],
  ['target', 'server'],
  ['conns', 'conns'],
  ['delivered', 'delivered'],
  ['lossPct', 'loss %'],
  ['perSec', 'per s'],
  ['p50', 'p50 ms'],
  ['p90', 'p90 ms'],
  ['p99', 'p99 ms'],
  ['max', 'max ms'],
  ['kbPerConn', 'KB/conn'],
  ['cpuPer1k', 'CPU s/1k'],
  ['serverCpuPct', 'srv CPU %'],
  ['kernelPct', 'kernel %'],
  ['rssBeforeMb', 'RSS0 MB'],
  ['rssAfterMb', 'RSS1 MB'],
  ['note', 'note'],
];

const RATIOS: [keyof Row, string][] = [
  ['perSec', 'per s'],
  ['p50', 'p50'],
  ['p99', 'p99'],
  ['kbPerConn', 'KB/conn'],
  ['cpuPer1k', 'CPU/1k'],
];

const cell = (v: unknown) => (v === undefined || v === '' ? '' : String(v));

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const key = (r: Row) => `${r.scenario}\u0000${r.transport}\u0000${r.label}`;
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round4 = (x: number) => Number(x.toPrecision(4));

/**
 * One row per scenario, case and server: with `--rounds`, each numeric figure is the median over
 * the rounds, and the note gives the spread of the figures the targets are about.
 */
export function mergeRounds(rows: Row[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${key(r)}\u0000${r.target}`;
    const group = groups.get(k);
    if (group) group.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()].map((group) => {
    if (group.length === 1) return group[0];
    const merged: Row = { ...group[0], round: undefined };
    for (const [k] of COLUMNS) {
      const xs = group.map((r) => r[k]).filter((v): v is number => typeof v === 'number');
      if (xs.length === group.length)
        (merged as unknown as Record<string, number>)[k] = round4(median(xs));
    }
    const spread = (['perSec', 'p99', 'cpuPer1k'] as const)
      .filter((k) => typeof merged[k] === 'number')
      .map((k) => {
        const xs = group.map((r) => r[k] as number);
        return `${k} ${Math.min(...xs)}–${Math.max(...xs)}`;
      });
    // The note of the round nearest the median p99 (refusals, the Kafka rows' arrival split), so
    // it describes the latency shown.
    const p99 = merged.p99;
    const typical =
      typeof p99 === 'number'
        ? group.reduce((a, b) => (Math.abs(b.p99! - p99) < Math.abs(a.p99! - p99) ? b : a))
        : group[0];
    merged.note = [`median of ${group.length} rounds; ${spread.join(', ')}`, typical.note]
      .filter(Boolean)
      .join('; ');
    return merged;
  });
}

const RATIO_TABLES: readonly (readonly [string, TargetKind, TargetKind])[] = [
  ['Service ÷ floor', 'service', 'floor'],
  ['Baseline ÷ floor', 'baseline', 'floor'],
  ['Service ÷ baseline', 'service', 'baseline'],
];

/**
 * Every row, then each service figure divided by the floor's figure from the same run. With
 * `--rounds`, a ratio is taken within each round (floor and service measured minutes apart, in
 * alternating order) and the median of those is shown, with their range. A `baseline` build in
 * the run gets its own ratios to the floor, and the service's to it.
 */
export function renderMarkdown(rows: Row[]): string {
  const merged = mergeRounds(rows);
  const used = COLUMNS.filter(([k]) => merged.some((r) => cell(r[k]) !== ''));
  const raw = table(
    used.map(([, h]) => h),
    merged.map((r) => used.map(([k]) => cell(r[k]))),
  );
  const sections = [`### Figures\n\n${raw}`];
  // Only between targets the run measured: `--targets service` gets no empty floor table.
  const measured = new Set(rows.map((r) => r.target));
  for (const [title, target, reference] of RATIO_TABLES) {
    if (measured.has(target) && measured.has(reference)) {
      sections.push(`### ${title} (same run)\n\n${ratioTable(rows, merged, target, reference)}`);
    }
  }
  return `${sections.join('\n\n')}\n`;
}

function ratioTable(rows: Row[], merged: Row[], target: TargetKind, reference: TargetKind): string {
  const ratioRows: string[][] = [];
  for (const s of merged.filter((r) => r.target === target)) {
    const pairs = rows
      .filter((r) => r.target === target && key(r) === key(s))
      .map((sr) => ({
        of: sr,
        to: rows.find((r) => r.target === reference && key(r) === key(s) && r.round === sr.round),
      }))
      .filter((p): p is { of: Row; to: Row } => p.to !== undefined);
    if (pairs.length === 0) continue;
    ratioRows.push([
      s.scenario,
      s.transport,
      s.label,
      ...RATIOS.map(([k]) => {
        const ratios = pairs
          .map(({ of, to }) => [of[k], to[k]] as (number | undefined)[])
          .filter(([a, b]) => a !== undefined && b)
          .map(([a, b]) => a! / b!);
        if (ratios.length === 0) return '';
        const m = `${median(ratios).toFixed(2)}×`;
        return ratios.length === 1
          ? m
          : `${m} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
      }),
    ]);
  }
  return table(['scenario', 'tr', 'case', ...RATIOS.map(([, h]) => h)], ratioRows);
}
