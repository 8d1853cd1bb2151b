/**
 * One lookup of a real deployment, traced by its own Airflow (`deployment_lookup`), and what `explain`
 * makes of it: the name each backend read (by the family's own naming rules), and hints where the
 * answer surprises: a near miss in a store, a value that does not parse, an unreachable server, an
 * answer that came from a later backend only because an earlier one failed.
 */
import type { CommandProcess } from '../targets/command-process';
import type { ProtocolErrorBody } from '../targets/command-errors';
import type { LookupKind, LookupName } from '../targets/family';
import { deploymentRequest, layoutOfClass, maskUrl, shortClass, type CacheState, type Deployment } from './deployment';

export interface TraceStep {
  readonly index: number;
  readonly class: string;
  readonly asked: boolean;
  readonly ms?: number;
  readonly requests?: number;
  readonly outcome?: 'found' | 'not-found' | 'error';
  readonly empty?: boolean;
  readonly error?: ProtocolErrorBody;
  readonly secret_path?: string;
}

export interface LookupTrace {
  readonly found: boolean;
  readonly served_by: number | 'cache' | null;
  readonly steps: TraceStep[];
  readonly ms: number;
  readonly requests: number;
  readonly cache: CacheState;
  /** Masked by the bridge: a connection with `***` for its password and sensitive extras; a variable's length and hash. */
  readonly value: Record<string, unknown> | null;
  readonly error?: ProtocolErrorBody;
  readonly sensitive?: boolean;
}

export interface LookupSubject {
  readonly kind: LookupKind;
  readonly id: string;
}

/** The class of our closed error set for a bridge error kind (model/errors.ts). */
const ERROR_CLASSES: Readonly<Record<string, string>> = {
  unauthorized: 'UnauthorizedError',
  forbidden: 'ForbiddenError',
  unavailable: 'UnavailableError',
  timeout: 'TimeoutError',
  throttled: 'ThrottledError',
  malformed: 'MalformedSecretError',
  'invalid-name': 'InvalidNameError',
  configuration: 'ConfigurationError',
};

export function errorClassName(kind: string): string {
  return ERROR_CLASSES[kind] ?? 'UnknownError';
}

const METASTORE_CLASS = 'airflow.secrets.metastore.MetastoreBackend';

export function parseSubject(text: string): LookupSubject {
  if (text.startsWith('var:')) return { kind: 'variable', id: text.slice(4) };
  if (text.startsWith('config:')) return { kind: 'config', id: text.slice(7) };
  if (text.startsWith('conn:')) return { kind: 'connection', id: text.slice(5) };
  return { kind: 'connection', id: text };
}

export function runLookup(bridge: CommandProcess, subject: LookupSubject): Promise<LookupTrace> {
  return deploymentRequest<LookupTrace>(bridge, 'deployment_lookup', { what: subject.kind, subject: subject.id }, `${subject.kind} "${subject.id}"`);
}

function envName(section: string, key: string): string {
  return `AIRFLOW__${section.toUpperCase().replace(/\./g, '_')}__${key.toUpperCase()}`;
}

/** Airflow's config sources (`_lookup_sequence`), as what each reads. */
function configSourceNames(step: TraceStep, id: string, deployment: Deployment): LookupName[] {
  const [section = '', key = ''] = id.split('/');
  const env = envName(section, key);
  switch (step.class) {
    case '_get_environment_variables':
      return [{ name: env, read: `os.environ["${env}"] (and _CMD / _SECRET for sensitive options)` }];
    case '_get_option_from_config_file':
      return [{ name: `${section}/${key}`, read: `[${section}] ${key} in ${deployment.cfgPath}` }];
    case '_get_option_from_commands':
      return [{ name: `${section}/${key}_cmd`, read: `[${section}] ${key}_cmd (sensitive options only)` }];
    case '_get_option_from_secrets':
      return [
        {
          name: `${section}/${key}_secret`,
          read: step.secret_path ? `[secrets] backend .get_config("${step.secret_path}")` : `[${section}] ${key}_secret (sensitive options only)`,
        },
      ];
    case '_get_option_from_defaults':
      return [{ name: `${section}/${key}`, read: "Airflow's default" }];
    default:
      return [{ name: step.class, read: step.class }];
  }
}

/** The names step `step` reads, by the family's naming rules (the custom backend with the deployment's kwargs). */
export function namesRead(step: TraceStep, subject: LookupSubject, deployment: Deployment, customIndex: number | null): LookupName[] {
  if (subject.kind === 'config') return configSourceNames(step, subject.id, deployment);
  if (step.class === METASTORE_CLASS) {
    const table = subject.kind === 'connection' ? 'connection where conn_id' : 'variable where key';
    const url = deployment.settings.sql_alchemy_conn;
    return [{ name: subject.id, read: `${table} = '${subject.id}' (${url ? maskUrl(url) : 'the metastore'})` }];
  }
  const layout = layoutOfClass(step.class);
  if (!layout?.lookupNames)
    return [
      { name: subject.id, read: `${shortClass(step.class)}.${subject.kind === 'connection' ? 'get_connection' : 'get_variable'}("${subject.id}")` },
    ];
  const kwargs = step.index === customIndex ? deployment.reading.kwargs : {};
  try {
    return layout.lookupNames(subject.kind, subject.id, kwargs, deployment.env);
  } catch {
    return [{ name: subject.id, read: `(the ${layout.name} naming rules refuse these kwargs)` }];
  }
}

// ---------------------------------------------------------------------------------------------
// Near misses: names a store holds that look like the one Airflow read.

/** Case, `-`/`_`/`.` and `/` differences removed. */
function normalised(name: string): string {
  return name.toLowerCase().replace(/[-_.\s]/g, '');
}

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

function lastSegment(name: string): string {
  return name.split('/').pop() ?? name;
}

/** Listed names that look like `wanted` (same store folder): how they differ, in words. */
export function nearMisses(wanted: string, listed: readonly string[]): Array<{ name: string; how: string }> {
  const found: Array<{ name: string; how: string }> = [];
  for (const name of listed) {
    if (name === wanted) continue;
    const a = lastSegment(wanted);
    const b = lastSegment(name);
    const sameFolder = name.slice(0, name.length - b.length).toLowerCase() === wanted.slice(0, wanted.length - a.length).toLowerCase();
    if (normalised(name) === normalised(wanted)) {
      const how = name.toLowerCase() === wanted.toLowerCase() ? 'differs in case only' : 'differs in case or in "-", "_", "." only';
      found.push({ name, how });
    } else if (sameFolder && Math.min(a.length, b.length) >= 3 && editDistance(a.toLowerCase(), b.toLowerCase(), 2) <= 2) {
      found.push({ name, how: `${editDistance(a.toLowerCase(), b.toLowerCase(), 2)} characters apart` });
    }
  }
  return found.slice(0, 5);
}

export interface Listing {
  readonly listed: boolean;
  readonly names?: string[];
  readonly reason?: string;
  readonly error?: ProtocolErrorBody;
}

export function listNames(bridge: CommandProcess, index: number, kind: LookupKind): Promise<Listing> {
  return deploymentRequest<Listing>(bridge, 'deployment_list_names', { index, kind }, `the names of backend ${index}`);
}

const OTHER_KIND: Partial<Record<LookupKind, LookupKind>> = { connection: 'variable', variable: 'connection' };

/** Hints for a traced lookup: near misses in the stores that could be listed, what failed and what it means. */
export async function hintsFor(
  bridge: CommandProcess,
  trace: LookupTrace,
  subject: LookupSubject,
  deployment: Deployment,
  customIndex: number | null,
): Promise<string[]> {
  const hints: string[] = [];
  const what = subject.kind === 'config' ? `config option ${subject.id}` : `${subject.kind} "${subject.id}"`;
  const failed = trace.steps.filter((step) => step.outcome === 'error');
  for (const step of failed) {
    const error = step.error;
    if (!error) continue;
    const names = namesRead(step, subject, deployment, customIndex)
      .map((name) => name.name)
      .join(', ');
    const layout = layoutOfClass(step.class);
    const special = layout?.explainFailure?.(error) ?? null;
    if (special) hints.push(`${shortClass(step.class)}: ${special}`);
    if (error.kind === 'malformed') {
      hints.push(
        `${shortClass(step.class)} holds ${names || what} but its value does not parse as a ${subject.kind} (${error.message ?? error.type}); ` +
          'Airflow logged it and went on to the next backend: fix the value in the store (`secrets-conformance connection parse` checks a value)',
      );
    } else if (error.kind === 'unavailable' || error.kind === 'timeout') {
      hints.push(
        `${shortClass(step.class)} could not be reached (${error.kind}, after ${step.ms ?? '?'} ms); Airflow logged it and asked the next backend, ` +
          'so every lookup pays this wait: run `secrets-conformance doctor`',
      );
    } else if (error.kind === 'unauthorized' || error.kind === 'forbidden') {
      hints.push(
        `${shortClass(step.class)} refused the read (${error.kind}): check the backend's credentials and policy with \`secrets-conformance doctor\``,
      );
    }
  }
  if (trace.found && typeof trace.served_by === 'number' && failed.some((step) => step.index < (trace.served_by as number))) {
    hints.push(
      `the answer came from ${shortClass(trace.steps[trace.served_by]?.class ?? '?')} only because an earlier backend failed: it may be a stale copy`,
    );
  }
  if (trace.served_by === 'cache') {
    hints.push(
      `the cache answered (SecretCache, [secrets] use_cache, ttl ${trace.cache.ttl_seconds ?? '?'} s): no backend was asked, so a change in a store shows only after the TTL (spec §3.4)`,
    );
  }
  if (trace.found && subject.kind === 'variable' && trace.steps.some((step) => step.empty && step.outcome === 'found')) {
    hints.push('the variable is the empty string: "" counts as found and stops the search (spec §2.3)');
  }
  if (trace.found || subject.kind === 'config') return hints;
  const read = trace.steps
    .filter((step) => step.asked)
    .flatMap((step) => namesRead(step, subject, deployment, customIndex).map((name) => `${shortClass(step.class)}: ${name.name}`));
  hints.push(`Airflow looked up exactly these names: ${read.join('; ') || '(none: no backend was asked)'}`);
  for (const step of trace.steps.filter((s) => s.asked)) {
    const wanted = namesRead(step, subject, deployment, customIndex).map((name) => name.name);
    const listing = await listNames(bridge, step.index, subject.kind).catch(
      (error: unknown) => ({ listed: false, reason: String(error) }) as Listing,
    );
    if (!listing.listed) {
      const why = listing.error ? `${listing.error.kind}: ${listing.error.message ?? ''}` : listing.reason;
      if (listing.error) hints.push(`${shortClass(step.class)}: its names could not be listed with its own credentials (${why})`);
      continue;
    }
    for (const name of wanted) {
      for (const miss of nearMisses(name, listing.names ?? [])) {
        hints.push(`near miss: ${shortClass(step.class)} holds "${miss.name}" (${miss.how} from "${name}")`);
      }
    }
    const other = OTHER_KIND[subject.kind];
    if (!other) continue;
    const otherNames = namesRead(step, { kind: other, id: subject.id }, deployment, customIndex).map((name) => name.name);
    const otherListing = await listNames(bridge, step.index, other).catch(() => ({ listed: false }) as Listing);
    for (const name of otherNames) {
      if (otherListing.names?.includes(name)) {
        hints.push(`${shortClass(step.class)} holds a ${other} under "${name}": the same id as a ${other}, not a ${subject.kind}`);
      }
    }
  }
  return hints;
}
