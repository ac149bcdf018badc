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
  ['restCpuPer1k', 'rest s/1k'],
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
 * Per-round ratios (index: round) combined in pairs of rounds, 0 with 1, 2 with 3, and an odd
 * last round with the one before it: each pair's geometric mean. In consecutive rounds two targets
 * ran in both orders (roundOrder), so a machine that slows or speeds up steadily through the run
 * cancels out of a pair, where the median of single rounds leans towards whichever target ran
 * second more often. Over Kafka, with the same build as both targets, the second run of a round
 * read the higher p99 in each of five rounds: a median of 1.40x that the pairs read as 1.07x.
 * A pair missing a round (a failed run) is left out; with no whole pair, the single rounds.
 */
export function pairedRatios(byRound: readonly (number | undefined)[]): number[] {
  const pairs: [number, number][] = [];
  for (let k = 0; k + 1 < byRound.length; k += 2) pairs.push([k, k + 1]);
  if (byRound.length % 2 && byRound.length > 1)
    pairs.push([byRound.length - 2, byRound.length - 1]);
  const whole = pairs
    .map(([a, b]) => [byRound[a], byRound[b]])
    .filter((p): p is [number, number] => p[0] !== undefined && p[1] !== undefined)
    .map(([a, b]) => Math.sqrt(a * b));
  return whole.length ? whole : byRound.filter((r): r is number => r !== undefined);
}

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
 * alternating order), rounds are taken in pairs (see pairedRatios) and the median of the pairs is
 * shown, with the range of the single rounds. A `baseline` build in the run gets its own ratios
 * to the floor, and the service's to it.
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
  const routing = routingTable(rows);
  if (routing)
    sections.push(
      `### S4 ÷ S2: deliveries/s with idle others ÷ without (same server)\n\n${routing}`,
    );
  return `${sections.join('\n\n')}\n`;
}

/** The median (over pairs of rounds) and range of per-round ratios, as the ratio tables show them. */
function ratioCell(byRound: (number | undefined)[]): string {
  const singles = byRound.filter((r): r is number => r !== undefined);
  if (singles.length === 0) return '';
  const m = `${median(pairedRatios(byRound)).toFixed(2)}×`;
  return singles.length === 1
    ? m
    : `${m} (${Math.min(...singles).toFixed(2)}–${Math.max(...singles).toFixed(2)})`;
}

/**
 * The issue's routing target (S4's throughput at least 0.95x S2's): each server's S4 over its own
 * S2 of the same round, S2's run over HTTP. Empty unless the run measured both.
 */
function routingTable(rows: Row[]): string {
  const s4s = rows.filter((r) => r.scenario === 'S4 routing' && r.perSec !== undefined);
  const lines: string[][] = [];
  const servers = new Map(s4s.map((r) => [`${r.transport} ${r.target}`, r] as const));
  for (const { transport, target } of servers.values()) {
    const byRound: (number | undefined)[] = [];
    for (const r4 of s4s.filter((r) => r.transport === transport && r.target === target)) {
      const r2 = rows.find(
        (r) =>
          r.scenario === 'S2 unicast' &&
          r.label.endsWith(', http') &&
          r.transport === transport &&
          r.target === target &&
          r.round === r4.round,
      );
      if (r2?.perSec) byRound[r4.round ?? 0] = r4.perSec! / r2.perSec;
    }
    const cell = ratioCell(byRound);
    if (cell) lines.push([transport, target, cell]);
  }
  return lines.length ? table(['tr', 'server', 'S4 ÷ S2 per s'], lines) : '';
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
        const byRound: (number | undefined)[] = [];
        for (const { of, to } of pairs) {
          const [a, b] = [of[k], to[k]];
          if (typeof a === 'number' && typeof b === 'number' && b) byRound[of.round ?? 0] = a / b;
        }
        return ratioCell(byRound);
      }),
    ]);
  }
  return table(['scenario', 'tr', 'case', ...RATIOS.map(([, h]) => h)], ratioRows);
}
