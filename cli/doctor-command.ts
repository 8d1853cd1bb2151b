/**
 * `secrets-conformance doctor [--airflow-config=FILE] [--json]`: checks a deployment's secrets setup in
 * one run and prints a table of findings, each with a severity and a fix. Exit 1 when any finding is an
 * error (so it can gate a deploy), 0 otherwise, 2 for a usage error. Reads only: no secret is written,
 * and no value is printed.
 */
import { stopCommandProcesses, type CommandProcess } from '../targets/command-process';
import { isSecretsError } from '../model/errors';
import {
  deploymentBridge,
  deploymentRequest,
  metastoreRequest,
  readDeployment,
  requireMetastore,
  shortClass,
  type BackendInspection,
  type Deployment,
  type DeploymentChain,
} from '../deployment/deployment';
import { UsageError } from './usage-error';

const USAGE = 'doctor [--airflow-config=FILE] [--json]';

export type Severity = 'error' | 'warning' | 'info' | 'ok';

export interface Finding {
  readonly severity: Severity;
  readonly check: string;
  readonly message: string;
  readonly fix?: string;
}

/** Kwarg names that say they hold a credential (the bridge withholds their values the same way). */
const CREDENTIAL_NAME = /token|passw|secret|credential|access_key|private|jwt|api_key/i;
/** Variable keys that say they hold a secret. */
const SECRET_KEY_NAME = /pass|secret|token|credential|api_?key|private/i;

function finding(severity: Severity, check: string, message: string, fix?: string): Finding {
  return fix ? { severity, check, message, fix } : { severity, check, message };
}

function failureOf(error: unknown): string {
  return isSecretsError(error) ? error.oneLine() : String(error);
}

/** The anti-patterns that need no server: plain text secrets, hard-coded credentials (spec §3.1, §4). */
export function staticFindings(deployment: Deployment): Finding[] {
  const findings: Finding[] = [];
  for (const warning of deployment.reading.warnings) {
    findings.push(
      finding(
        'error',
        'backend_kwargs',
        `Airflow: ${warning}`,
        'make [secrets] backend_kwargs a JSON object: Airflow builds the backend with no kwargs at all',
      ),
    );
  }
  const plaintext = deployment.settings.plaintext_sensitive.filter((option) => !/backend_kwargs$/.test(option));
  for (const option of plaintext) {
    const [section, key] = option.split('/');
    findings.push(
      finding(
        'warning',
        'plaintext-cfg',
        `[${section}] ${key} is a sensitive option stored in plain text in ${deployment.cfgPath}`,
        `read it from elsewhere: ${key}_cmd or ${key}_secret in the file, or AIRFLOW__${section?.toUpperCase()}__${key?.toUpperCase()}_CMD / _SECRET`,
      ),
    );
  }
  const hardCoded = Object.entries(deployment.reading.kwargs)
    .filter(([name, value]) => CREDENTIAL_NAME.test(name) && typeof value === 'string' && value !== '')
    .map(([name]) => name);
  if (hardCoded.length > 0) {
    findings.push(
      finding(
        'warning',
        'hard-coded-credentials',
        `backend_kwargs hold credentials in plain text: ${hardCoded.join(', ')}`,
        'give them from outside the file: token_path / role-based auth, the provider environment (VAULT_TOKEN, AWS_*), or AIRFLOW__SECRETS__BACKEND_KWARGS_CMD',
      ),
    );
  }
  for (const [name, value] of Object.entries(deployment.env)) {
    if (value === undefined) continue;
    if (name.startsWith('AIRFLOW_CONN_') && (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@:]*:[^/@]+@/.test(value) || /"password"\s*:\s*"[^"]/.test(value))) {
      findings.push(
        finding(
          'warning',
          'plaintext-env',
          `${name} holds a password in plain text in the environment`,
          'keep the connection in the secrets backend and remove the entry',
        ),
      );
    }
    if (name.startsWith('AIRFLOW_VAR_') && SECRET_KEY_NAME.test(name.slice('AIRFLOW_VAR_'.length)) && value !== '') {
      findings.push(
        finding(
          'warning',
          'plaintext-env',
          `${name} looks like a secret held in plain text in the environment`,
          'keep it in the secrets backend and remove the entry',
        ),
      );
    }
  }
  return findings;
}

function kwargFindings(deployment: Deployment, inspection: BackendInspection): Finding[] {
  const parameters = new Set(inspection.parameters ?? []);
  const passthrough = inspection.passthrough;
  const findings: Finding[] = [];
  const unknown = Object.keys(deployment.reading.kwargs).filter((name) => !parameters.has(name) && !passthrough?.parameters.includes(name));
  for (const name of unknown) {
    if (!inspection.var_keyword) {
      findings.push(
        finding(
          'error',
          'kwargs',
          `${name} is not a parameter of ${shortClass(inspection.class ?? '?')}: Airflow fails to build it (TypeError)`,
          `remove "${name}" from backend_kwargs`,
        ),
      );
    } else if (passthrough?.target === 'hvac.Client') {
      findings.push(
        finding(
          'error',
          'kwargs',
          `${name} is passed on to ${passthrough.target}, which does not take it: the first lookup fails`,
          `remove "${name}" from backend_kwargs`,
        ),
      );
    } else if (passthrough) {
      findings.push(
        finding(
          'warning',
          'kwargs',
          `${name} is passed on to ${passthrough.target}, which never reads it: it is ignored without a word`,
          `remove "${name}", or spell the option as the provider does`,
        ),
      );
    } else {
      findings.push(
        finding(
          'warning',
          'kwargs',
          `${name} is not a named parameter; the class takes **kwargs, so where it goes cannot be checked`,
          'check the class documentation',
        ),
      );
    }
  }
  if (unknown.length === 0)
    findings.push(
      finding(
        'ok',
        'kwargs',
        `every kwarg is one ${shortClass(inspection.class ?? '?')} takes (${Object.keys(deployment.reading.kwargs).join(', ') || 'none given'})`,
      ),
    );
  return findings;
}

async function chainFindings(bridge: CommandProcess, deployment: Deployment): Promise<{ findings: Finding[]; chain: DeploymentChain | null }> {
  const backend = deployment.reading.backend;
  if (!backend) {
    return {
      findings: [finding('info', 'backend', '[secrets] backend is empty: Airflow reads the environment, then the metastore')],
      chain: await deploymentRequest<DeploymentChain>(bridge, 'deployment_chain', {}, 'the chain'),
    };
  }
  const inspection = await deploymentRequest<BackendInspection>(bridge, 'inspect_backend', { backend }, `[secrets] backend ${backend}`);
  if (!inspection.imports) {
    return {
      findings: [
        finding(
          'error',
          'backend-class',
          `${backend} does not import: ${inspection.import_error ?? ''}`,
          'check the dotted path in [secrets] backend and that its provider is installed',
        ),
      ],
      chain: null,
    };
  }
  if (inspection.is_secrets_backend === false) {
    return {
      findings: [
        finding(
          'error',
          'backend-class',
          `${backend} is not a BaseSecretsBackend`,
          'name a class that subclasses airflow.secrets.BaseSecretsBackend',
        ),
      ],
      chain: null,
    };
  }
  const findings = [finding('ok', 'backend-class', `${backend} imports and is a secrets backend`), ...kwargFindings(deployment, inspection)];
  try {
    const chain = await deploymentRequest<DeploymentChain>(bridge, 'deployment_chain', {}, 'the chain');
    findings.push(finding('ok', 'chain', `Airflow builds the chain: ${chain.backends.map((entry) => shortClass(entry.class)).join(' -> ')}`));
    return { findings, chain };
  } catch (error) {
    findings.push(
      finding('error', 'chain', `Airflow cannot build the backend: ${failureOf(error)}`, 'fix backend_kwargs: the scheduler fails the same way'),
    );
    return { findings, chain: null };
  }
}

async function backendFindings(bridge: CommandProcess): Promise<Finding[]> {
  try {
    const answer = await deploymentRequest<{ checks: Finding[]; owned: boolean }>(bridge, 'deployment_checks', {}, 'the backend checks', 180_000);
    if (!answer.owned) return [finding('info', 'server', 'no family of this project knows the class: server, auth and policy not checked')];
    return answer.checks.map((check) => finding(check.severity, check.check, check.message, check.fix));
  } catch (error) {
    return [finding('error', 'server', `the backend could not be checked: ${failureOf(error)}`)];
  }
}

async function metastoreFindings(bridge: CommandProcess, deployment: Deployment, chain: DeploymentChain | null): Promise<Finding[]> {
  try {
    requireMetastore(deployment);
    const summary = await metastoreRequest<{ connections: number; variables: number; dialect: string }>(bridge, deployment, 'metastore_summary');
    const findings = [
      finding('ok', 'metastore', `the metastore (${summary.dialect}) answers: ${summary.connections} connections, ${summary.variables} variables`),
    ];
    const custom = chain?.backends.find((entry) => !entry.default);
    const layout = deployment.layout;
    const servesVariables =
      custom && layout?.lookupNames ? layout.lookupNames('variable', 'x', deployment.reading.kwargs, deployment.env).length > 0 : false;
    const envVariables = Object.keys(deployment.env).filter((name) => name.startsWith('AIRFLOW_VAR_')).length;
    if (custom && servesVariables && summary.variables === 0 && envVariables === 0) {
      findings.push(
        finding(
          'warning',
          'variables-fallback',
          `variables have one source, ${shortClass(custom.class)}: when it fails, Airflow logs it and falls through to an empty environment and metastore, and every Variable.get raises not found (spec §2.3)`,
          'give Variable.get a default for the variables a DAG needs at parse time, or keep a fallback copy of them in the metastore',
        ),
      );
    }
    return findings;
  } catch (error) {
    return [
      finding(
        'error',
        'metastore',
        `the metastore cannot be read: ${failureOf(error)}`,
        'check [database] sql_alchemy_conn; `airflow db migrate` creates the tables',
      ),
    ];
  }
}

function cacheFindings(deployment: Deployment): Finding[] {
  const layout = deployment.layout;
  if (!layout || !deployment.reading.backend) return [];
  const networked = layout.base(undefined).network !== undefined;
  if (!networked) return [];
  if (deployment.settings.use_cache)
    return [finding('ok', 'cache', `[secrets] use_cache is on (ttl ${deployment.settings.cache_ttl_seconds ?? 900} s)`)];
  return [
    finding(
      'warning',
      'cache',
      `${shortClass(deployment.reading.backend)} reaches a server, and [secrets] use_cache is off: every DAG parse asks it again for each Variable and connection used at top level (spec §3.4)`,
      'set [secrets] use_cache = True (and cache_ttl_seconds to how stale a value may be)',
    ),
  ];
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2, ok: 3 };

function render(deployment: Deployment, findings: readonly Finding[]): string {
  const rows = [['severity', 'check', 'finding', 'fix'], ...findings.map((f) => [f.severity.toUpperCase(), f.check, f.message, f.fix ?? ''])];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const lines = rows.map(
    (row, index) =>
      `  ${(row[0] ?? '').padEnd(widths[0] ?? 0)}  ${(row[1] ?? '').padEnd(widths[1] ?? 0)}  ${row[2]}${row[3] && index > 0 ? `\n  ${' '.repeat((widths[0] ?? 0) + (widths[1] ?? 0) + 4)}fix: ${row[3]}` : ''}`,
  );
  const count = (severity: Severity) => findings.filter((f) => f.severity === severity).length;
  return [
    `doctor ${deployment.cfgPath}: [secrets] backend = ${deployment.reading.backend ?? '(none)'}`,
    '',
    ...lines,
    '',
    `${count('error')} errors, ${count('warning')} warnings, ${count('ok')} ok${count('error') > 0 ? ': FAIL' : ''}`,
  ].join('\n');
}

export async function doctorCommand(args: string[]): Promise<number> {
  let airflowConfig: string | null = null;
  let json = false;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`usage: secrets-conformance ${USAGE}\n`);
      return 0;
    }
    if (arg === '--json') json = true;
    else if (arg.startsWith('--airflow-config')) {
      airflowConfig = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (args[++index] ?? null);
      if (!airflowConfig) throw new UsageError(`--airflow-config needs a file; usage: ${USAGE}`);
    } else throw new UsageError(`unexpected argument "${arg}"; usage: ${USAGE}`);
  }
  const deployment = await readDeployment(airflowConfig);
  const findings: Finding[] = [...staticFindings(deployment), ...cacheFindings(deployment)];
  let bridge: CommandProcess | null = null;
  try {
    try {
      bridge = deploymentBridge(deployment);
    } catch (error) {
      findings.push(finding('error', 'metastore', failureOf(error), 'point [database] sql_alchemy_conn at the deployment database'));
    }
    if (bridge) {
      const { findings: chainFound, chain } = await chainFindings(bridge, deployment);
      findings.push(...chainFound);
      if (chain && chain.backends.some((entry) => !entry.default)) findings.push(...(await backendFindings(bridge)));
      findings.push(...(await metastoreFindings(bridge, deployment, chain)));
    }
  } finally {
    await bridge?.stop();
    await stopCommandProcesses();
  }
  const sorted = [...findings].sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
  const failed = sorted.some((f) => f.severity === 'error');
  if (json)
    process.stdout.write(
      `${JSON.stringify({ deployment: deployment.cfgPath, backend: deployment.reading.backend, passed: !failed, findings: sorted }, null, 2)}\n`,
    );
  else process.stdout.write(`${render(deployment, sorted)}\n`);
  return failed ? 1 : 0;
}
