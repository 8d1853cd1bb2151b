/**
 * The vitest reporter behind every report file: at the end of the run it flattens vitest's test
 * tree into the report model, writes `<reports>/<run>/` and `latest/`, and prints the matrix.
 * It runs next to vitest's default reporter, which still prints progress and failures.
 */
import { currentCommit, readLoadEvidence } from './load-evidence';
import { join, relative } from 'node:path';
import type { Reporter, SerializedError, TestCase, TestModule, TestRunEndReason, Vitest } from 'vitest/node';
import { readRunEnvironment } from '../targets/run-environment';
import { buildRunReport, CONFORMANCE_PROJECT, oneLineError, type RecordedError, type RecordedTest } from './build-report';
import { renderConsoleMatrix } from './console-matrix';
import { publishLatest, writeRunReports } from './publish';

function recordedErrors(errors: readonly SerializedError[] | undefined): RecordedError[] {
  return (errors ?? []).map((error) => {
    const recorded: RecordedError = {};
    if (typeof error.name === 'string') recorded.name = error.name;
    if (typeof error.message === 'string') recorded.message = error.message;
    if (typeof error.where === 'string') recorded.where = error.where;
    if (typeof error.hint === 'string') recorded.hint = error.hint;
    return recorded;
  });
}

function recordTest(test: TestCase, root: string): RecordedTest {
  const result = test.result();
  const recorded: RecordedTest = {
    module: relative(root, test.module.moduleId),
    project: test.project.name,
    fullName: `${test.module.relativeModuleId} > ${test.fullName}`,
    name: test.name,
    meta: test.meta(),
    state: result.state,
    durationMs: test.diagnostic()?.duration ?? 0,
    errors: recordedErrors(result.errors),
  };
  if (result.state === 'skipped' && result.note !== undefined) recorded.note = result.note;
  return recorded;
}

/** Load failures of a file and `beforeAll`-style failures of a suite: they fail no single test. */
function errorsOutsideTests(module: TestModule): string[] {
  const errors = module.errors().map((error) => `${module.relativeModuleId}: ${oneLineError(recordedErrors([error])[0] ?? {})}`);
  for (const suite of module.children.allSuites()) {
    for (const error of suite.errors())
      errors.push(`${module.relativeModuleId} > ${suite.fullName}: ${oneLineError(recordedErrors([error])[0] ?? {})}`);
  }
  return errors;
}

export default class ConformanceReporter implements Reporter {
  private vitest: Vitest | undefined;
  private startedAt = new Date();

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
    this.startedAt = new Date();
  }

  async onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): Promise<void> {
    const run = readRunEnvironment();
    const conformance = this.vitest?.projects.find((project) => project.name === CONFORMANCE_PROJECT);
    const conformanceModules = testModules.filter((module) => module.project.name === CONFORMANCE_PROJECT);
    // A plain `vitest run test/x.test.ts` is a developer's unit run, not a conformance run: no reports.
    if (conformanceModules.length === 0 && process.env.ASC_REPORT_DIR === undefined) return;

    const provided = conformance?.getProvidedContext();
    const root = this.vitest?.config.root ?? process.cwd();
    const report = buildRunReport({
      runId: run.runId,
      startedAt: this.startedAt,
      finishedAt: new Date(),
      endReason: reason,
      provisioning: run.provisioning,
      ci: run.ci,
      unitTestsSelected: run.includesUnitTests,
      targets: provided?.selectedTargets ?? [],
      suites: provided?.selectedSuites ?? [],
      servers: provided?.serverReports ?? [],
      unitModules: testModules.length - conformanceModules.length,
      tests: testModules.flatMap((module) => [...module.children.allTests()].map((test) => recordTest(test, root))),
      errors: [
        ...testModules.flatMap(errorsOutsideTests),
        ...unhandledErrors.map((error) => `unhandled: ${oneLineError(recordedErrors([error])[0] ?? {})}`),
      ],
      load: readLoadEvidence(join(root, 'reports', 'bench'), currentCommit(root)),
    });

    await writeRunReports(report, run.runDir);
    await publishLatest(run.reportsRoot, run.runDir, run.runId);
    const shownDir = relative(process.cwd(), run.runDir);
    process.stdout.write(
      `${renderConsoleMatrix(report, shownDir === '' || shownDir.startsWith('..') ? run.runDir : shownDir, { withResult: !run.verdictByRunner })}\n`,
    );
  }
}

// vitest loads a reporter named by path through its default export.
