/** Secrets Manager's JSON re-keying from text to text, as both our tests and the provider's answers compare it. */
import { standardizeSecretKeys } from '../../backends/aws/secrets-manager-backend';
import { pyJsonDumps, pyJsonLoads, type PyDict } from '../../model/connection/python-json';

export function rekey(secret: string, words: Record<string, unknown> = {}): string {
  return pyJsonDumps(standardizeSecretKeys(pyJsonLoads(secret) as PyDict, words));
}
