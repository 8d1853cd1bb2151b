/**
 * Measurement 2b: 100 variables from Secrets Manager, read with `BatchGetSecretValue` (20 names
 * per call, the SDK client directly) against 100 single `GetSecretValue` calls. Airflow's provider
 * reads one name per lookup, so this is what a batching backend could save.
 */
import { performance } from 'node:perf_hooks';
import { BatchGetSecretValueCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { endpointOf } from '../containers/contract';
import { motoServer } from '../containers/moto';
import { startCountingProxy, type CountingProxy } from '../containers/request-log-proxy';
import type { TargetDefinition, TargetEnvironment, TargetSession } from '../suites/target';
import { ratio, rotate, summarize, type LatencySummary } from './stats';

export const BATCH_SIZE = 20;
const MAX_PAGES_PER_BATCH = 10;

export interface BatchComparison {
  readonly variables: number;
  readonly rounds: number;
  /** Upstream HTTP calls for all variables, one round. */
  readonly batchCalls: number | null;
  readonly singleCalls: number | null;
  readonly batchRound: LatencySummary | null;
  readonly singleRound: LatencySummary | null;
  /** p50 single round / p50 batch round: how many times faster the batch reads all variables. */
  readonly singleOverBatch: number | null;
  readonly notRun?: string;
}

type Mode = 'batch' | 'single';

async function readAll(client: SecretsManagerClient, names: readonly string[], mode: Mode): Promise<Map<string, string | undefined>> {
  const values = new Map<string, string | undefined>();
  if (mode === 'single') {
    for (const name of names) values.set(name, (await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString);
    return values;
  }
  for (let start = 0; start < names.length; start += BATCH_SIZE) {
    const chunk = names.slice(start, start + BATCH_SIZE);
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES_PER_BATCH; page += 1) {
      const answer = await client.send(new BatchGetSecretValueCommand({ SecretIdList: chunk, ...(nextToken ? { NextToken: nextToken } : {}) }));
      for (const secret of answer.SecretValues ?? []) if (secret.Name) values.set(secret.Name, secret.SecretString);
      nextToken = answer.NextToken;
      if (!nextToken) break;
    }
  }
  return values;
}

export async function compareBatchReads(
  target: TargetDefinition,
  environment: TargetEnvironment,
  keys: readonly string[],
  valueOf: (key: string) => string,
  rounds: number,
): Promise<BatchComparison> {
  const notRun = (why: string): BatchComparison => ({
    variables: keys.length,
    rounds: 0,
    batchCalls: null,
    singleCalls: null,
    batchRound: null,
    singleRound: null,
    singleOverBatch: null,
    notRun: why,
  });
  const moto = endpointOf(environment.servers, motoServer);
  if (!moto) return notRun('not run: moto did not start');
  let session: TargetSession | undefined;
  let counter: CountingProxy | undefined;
  let client: SecretsManagerClient | undefined;
  try {
    session = await target.open(environment);
    for (const key of keys) await session.fixtures.putVariable(key, valueOf(key));
    const prefix = session.kwargs?.variables_prefix;
    if (typeof prefix !== 'string') return notRun(`not run: the ${target.name} session names no variables_prefix`);
    const names = keys.map((key) => `${prefix}/${key}`);
    const expected = new Map(keys.map((key) => [`${prefix}/${key}`, valueOf(key)]));
    counter = await startCountingProxy(moto.endpoint);
    client = new SecretsManagerClient({
      endpoint: counter.url,
      region: moto.region,
      credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
    });
    const wall: Record<Mode, number[]> = { batch: [], single: [] };
    const calls: Record<Mode, number | null> = { batch: null, single: null };
    // Round 0 warms both up (connection, SDK code paths) and is not kept.
    for (let round = 0; round <= rounds; round += 1) {
      for (const mode of rotate<Mode>(['batch', 'single'], round)) {
        const requestsBefore = counter.requests;
        const started = performance.now();
        const values = await readAll(client, names, mode);
        const elapsed = performance.now() - started;
        const wrong = names.filter((name) => values.get(name) !== expected.get(name)).length;
        if (wrong > 0) return notRun(`not run: ${mode} reads answered ${wrong} of ${names.length} names with something other than the seeded value`);
        if (round === 0) continue;
        wall[mode].push(elapsed);
        calls[mode] = counter.requests - requestsBefore;
      }
    }
    const batchRound = summarize(wall.batch);
    const singleRound = summarize(wall.single);
    return {
      variables: keys.length,
      rounds,
      batchCalls: calls.batch,
      singleCalls: calls.single,
      batchRound,
      singleRound,
      singleOverBatch: ratio(singleRound.p50Ms, batchRound.p50Ms),
    };
  } catch (error) {
    return notRun(`not run: ${error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error)}`);
  } finally {
    client?.destroy();
    await counter?.close();
    await session?.close().catch(() => {});
  }
}
