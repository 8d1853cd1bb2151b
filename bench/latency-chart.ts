/**
 * latency.svg: one group of bars per target, one bar per path (p50), a whisker to p99, on a
 * logarithmic axis when the figures span more than a decade or so (a cache hit in microseconds
 * beside a bridged lookup in milliseconds), linear otherwise. Plain SVG text, no dependency.
 */
import { escapeXml, formatDuration } from '../reports/text';

export interface ChartBar {
  /** Legend key; bars with the same key share a colour across groups. */
  readonly series: string;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Shown in place of a bar when there are no figures. */
  readonly missing?: string;
}

export interface ChartGroup {
  readonly label: string;
  readonly bars: readonly ChartBar[];
}

export interface ChartSeries {
  readonly key: string;
  readonly label: string;
  readonly colour: string;
}

export interface LatencyChart {
  readonly title: string;
  readonly subtitle: string;
  readonly series: readonly ChartSeries[];
  readonly groups: readonly ChartGroup[];
}

/** Above this max/min spread a linear axis squashes the small bars to nothing. */
export const LOG_SCALE_SPREAD = 20;

const WIDTH = 1200;
const PLOT_LEFT = 200;
const PLOT_RIGHT = 930;
const TOP = 96;
const BAR_HEIGHT = 14;
const BAR_GAP = 4;
const GROUP_GAP = 18;
const AXIS_HEIGHT = 44;

export interface Axis {
  readonly scale: 'log' | 'linear';
  readonly minMs: number;
  readonly maxMs: number;
  readonly ticksMs: readonly number[];
  /** 0..1 along the plot. */
  position(ms: number): number;
}

/** The axis for these figures: decades on a log axis, round steps from 0 on a linear one. */
export function chooseAxis(valuesMs: readonly number[]): Axis {
  const positive = valuesMs.filter((value) => Number.isFinite(value) && value > 0);
  const low = positive.length > 0 ? Math.min(...positive) : 0.001;
  const high = positive.length > 0 ? Math.max(...positive) : 1;
  if (high / low > LOG_SCALE_SPREAD) {
    const minExponent = Math.floor(Math.log10(low));
    const maxExponent = Math.max(minExponent + 1, Math.ceil(Math.log10(high)));
    const ticksMs: number[] = [];
    for (let exponent = minExponent; exponent <= maxExponent; exponent += 1) ticksMs.push(10 ** exponent);
    const span = maxExponent - minExponent;
    return {
      scale: 'log',
      minMs: 10 ** minExponent,
      maxMs: 10 ** maxExponent,
      ticksMs,
      position: (ms) => Math.min(1, Math.max(0, (Math.log10(Math.max(ms, 10 ** minExponent)) - minExponent) / span)),
    };
  }
  const step = niceStep(high / 5);
  const maxMs = Math.max(step, Math.ceil(high / step) * step);
  const ticksMs: number[] = [];
  for (let tick = 0; tick <= maxMs + step / 2 && ticksMs.length <= 12; tick += step) ticksMs.push(tick);
  return { scale: 'linear', minMs: 0, maxMs, ticksMs, position: (ms) => Math.min(1, Math.max(0, ms / maxMs)) };
}

function niceStep(rough: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const normalised = rough / magnitude;
  const nice = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 5 ? 5 : 10;
  return nice * magnitude;
}

/** Axis labels without trailing zeros: `1 µs`, `10 µs`, `2.5 ms`. */
export function tickLabel(ms: number): string {
  if (ms === 0) return '0';
  const [value, unit] = ms < 0.001 ? [ms * 1e6, 'ns'] : ms < 1 ? [ms * 1000, 'µs'] : ms < 1000 ? [ms, 'ms'] : [ms / 1000, 's'];
  return `${Number(value.toPrecision(3))} ${unit}`;
}

export function renderLatencyChart(chart: LatencyChart): string {
  const values = chart.groups
    .flatMap((group) => group.bars.flatMap((bar) => [bar.p50Ms, bar.p99Ms]))
    .filter((value): value is number => value !== null);
  const axis = chooseAxis(values);
  const plotWidth = PLOT_RIGHT - PLOT_LEFT;
  const x = (ms: number) => PLOT_LEFT + axis.position(ms) * plotWidth;
  const colourOf = new Map(chart.series.map((series) => [series.key, series.colour]));
  const backgrounds: string[] = [];
  const parts: string[] = [];
  let y = TOP;

  chart.groups.forEach((group, index) => {
    const groupHeight = group.bars.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP;
    if (index % 2 === 0)
      backgrounds.push(`<rect x="8" y="${y - GROUP_GAP / 2}" width="${WIDTH - 16}" height="${groupHeight + GROUP_GAP}" fill="#f3f4f6"/>`);
    parts.push(`<text x="${PLOT_LEFT - 12}" y="${y + groupHeight / 2 + 5}" text-anchor="end" font-weight="bold">${escapeXml(group.label)}</text>`);
    group.bars.forEach((bar, barIndex) => {
      const top = y + barIndex * (BAR_HEIGHT + BAR_GAP);
      const middle = top + BAR_HEIGHT / 2;
      if (bar.p50Ms === null) {
        parts.push(`<text x="${PLOT_LEFT + 6}" y="${middle + 4}" fill="#6b7280" font-style="italic">${escapeXml(bar.missing ?? 'not run')}</text>`);
        return;
      }
      const end = x(bar.p50Ms);
      const colour = colourOf.get(bar.series) ?? '#374151';
      parts.push(
        `<rect class="bar" x="${PLOT_LEFT}" y="${top}" width="${Math.max(1, end - PLOT_LEFT).toFixed(1)}" height="${BAR_HEIGHT}" fill="${colour}"/>`,
      );
      let labelAt = end;
      if (bar.p99Ms !== null && bar.p99Ms > bar.p50Ms) {
        const whiskerEnd = x(bar.p99Ms);
        parts.push(`<line x1="${end.toFixed(1)}" y1="${middle}" x2="${whiskerEnd.toFixed(1)}" y2="${middle}" stroke="#111827" stroke-width="1.5"/>`);
        parts.push(
          `<line x1="${whiskerEnd.toFixed(1)}" y1="${top + 2}" x2="${whiskerEnd.toFixed(1)}" y2="${top + BAR_HEIGHT - 2}" stroke="#111827" stroke-width="1.5"/>`,
        );
        labelAt = whiskerEnd;
      }
      const p99 = bar.p99Ms === null ? '' : ` · p99 ${formatDuration(bar.p99Ms)}`;
      parts.push(
        `<text x="${(labelAt + 6).toFixed(1)}" y="${middle + 4}" font-size="12">${escapeXml(`p50 ${formatDuration(bar.p50Ms)}${p99}`)}</text>`,
      );
    });
    y += groupHeight + GROUP_GAP;
  });

  const axisY = y - GROUP_GAP / 2 + 6;
  const grid: string[] = [];
  for (const tick of axis.ticksMs) {
    const at = x(tick).toFixed(1);
    grid.push(`<line x1="${at}" y1="${TOP - 10}" x2="${at}" y2="${axisY}" stroke="#d1d5db" stroke-width="1"/>`);
    grid.push(`<text x="${at}" y="${axisY + 18}" text-anchor="middle" font-size="12">${escapeXml(tickLabel(tick))}</text>`);
  }
  const axisTitle = axis.scale === 'log' ? 'latency per lookup (logarithmic axis)' : 'latency per lookup';
  const height = axisY + AXIS_HEIGHT;

  const legend = chart.series
    .map((series, index) => {
      const at = 16 + index * 290;
      return `<rect x="${at}" y="52" width="14" height="14" fill="${series.colour}"/><text x="${at + 20}" y="64">${escapeXml(series.label)}</text>`;
    })
    .join('');

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13" fill="#111827">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="bold">${escapeXml(chart.title)}</text>`,
    `<text x="16" y="44" font-size="12" fill="#4b5563">${escapeXml(chart.subtitle)}</text>`,
    legend,
    ...backgrounds,
    ...grid,
    ...parts,
    `<line x1="${PLOT_LEFT}" y1="${axisY}" x2="${PLOT_RIGHT}" y2="${axisY}" stroke="#111827"/>`,
    `<text x="${(PLOT_LEFT + PLOT_RIGHT) / 2}" y="${axisY + 36}" text-anchor="middle" font-size="12" fill="#4b5563">${escapeXml(axisTitle)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
