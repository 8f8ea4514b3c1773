import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureFixtures, type FactsShape } from './facts-shape.js';
import { MARKET_SHAPE, sampleMarket } from './market-facts.js';

/**
 * `npm run shape`: the shape of every real companyfacts body in test/fixtures/sec (and sec/classes),
 * a line each, the medians over the whole bodies, and the parameters bench/market-facts.ts
 * generates with, measured the same way on a sample of the generated market. `--json` for machines.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

const COLUMNS: [string, (shape: FactsShape) => string | number][] = [
  ['CIK', (s) => s.cik],
  ['KB', (s) => s.kb],
  ['deflate ×', (s) => s.compression],
  ['concepts', (s) => s.concepts],
  ['years', (s) => s.years],
  ['filings', (s) => s.filings],
  ['facts', (s) => s.facts],
  ['facts/concept mean · median · p90 · max', (s) => `${s.factsPerConcept.mean} · ${s.factsPerConcept.median} · ${s.factsPerConcept.p90} · ${s.factsPerConcept.max}`],
  ['concept in share of filings', (s) => s.conceptFilingShare],
  ['facts per filing', (s) => s.factsPerFiling],
  ['instant', (s) => s.instantShare],
  ['frame', (s) => s.frameShare],
  ['quarterly concepts', (s) => s.quarterlyConceptShare ?? '—'],
  ['10-K · 10-Q · other', (s) => formMix(s)],
  ['units USD · shares · USD/shares · pure · other', (s) => unitMix(s)],
  ['label · description chars', (s) => `${s.labelChars} · ${s.descriptionChars}`],
  ['B/fact', (s) => s.bytesPerFact],
  ['dei facts', (s) => s.deiFacts],
];

function formMix(shape: FactsShape): string {
  const k = (shape.forms['10-K'] ?? 0) + (shape.forms['20-F'] ?? 0) + (shape.forms['40-F'] ?? 0);
  const q = shape.forms['10-Q'] ?? 0;
  return [k, q, 1 - k - q].map((share) => share.toFixed(2)).join(' · ');
}

function unitMix(shape: FactsShape): string {
  const total = Object.values(shape.units).reduce((sum, count) => sum + count, 0);
  const money = Object.entries(shape.units).reduce((sum, [unit, count]) => sum + (/^[A-Z]{3}$/.test(unit) ? count : 0), 0);
  const shares = shape.units.shares ?? 0;
  const perShare = Object.entries(shape.units).reduce((sum, [unit, count]) => sum + (/^[A-Z]{3}\/shares$/.test(unit) ? count : 0), 0);
  const pure = shape.units.pure ?? 0;
  return [money, shares, perShare, pure, total - money - shares - perShare - pure].map((count) => (count / total).toFixed(2)).join(' · ');
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

function table(shapes: FactsShape[], extra: string[] = []): string[] {
  const lines = [`| ${COLUMNS.map(([name]) => name).join(' | ')} |`, `|${' --- |'.repeat(COLUMNS.length)}`];
  for (const shape of shapes) lines.push(`| ${COLUMNS.map(([, cell]) => String(cell(shape))).join(' | ')} |`);
  return [...lines, ...extra];
}

function summary(label: string, shapes: FactsShape[]): string {
  const of = (pick: (shape: FactsShape) => number): string => String(Number(median(shapes.map(pick)).toFixed(2)));
  const kbs = shapes.map((shape) => shape.kb);
  return [
    `${label} (${shapes.length} bodies): KB median ${of((s) => s.kb)}, mean ${(kbs.reduce((a, b) => a + b, 0) / kbs.length).toFixed(0)}, ${Math.min(...kbs)}–${Math.max(...kbs)};`,
    `deflate ×${of((s) => s.compression)}; concepts ${of((s) => s.concepts)}; years ${of((s) => s.years)}; facts/concept mean ${of((s) => s.factsPerConcept.mean)};`,
    `instant ${of((s) => s.instantShare)}; frame ${of((s) => s.frameShare)}; 10-K ${of((s) => s.forms['10-K'] ?? 0)}, 10-Q ${of((s) => s.forms['10-Q'] ?? 0)};`,
    `label ${of((s) => s.labelChars)} chars, description ${of((s) => s.descriptionChars)}; ${of((s) => s.bytesPerFact)} B/fact (medians over bodies)`,
  ].join(' ');
}

function main(): void {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, sample: { type: 'string', default: '200' } } });
  const real = measureFixtures(`${root}test/fixtures`);
  const whole = real.filter((entry) => !entry.trimmed).map((entry) => entry.shape);
  const generated = sampleMarket(Number(values.sample));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ real, generated: generated.shapes, parameters: MARKET_SHAPE }, null, 2)}\n`);
    return;
  }
  const lines = [
    '## Real bodies (test/fixtures/sec, sec/classes; * trimmed by their source, left out of the medians)',
    ...table(real.map((entry) => (entry.trimmed ? { ...entry.shape, cik: `${entry.shape.cik} *` } : entry.shape))),
    '',
    summary('real', whole),
    '',
    `## Generated (bench/market-facts.ts, the first ${generated.shapes.length} companies of the market)`,
    ...table(generated.shapes.slice(0, 12), ['| … |']),
    '',
    summary('generated', generated.shapes),
    `generated sizes: mean ${generated.meanKb.toFixed(0)} KB, median ${generated.medianKb.toFixed(0)} KB, deflate ×${generated.compression.toFixed(1)} over the sample`,
    '',
    `parameters: ${JSON.stringify(MARKET_SHAPE)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
