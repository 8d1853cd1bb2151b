/**
 * Format errors: a malformed stored value gets the right error class, and the message says what
 * is wrong without repeating the secret. Every malformed value below carries a canary-marked
 * password, so a message that echoes the input fails the case.
 */
import { ConnectionFormatError, FileParseError, MalformedSecretError, NotUniqueError, type SecretsError } from '../model/errors';
import { expectRejects } from './expect-secret';
import { defineSuite, type CaseContext, type ConformanceCase } from './suite';
import { hasCapability, type TargetDefinition } from './target';

type FileKind = 'connections' | 'variables';

function expectMessage(error: SecretsError, pattern: RegExp, what: string): void {
  if (!pattern.test(error.message)) {
    throw new Error(`${what}: message "${error.message}" does not match ${pattern}`);
  }
}

function expectParseErrorAt(error: FileParseError, line: number, pattern: RegExp | null, what: string): void {
  const found = error.errors.find((e) => e.line === line && (pattern === null || pattern.test(e.message)));
  if (!found) {
    const seen = error.errors.map((e) => `line ${e.line}: ${e.message}`).join(' | ');
    throw new Error(`${what}: expected a parse error at line ${line}${pattern ? ` matching ${pattern}` : ''}; got ${seen || 'none'}`);
  }
}

/** A malformed stored connection: the lookup rejects with ConnectionFormatError, secret-free. */
function malformedConnection(
  name: string,
  rule: string,
  build: (password: string) => string,
  message: RegExp,
  needs: ConformanceCase['needs'] = ['connections'],
): ConformanceCase {
  return {
    name,
    rule,
    needs,
    async run(ctx) {
      const connId = ctx.ids.next('bad');
      const password = ctx.secrets.token('pw');
      await ctx.fixtures.putConnection(connId, { raw: build(password) });
      const error = await expectRejects(ctx.backend.getConnection(connId), ConnectionFormatError, `connection "${connId}"`, [password]);
      expectMessage(error, message, `connection "${connId}"`);
    },
  };
}

/** Writes a whole secrets file in the target's own format. */
async function writeRawFile(ctx: CaseContext, kind: FileKind, content: string): Promise<void> {
  const format = ctx.target.fileFormat;
  if (!format || !ctx.fixtures.putRawFile) throw new Error(`target ${ctx.target.name} declares raw-files without a file format`);
  await ctx.fixtures.putRawFile(kind, format, content);
}

/** Looks up through a backend made after the file was written, so it reads that file. */
function lookup(ctx: CaseContext, kind: FileKind, id: string): Promise<unknown> {
  const backend = ctx.session.backend();
  return kind === 'connections' ? backend.getConnection(id) : backend.getVariable(id);
}

function rawFileCase(
  format: 'env' | 'json' | 'yaml',
  name: string,
  rule: string,
  kind: FileKind,
  content: (password: string, id: string) => string,
  check: (error: unknown, what: string) => void | Promise<void>,
  errorClass: typeof FileParseError | typeof NotUniqueError | typeof MalformedSecretError,
): ConformanceCase & { format: string } {
  return {
    format,
    name: `${format}: ${name}`,
    rule,
    needs: ['raw-files', kind],
    async run(ctx) {
      const id = ctx.ids.next('file');
      const password = ctx.secrets.token('pw');
      await writeRawFile(ctx, kind, content(password, id));
      const what = `${kind} file (${format}) looked up for "${id}"`;
      const error = await expectRejects(lookup(ctx, kind, id), errorClass, what, [password]);
      await check(error, what);
    },
  };
}

const uri = (password: string) => `postgres://svc:${password}@db.example.com/main`;

function rawFileCases(target: TargetDefinition): ConformanceCase[] {
  if (!hasCapability(target, 'raw-files')) return [];
  const parseError = (line: number, pattern: RegExp | null) => (error: unknown, what: string) =>
    expectParseErrorAt(error as FileParseError, line, pattern, what);
  const message = (pattern: RegExp) => (error: unknown, what: string) => expectMessage(error as SecretsError, pattern, what);
  const all = [
    rawFileCase(
      'env',
      'a line without "=" is a parse error with its line number',
      '§5.3 env: no "=" -> "Invalid line format. The line should contain at least one equal sign"',
      'variables',
      (pw, id) => `# a comment\n${id}=${pw}\nthis line has no equals sign\n`,
      parseError(3, /at least one equal sign/),
      FileParseError,
    ),
    rawFileCase(
      'env',
      'an empty key is a parse error',
      '§5.3 env: "=x" -> "Invalid line format. Key is empty."',
      'variables',
      (pw, id) => `${id}=${pw}\n\n=${pw}\n`,
      parseError(3, /Key is empty/),
      FileParseError,
    ),
    rawFileCase(
      'env',
      'an empty value is a parse error',
      '§5.3 env: "K=" -> "Invalid line format. Value is empty."',
      'variables',
      (pw, id) => `${id}_other=${pw}\n${id}=\n`,
      parseError(2, /Value is empty/),
      FileParseError,
    ),
    rawFileCase(
      'env',
      'a variable defined twice is refused',
      '§5.3 VariableNotUnique: "The file contains multiple values for keys"',
      'variables',
      (pw, id) => `${id}=${pw}\n${id}=${pw}x\n`,
      message(/multiple values for keys/),
      NotUniqueError,
    ),
    rawFileCase(
      'env',
      'a connection defined twice is refused',
      '§5.3 ConnectionNotUnique: "Found multiple values for <id>"',
      'connections',
      (pw, id) => `${id}=${uri(pw)}\n${id}=${uri(`${pw}x`)}\n`,
      message(/Found multiple values for/),
      NotUniqueError,
    ),
    rawFileCase(
      'json',
      'a syntax error is a parse error at its line',
      '§5.3 json: JSONDecodeError message at the line of the error',
      'variables',
      (pw, id) => `{\n  "${id}": "${pw}",\n  oops\n}\n`,
      parseError(3, null),
      FileParseError,
    ),
    rawFileCase(
      'json',
      'an empty file is a parse error',
      '§5.3 json: "The file is empty." at line 1',
      'variables',
      () => '',
      parseError(1, /The file is empty/),
      FileParseError,
    ),
    rawFileCase(
      'json',
      'a top level that is not an object is a parse error',
      '§5.3 json: "The file should contain the object." at line 1',
      'variables',
      (pw) => `["${pw}"]`,
      parseError(1, /should contain the object/),
      FileParseError,
    ),
    rawFileCase(
      'json',
      'a connection object with an unknown key is refused',
      '§5.3 "The object have illegal keys: ..."',
      'connections',
      (pw, id) => JSON.stringify({ [id]: { conn_type: 'http', password: pw, passwd: pw } }),
      message(/illegal keys/),
      MalformedSecretError,
    ),
    rawFileCase(
      'json',
      'extra and extra_dejson together are refused',
      '§5.3 "The extra and extra_dejson parameters are mutually exclusive"',
      'connections',
      (pw, id) => JSON.stringify({ [id]: { conn_type: 'http', password: pw, extra: '{}', extra_dejson: { a: 1 } } }),
      message(/mutually exclusive/),
      MalformedSecretError,
    ),
    rawFileCase(
      'json',
      'a conn_id inside the object must match its key',
      '§5.3 "Mismatch conn_id. The dictionary key has the value: ..."',
      'connections',
      (pw, id) => JSON.stringify({ [id]: { conn_id: `${id}_other`, conn_type: 'http', password: pw } }),
      message(/Mismatch conn_id/),
      MalformedSecretError,
    ),
    rawFileCase(
      'json',
      'a connection that is neither a string nor an object is refused',
      '§5.3 "Unexpected value type: ... The connection can only be defined using a string or object."',
      'connections',
      (_pw, id) => JSON.stringify({ [id]: 42 }),
      message(/Unexpected value type/),
      MalformedSecretError,
    ),
    rawFileCase(
      'json',
      'a list of two connections is refused',
      '§5.3 ConnectionNotUnique: a list value may hold one connection only',
      'connections',
      (pw, id) => JSON.stringify({ [id]: [uri(pw), uri(`${pw}x`)] }),
      message(/Found multiple values for/),
      NotUniqueError,
    ),
    rawFileCase(
      'yaml',
      'a syntax error is a parse error at its (0-based) line',
      '§5.3 yaml: MarkedYAMLError at problem_mark.line, which is 0-based',
      'variables',
      (pw, id) => `${id}: "${pw}"\nother: : value\n`,
      parseError(1, null),
      FileParseError,
    ),
    rawFileCase(
      'yaml',
      'an empty file is a parse error',
      '§5.3 yaml: "The file is empty." at line 1',
      'variables',
      () => '',
      parseError(1, /The file is empty/),
      FileParseError,
    ),
    rawFileCase(
      'yaml',
      'a top level that is not a mapping is a parse error',
      '§5.3 yaml: "The file should contain the object." at line 1',
      'variables',
      (pw) => `- ${pw}\n- second\n`,
      parseError(1, /should contain the object/),
      FileParseError,
    ),
    rawFileCase(
      'yaml',
      'a connection mapping with an unknown key is refused',
      '§5.3 "The object have illegal keys: ..."',
      'connections',
      (pw, id) => `${id}:\n  conn_type: http\n  password: "${pw}"\n  passwd: "${pw}"\n`,
      message(/illegal keys/),
      MalformedSecretError,
    ),
  ];
  return all.filter((c) => c.format === target.fileFormat);
}

export const formatErrorsSuite = defineSuite({
  id: 'format-errors',
  title: 'Format errors',
  level: 'core',
  cases: (target) => [
    malformedConnection(
      'more than two "://" is a ConnectionFormatError',
      '§6.1.1 a URI with more than two "://" is an invalid connection string',
      (pw) => `postgres://svc:${pw}@db.example.com://a://b`,
      /Invalid connection string/i,
    ),
    malformedConnection(
      'a non-numeric port is a ConnectionFormatError',
      '§6.1.9 urlsplit().port raises "Port could not be cast to integer value"',
      (pw) => `mysql://svc:${pw}@db.example.com:http/main`,
      /port/i,
    ),
    malformedConnection(
      'a port with letters after its digits is a ConnectionFormatError',
      '§6.1.9 urlsplit().port takes digits only ("5432abc" is not port.isdigit()), so "Port could not be cast to integer value"',
      (pw) => `mysql://svc:${pw}@db.example.com:5432abc/main`,
      /port/i,
    ),
    malformedConnection(
      'a port above 65535 is a ConnectionFormatError',
      '§6.1.9 urlsplit().port raises "Port out of range 0-65535"',
      (pw) => `mysql://svc:${pw}@db.example.com:70000/main`,
      /out of range/i,
    ),
    malformedConnection(
      'userinfo in front of a host protocol is a ConnectionFormatError',
      '§6.1.4 host-with-protocol form with "@" or ":" before the inner "://" is invalid',
      (pw) => `spark://svc:${pw}@k8s://10.0.0.1:443`,
      /Invalid connection string/i,
    ),
    malformedConnection(
      'JSON that does not parse is a ConnectionFormatError',
      '§1.2 a value starting with "{" is read with from_json; invalid JSON fails',
      (pw) => `{"conn_type": "http", "password": "${pw}", `,
      /JSON/i,
      ['connections', 'json-connections', 'conn-value'],
    ),
    malformedConnection(
      'a JSON key that is not a connection field is a ConnectionFormatError',
      '§6.4 from_json passes keys to the constructor: an unknown key raises TypeError',
      (pw) => JSON.stringify({ conn_type: 'http', passwd: pw }),
      /passwd/,
      ['connections', 'json-connections', 'conn-value'],
    ),
    malformedConnection(
      'a JSON port that is not an integer is a ConnectionFormatError',
      '§6.4 from_json: int(port) fails with "Expected integer value for `port`"',
      (pw) => JSON.stringify({ conn_type: 'http', password: pw, port: 'eighty' }),
      /port/i,
      ['connections', 'json-connections', 'conn-value'],
    ),
    malformedConnection(
      'a JSON port with letters after its digits is a ConnectionFormatError',
      '§6.4 from_json: int("5432abc") raises ValueError, so "Expected integer value for `port`"',
      (pw) => JSON.stringify({ conn_type: 'http', password: pw, port: '5432abc' }),
      /port/i,
      ['connections', 'json-connections', 'conn-value'],
    ),
    ...[
      ['letters before its digits', 'abc5432'],
      ['a float written as text', '5432.0'],
      ['a space inside its digits', '54 32'],
    ].map(([shape, port]) =>
      malformedConnection(
        `a JSON port with ${shape} is a ConnectionFormatError`,
        `§6.4 from_json: int(${JSON.stringify(port)}) raises ValueError, so "Expected integer value for \`port\`"; a backend keeping the text as the port raises nothing`,
        (pw) => JSON.stringify({ conn_type: 'http', password: pw, port }),
        /port/i,
        ['connections', 'json-connections', 'conn-value'],
      ),
    ),
    malformedConnection(
      'a JSON port after a U+001C-U+001F separator is a ConnectionFormatError',
      '§6.4 from_json: int() skips only C whitespace among ASCII characters, so int() of U+001C then "5432" raises ValueError, although str.strip() would remove the separator',
      (pw) => JSON.stringify({ conn_type: 'http', password: pw, port: '\u001c5432' }),
      /port/i,
      ['connections', 'json-connections', 'conn-value'],
    ),
    ...rawFileCases(target),
  ],
});
