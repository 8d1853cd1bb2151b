/** Secrets Manager's JSON re-keying from text to text, as both our tests and the provider's answers compare it. */
import { standardizeSecretKeys } from '../../backends/aws/secrets-manager-backend';
import { pyJsonDumps } from '../../model/connection/python-json-dumps';
import { pyJsonLoads } from '../../model/connection/python-json-loads';
import { type PyDict } from '../../model/connection/python-values';

export function rekey(secret: string, words: Record<string, unknown> = {}): string {
  return pyJsonDumps(standardizeSecretKeys(pyJsonLoads(secret) as PyDict, words));
}
