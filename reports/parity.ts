/**
 * The container path against the native path: the same targets run twice, once with their servers
 * as containers and once as local processes, must give every case the same outcome. A difference is
 * allowed only where PARITY_EXPLANATIONS says why; any other fails the check. Only targets whose
 * servers all ran as containers in the container run are compared: a target whose servers have no
 * container path ran natively both times.
 */
import type { CaseReport, CaseStatus, RunReport } from './model';

export interface ParityExplanation {
  /** Target names it covers (exact). */
  readonly targets: readonly string[];
  /** The `suite › case` it covers: a case name or a prefix of one ending in `*`. */
  readonly caseName: string;
  readonly reason: string;
}

/** Differences between the two paths that are understood. Empty: the paths agree case for case. */
export const PARITY_EXPLANATIONS: readonly ParityExplanation[] = [];

export interface ParityDifference {
  readonly target: string;
  readonly suite: string;
  readonly case: string;
  readonly docker: CaseStatus | 'absent';
  readonly native: CaseStatus | 'absent';
  readonly explanation?: string;
}

export interface ParityResult {
  /** Targets compared: their servers all ran as containers in the container run, and they ran natively. */
  readonly targets: readonly string[];
  readonly comparedCases: number;
  readonly differences: readonly ParityDifference[];
  readonly unexplained: number;
}

/** Targets of `run` whose every server ran as a container. */
export function containerTargets(run: RunReport): string[] {
  return run.targets.filter((target) => target.status === 'ran' && target.provisioning === 'docker').map((target) => target.name);
}

function key(c: Pick<CaseReport, 'target' | 'suite' | 'case'>): string {
  return `${c.target}\u0000${c.suite}\u0000${c.case}`;
}

function explain(target: string, suite: string, caseName: string, explanations: readonly ParityExplanation[]): string | undefined {
  const full = `${suite} › ${caseName}`;
  return explanations.find(
    (e) => e.targets.includes(target) && (e.caseName.endsWith('*') ? full.startsWith(e.caseName.slice(0, -1)) : full === e.caseName),
  )?.reason;
}

export function compareRuns(docker: RunReport, native: RunReport, explanations: readonly ParityExplanation[] = PARITY_EXPLANATIONS): ParityResult {
  const nativeRan = new Set(native.targets.filter((t) => t.status === 'ran' && t.provisioning === 'native').map((t) => t.name));
  const targets = containerTargets(docker).filter((name) => nativeRan.has(name));
  const inScope = new Set(targets);
  const dockerCases = new Map(docker.cases.filter((c) => inScope.has(c.target)).map((c) => [key(c), c]));
  const nativeCases = new Map(native.cases.filter((c) => inScope.has(c.target)).map((c) => [key(c), c]));
  const differences: ParityDifference[] = [];
  for (const id of new Set([...dockerCases.keys(), ...nativeCases.keys()])) {
    const d = dockerCases.get(id);
    const n = nativeCases.get(id);
    const dockerStatus = d?.status ?? 'absent';
    const nativeStatus = n?.status ?? 'absent';
    if (dockerStatus === nativeStatus) continue;
    const sample = (d ?? n)!;
    const explanation = explain(sample.target, sample.suite, sample.case, explanations);
    differences.push({
      target: sample.target,
      suite: sample.suite,
      case: sample.case,
      docker: dockerStatus,
      native: nativeStatus,
      ...(explanation ? { explanation } : {}),
    });
  }
  const comparedCases = [...dockerCases.keys()].filter((id) => nativeCases.has(id)).length;
  return { targets, comparedCases, differences, unexplained: differences.filter((d) => !d.explanation).length };
}

export function renderParityMarkdown(result: ParityResult, dockerSource: string, nativeSource: string): string {
  const lines = [
    '# Container path vs native path',
    '',
    `Container run: ${dockerSource}  `,
    `Native run: ${nativeSource}`,
    '',
    `${result.targets.length} targets compared (${result.targets.join(', ') || 'none'}), ${result.comparedCases} cases in both runs.`,
    '',
  ];
  if (result.differences.length === 0) {
    lines.push('Every case has the same outcome on both paths.');
  } else {
    lines.push('| Target | Case | Container | Native | Why |', '|---|---|---|---|---|');
    for (const d of result.differences) {
      lines.push(
        `| ${d.target} | ${d.suite} › ${d.case.replace(/\|/g, '\\|')} | ${d.docker} | ${d.native} | ${d.explanation ?? '**unexplained**'} |`,
      );
    }
  }
  lines.push('', result.unexplained === 0 ? 'Parity: PASS' : `Parity: FAIL (${result.unexplained} unexplained differences)`, '');
  return lines.join('\n');
}
