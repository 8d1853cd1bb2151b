/**
 * `migrate`: a deployment's metastore connections and variables, read by its own Airflow (the ORM,
 * passwords decrypted with its Fernet key), written into a family's store in the layout that family's
 * Airflow class reads, then read back through that class in the bridge and compared field by field.
 *
 * Each item is decided on its own: absent → written; present with the same content → unchanged;
 * present with other content → left alone and reported as differing (unless `overwrite`). So a second
 * run changes nothing, and a run that failed half-way is resumed by running it again.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CommandProcess } from '../targets/command-process';
import { isSecretsError } from '../model/errors';
import type { MigratedConnection, MigrationStore, StoredValue } from '../targets/family';
import { deploymentRequest } from './deployment';

export type ItemKind = 'connection' | 'variable';

export type ItemStatus = 'moved' | 'would-move' | 'unchanged' | 'differs' | 'skipped' | 'failed';

export interface MigrationItem {
  readonly kind: ItemKind;
  readonly id: string;
  /** The store name, or null when the backend would never look the id up. */
  readonly name: string | null;
  status: ItemStatus;
  /** Why, for skipped, differing and failed items; never a value. */
  reason?: string;
  verified?: boolean;
  /** Fields that came back different through Airflow's class (names only). */
  mismatched?: string[];
}

export interface MetastoreExport {
  readonly connections: MigratedConnection[];
  readonly variables: Array<{ key: string; value: string; description: string | null }>;
}

export interface MigrationOptions {
  readonly dryRun: boolean;
  readonly overwrite: boolean;
  readonly kinds: readonly ItemKind[];
  /** Writes and reads in flight at once. */
  readonly concurrency: number;
}

function sameValue(a: StoredValue, b: StoredValue): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return isDeepStrictEqual(a, b);
}

async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

function reasonOf(error: unknown): string {
  return isSecretsError(error) ? error.oneLine() : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Writes what is missing; decides every item; nothing else is written. */
export async function copyItems(source: MetastoreExport, store: MigrationStore, options: MigrationOptions): Promise<MigrationItem[]> {
  const work: Array<{ item: MigrationItem; value: StoredValue }> = [];
  if (options.kinds.includes('connection')) {
    for (const connection of source.connections) {
      work.push({
        item: { kind: 'connection', id: connection.conn_id, name: store.nameOf('connection', connection.conn_id), status: 'skipped' },
        value: store.connectionValue(connection),
      });
    }
  }
  if (options.kinds.includes('variable')) {
    for (const variable of source.variables) {
      work.push({
        item: { kind: 'variable', id: variable.key, name: store.nameOf('variable', variable.key), status: 'skipped' },
        value: store.variableValue(variable.value),
      });
    }
  }
  await inPool(work, options.concurrency, async ({ item, value }) => {
    if (item.name === null) {
      item.reason = 'the backend never looks this id up (its prefix is disabled or its lookup pattern does not match)';
      return;
    }
    try {
      const existing = await store.read(item.name);
      if (existing !== null && sameValue(existing, value)) {
        item.status = 'unchanged';
        return;
      }
      if (existing !== null && !options.overwrite) {
        item.status = 'differs';
        item.reason = 'the store already holds another value under this name; --overwrite replaces it';
        return;
      }
      if (options.dryRun) {
        item.status = 'would-move';
        return;
      }
      await store.write(item.name, value);
      item.status = 'moved';
    } catch (error) {
      item.status = 'failed';
      item.reason = reasonOf(error);
    }
  });
  return work.map(({ item }) => item);
}

/** Items read back per bridge request. */
const READ_BACK_BATCH = 100;

const CONNECTION_FIELDS = ['conn_type', 'host', 'login', 'password', 'schema', 'port', 'extra', 'description'] as const;

type Fields = Record<(typeof CONNECTION_FIELDS)[number], unknown>;

function parsedExtra(extra: unknown): unknown {
  if (typeof extra !== 'string' || extra === '') return extra ?? null;
  try {
    return JSON.parse(extra);
  } catch {
    return extra;
  }
}

/** Field names that differ between the metastore's row and what Airflow's class read back. */
export function differingFields(source: MigratedConnection, read: Fields, unreadable: readonly string[]): string[] {
  const differing: string[] = [];
  for (const field of CONNECTION_FIELDS) {
    if (unreadable.includes(field)) continue;
    const expected = field === 'extra' ? parsedExtra(source.extra) : (source[field] ?? null);
    const actual = field === 'extra' ? parsedExtra(read.extra) : (read[field] ?? null);
    const empty = (value: unknown) =>
      value === null || value === '' || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
    if (empty(expected) && empty(actual)) continue;
    if (!isDeepStrictEqual(expected, actual)) differing.push(field);
  }
  return differing;
}

/** Reads every item that should now be in the store back through `backendClass` in the bridge, and compares. */
export async function verifyItems(
  bridge: CommandProcess,
  backendClass: string,
  kwargs: Record<string, unknown>,
  source: MetastoreExport,
  items: MigrationItem[],
  unreadable: readonly string[],
): Promise<void> {
  const opened = await deploymentRequest<{ handle: string }>(
    bridge,
    'open',
    { backend: backendClass, kwargs, connection_class: 'core' },
    `opening ${backendClass}`,
  );
  const connections = new Map(source.connections.map((connection) => [connection.conn_id, connection]));
  const variables = new Map(source.variables.map((variable) => [variable.key, variable.value]));
  try {
    const checked = items.filter((item) => item.status === 'moved' || item.status === 'unchanged');
    for (let start = 0; start < checked.length; start += READ_BACK_BATCH) {
      const batch = checked.slice(start, start + READ_BACK_BATCH);
      const answer = await deploymentRequest<{ items: Array<{ value?: unknown; error?: { kind: string; message?: string } }> }>(
        bridge,
        'read_back',
        { handle: opened.handle, items: batch.map((item) => ({ kind: item.kind, id: item.id })) },
        `reading back through ${backendClass}`,
      );
      batch.forEach((item, index) => {
        const read = answer.items[index];
        if (!read || read.error) {
          item.verified = false;
          item.reason = `read back through ${backendClass}: ${read?.error?.kind ?? 'no answer'}: ${read?.error?.message ?? ''}`;
          return;
        }
        if (item.kind === 'variable') {
          item.verified = read.value === variables.get(item.id);
          if (!item.verified) item.mismatched = ['value'];
          return;
        }
        const expected = connections.get(item.id);
        if (!expected || read.value === null || typeof read.value !== 'object') {
          item.verified = false;
          item.mismatched = ['(not found)'];
          return;
        }
        const differing = differingFields(expected, read.value as Fields, unreadable);
        item.verified = differing.length === 0;
        if (differing.length > 0) item.mismatched = differing;
      });
    }
  } finally {
    await bridge.request('close', { handle: opened.handle });
  }
}
