/** The bench's floor for a local lookup: `fs.readFile` of the session's variables file and one parse. */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { RawClient } from '../../targets/family';
import type { TargetDefinition, TargetSession } from '../../suites/target';
import { LocalFiles } from './fixtures';

function envFileValue(content: string, key: string): string | undefined {
  for (const line of content.split('\n')) {
    const equals = line.indexOf('=');
    if (equals > 0 && line.slice(0, equals) === key) return line.slice(equals + 1);
  }
  return undefined;
}

export async function localRawClient(target: TargetDefinition, session: TargetSession, key: string): Promise<RawClient> {
  if (!(session.fixtures instanceof LocalFiles)) throw new TypeError(`${target.name}: a local session keeps LocalFiles`);
  const path = session.fixtures.currentPath('variables');
  const parse: (content: string) => unknown =
    target.fileFormat === 'yaml'
      ? (content) => (parseYaml(content) as Record<string, unknown>)[key]
      : target.fileFormat === 'env'
        ? (content) => envFileValue(content, key)
        : (content) => (JSON.parse(content) as Record<string, unknown>)[key];
  const parser = target.fileFormat === 'yaml' ? 'yaml.parse' : target.fileFormat === 'env' ? 'a split on lines and "="' : 'JSON.parse';
  return { what: `fs.readFile + ${parser}`, read: async () => parse(await readFile(path, 'utf8')), synchronous: false, close: () => {} };
}
