/**
 * The bench's goals. Goals are reported against, never enforced: a missed goal is a
 * line in bench.md with the measured value and the reason, not a failed run.
 */
import { formatDuration, formatRatio } from '../reports/text';

export type GoalComparison = 'at-most' | 'below' | 'at-least';
export type GoalUnit = 'ratio' | 'duration-ms' | 'count';
export type GoalStatus = 'met' | 'missed' | 'not measured';

export interface Goal {
  readonly id: string;
  /** The goal as bench.md states it. */
  readonly text: string;
  readonly comparison: GoalComparison;
  readonly threshold: number;
  readonly unit: GoalUnit;
}

export interface GoalOutcome {
  readonly goal: Goal;
  /** What the goal was measured on: a target, a server, a family. */
  readonly subject: string;
  readonly measured: number | null;
  /** A figure that puts the measured value in context: `+636 ns per lookup`. */
  readonly detail?: string;
  readonly status: GoalStatus;
  /** Why it was not measured, or why it was missed and what would reach it. */
  readonly note?: string;
}

export const GOALS = {
  referenceOverhead: {
    id: 'reference-overhead',
    text: 'reference backend uncached within 1.10x of the raw client call (p50 b/a)',
    comparison: 'at-most',
    threshold: 1.1,
    unit: 'ratio',
  },
  cacheHitMedian: { id: 'cache-hit-median', text: 'cache hit under 5 µs median', comparison: 'below', threshold: 0.005, unit: 'duration-ms' },
  cacheHitSpeedup: {
    id: 'cache-hit-speedup',
    text: 'cache hit at least 100x faster than uncached (p50 b/c)',
    comparison: 'at-least',
    threshold: 100,
    unit: 'ratio',
  },
  connectionReuse: {
    id: 'connection-reuse',
    text: '1,000 lookups over at most 2 TCP connections',
    comparison: 'at-most',
    threshold: 2,
    unit: 'count',
  },
  warmVaultTest: {
    id: 'warm-vault-test',
    text: 'warm npm test -- --backend=vault under 60 s',
    comparison: 'below',
    threshold: 60_000,
    unit: 'duration-ms',
  },
  baoStart: { id: 'native-start-bao', text: 'native start: bao under 2 s', comparison: 'below', threshold: 2_000, unit: 'duration-ms' },
  motoStart: { id: 'native-start-moto', text: 'native start: moto under 2 s', comparison: 'below', threshold: 2_000, unit: 'duration-ms' },
  toxiproxyStart: {
    id: 'native-start-toxiproxy',
    text: 'native start: Toxiproxy under 0.5 s',
    comparison: 'below',
    threshold: 500,
    unit: 'duration-ms',
  },
} as const satisfies Record<string, Goal>;

export function meetsGoal(goal: Goal, measured: number): boolean {
  switch (goal.comparison) {
    case 'at-most':
      return measured <= goal.threshold;
    case 'below':
      return measured < goal.threshold;
    case 'at-least':
      return measured >= goal.threshold;
  }
}

/** A measured value against its goal; `null` is "not measured", with `note` saying why. */
export function evaluateGoal(goal: Goal, subject: string, measured: number | null, note?: string): GoalOutcome {
  if (measured === null || !Number.isFinite(measured)) {
    return { goal, subject, measured: null, status: 'not measured', note: note ?? 'not measured in this run' };
  }
  const status: GoalStatus = meetsGoal(goal, measured) ? 'met' : 'missed';
  return { goal, subject, measured, status, ...(note ? { note } : {}) };
}

export function formatGoalValue(unit: GoalUnit, value: number | null): string {
  if (value === null) return 'n/a';
  switch (unit) {
    case 'ratio':
      return formatRatio(value);
    case 'duration-ms':
      return formatDuration(value);
    case 'count':
      return String(value);
  }
}

/** `≤ 1.10x`, `< 5.0 µs`, `≥ 100x`. */
export function formatThreshold(goal: Goal): string {
  const sign = goal.comparison === 'at-most' ? '≤' : goal.comparison === 'below' ? '<' : '≥';
  return `${sign} ${formatGoalValue(goal.unit, goal.threshold)}`;
}
