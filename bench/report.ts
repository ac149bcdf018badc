import type { Row } from './scenarios.js';

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

/** Every row, then each service figure divided by the floor's figure from the same run. */
export function renderMarkdown(rows: Row[]): string {
  const used = COLUMNS.filter(([k]) => rows.some((r) => cell(r[k]) !== ''));
  const raw = table(
    used.map(([, h]) => h),
    rows.map((r) => used.map(([k]) => cell(r[k]))),
  );
  const ratioRows: string[][] = [];
  for (const s of rows.filter((r) => r.target === 'service')) {
    const f = rows.find(
      (r) =>
        r.target === 'floor' &&
        r.scenario === s.scenario &&
        r.transport === s.transport &&
        r.label === s.label,
    );
    if (!f) continue;
    ratioRows.push([
      s.scenario,
      s.transport,
      s.label,
      ...RATIOS.map(([k]) => {
        const a = s[k] as number | undefined;
        const b = f[k] as number | undefined;
        return a === undefined || b === undefined || !b ? '' : `${(a / b).toFixed(2)}×`;
      }),
    ]);
  }
  const ratios = table(['scenario', 'tr', 'case', ...RATIOS.map(([, h]) => h)], ratioRows);
  return `### Figures\n\n${raw}\n\n### Service ÷ floor (same run)\n\n${ratios}\n`;
}
