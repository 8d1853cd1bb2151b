/**
 * Expected messages and line numbers below were produced by Airflow 3.3.2's own
 * `airflow.secrets.local_filesystem` on the same file contents (YAML messages excepted: see
 * `parseYamlText`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, ConnectionFormatError, FileParseError, NotUniqueError, UnavailableError, type FileSyntaxError } from '../model/errors';
import { LocalFilesystemBackend, pythonJsonDumps } from '../backends/local/local-filesystem';

let folder: string;
let fileCounter = 0;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'asc-local-fs-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function file(extension: string, content: string): Promise<string> {
  fileCounter += 1;
  const path = join(folder, `secrets-${fileCounter}.${extension}`);
  await writeFile(path, content, 'utf8');
  return path;
}

async function variables(extension: string, content: string): Promise<LocalFilesystemBackend> {
  return new LocalFilesystemBackend({ variables_file_path: await file(extension, content) });
}

async function connections(extension: string, content: string): Promise<LocalFilesystemBackend> {
  return new LocalFilesystemBackend({ connections_file_path: await file(extension, content) });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${typeof value}`);
    },
    (error: unknown) => error,
  );
}

async function parseErrors(promise: Promise<unknown>): Promise<FileSyntaxError[]> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(FileParseError);
  return [...(error as FileParseError).errors];
}

describe('LocalFilesystemBackend: .env files', () => {
  it('splits on the first "=", trims nothing, keeps quotes, skips blank and comment lines', async () => {
    const backend = await variables('env', '# comment\n\n  # indented comment\nA=1\nC= spaced =x\nD=\'{"k": 1}\'\n');
    expect(await backend.getVariable('A')).toBe('1');
    expect(await backend.getVariable('C')).toBe(' spaced =x');
    expect(await backend.getVariable('D')).toBe('\'{"k": 1}\'');
    expect(await backend.getVariable('a')).toBeNull();
  });

  it("reports every bad line with its number and Airflow's message", async () => {
    const backend = await variables('env', '# comment\n\nA=1\nnoequals\n=x\nB=\nC= spaced =x\n');
    expect(await parseErrors(backend.getVariable('A'))).toEqual([
      { line: 4, message: 'Invalid line format. The line should contain at least one equal sign ("=").' },
      { line: 5, message: 'Invalid line format. Key is empty.' },
      { line: 6, message: 'Invalid line format. Value is empty.' },
    ]);
  });

  it('counts lines as Python splitlines() does (form feed and CRLF)', async () => {
    expect(await parseErrors((await variables('env', 'A=1\fB=2\nC\n')).getVariable('A'))).toEqual([
      { line: 3, message: 'Invalid line format. The line should contain at least one equal sign ("=").' },
    ]);
    const crlf = await variables('env', 'A=1\r\nB=2\r\n');
    expect(await crlf.getVariable('A')).toBe('1');
    expect(await crlf.getVariable('B')).toBe('2');
  });

  it('refuses a variable defined twice (VariableNotUnique)', async () => {
    const path = await file('env', 'AA=1\nBB=2\nAA=3\n');
    const error = await rejection(new LocalFilesystemBackend({ variables_file_path: path }).getVariable('BB'));
    expect(error).toBeInstanceOf(NotUniqueError);
    expect((error as Error).message).toBe(`The "${path}" file contains multiple values for keys: ['AA']`);
  });

  it('refuses a connection defined twice (ConnectionNotUnique)', async () => {
    const path = await file('env', 'DB=mysql://h1\nDB=mysql://h2\n');
    const error = await rejection(new LocalFilesystemBackend({ connections_file_path: path }).getConnection('DB'));
    expect(error).toBeInstanceOf(NotUniqueError);
    expect((error as Error).message).toBe(`Found multiple values for DB in ${path}.`);
  });

  it('reads a connection value as a URI even when it is JSON text', async () => {
    const backend = await connections('env', 'BY_URI=postgresql://svc:p%40ss@db.example.com:5432/main\nBY_JSON={"conn_type": "http"}\n');
    expect(await backend.getConnection('BY_URI')).toMatchObject({ connType: 'postgres', login: 'svc', password: 'p@ss', port: 5432 });
    // Airflow 3.3.2: Connection(uri='{"conn_type": "http"}') gives conn_type '', schema '"conn_type": "http"}'.
    expect(await backend.getConnection('BY_JSON')).toMatchObject({ connType: '', host: '', schema: '"conn_type": "http"}' });
  });
});

describe('LocalFilesystemBackend: .json files', () => {
  it('reports an empty file, a syntax error at its line, and a top level that is not an object', async () => {
    expect(await parseErrors((await variables('json', '')).getVariable('a'))).toEqual([{ line: 1, message: 'The file is empty.' }]);
    expect(await parseErrors((await variables('json', '{\n  "a": "x",\n  oops\n}\n')).getVariable('a'))).toEqual([
      { line: 3, message: 'Expecting property name enclosed in double quotes' },
    ]);
    expect(await parseErrors((await variables('json', '["a"]')).getVariable('a'))).toEqual([
      { line: 1, message: 'The file should contain the object.' },
    ]);
    expect(await parseErrors((await variables('json', '\n')).getVariable('a'))).toEqual([{ line: 2, message: 'Expecting value' }]);
    expect(await parseErrors((await variables('json', '\ufeff{}')).getVariable('a'))).toEqual([
      { line: 1, message: 'Unexpected UTF-8 BOM (decode using utf-8-sig)' },
    ]);
  });

  it('names the problem, not the content, when the file holds a secret', async () => {
    const secret = 'pw-7f3a9c-do-not-print';
    const backend = await variables('json', `{"token": "${secret}\n"}`);
    const error = (await rejection(backend.getVariable('token'))) as FileParseError;
    expect(error.errors).toEqual([{ line: 1, message: 'Invalid control character at' }]);
    expect(error.oneLine()).not.toContain(secret);
  });

  it('keeps the last duplicate key and returns non-string values as Python json.dumps text', async () => {
    const backend = await variables(
      'json',
      '{"num": 1.0, "int": 7, "big": 123456789012345678901, "map": {"a": [1, "x"]}, "s": "\\u00e9", "nul": null, "dupe": 1, "dupe": 2}',
    );
    expect(await backend.getVariable('num')).toBe('1.0');
    expect(await backend.getVariable('int')).toBe('7');
    expect(await backend.getVariable('big')).toBe('123456789012345678901');
    expect(await backend.getVariable('map')).toBe('{"a": [1, "x"]}');
    expect(await backend.getVariable('s')).toBe('é');
    expect(await backend.getVariable('nul')).toBeNull();
    expect(await backend.getVariable('dupe')).toBe('2');
    expect(await backend.variableValue('int')).toBe(7n);
  });

  it('accepts a URI, an object, and a single-element list of either', async () => {
    const backend = await connections(
      'json',
      JSON.stringify({
        uri: 'mysql://svc@db.example.com/main',
        listed_uri: ['mysql://svc@db.example.com/other'],
        object: { conn_type: 'postgresql', host: 'pg.example', port: 5432, extra_dejson: { sslmode: 'require', retries: 3 } },
        listed_object: [{ uri: 'http://api.example' }],
        empty_list: [],
      }),
    );
    expect(await backend.getConnection('uri')).toMatchObject({ connType: 'mysql', login: 'svc', schema: 'main' });
    expect(await backend.getConnection('listed_uri')).toMatchObject({ schema: 'other' });
    // Connection(**fields): no conn_type normalisation; extra_dejson becomes Python's json.dumps text.
    const object = await backend.getConnection('object');
    expect(object).toMatchObject({ connId: 'object', connType: 'postgresql', host: 'pg.example', port: 5432 });
    expect(object?.extra).toBe('{"sslmode": "require", "retries": 3}');
    expect(await backend.getConnection('listed_object')).toMatchObject({ connType: 'http', host: 'api.example' });
    expect(await backend.getConnection('empty_list')).toBeNull();
    expect(await backend.getConnection('missing')).toBeNull();
  });

  it('refuses a list of two connections', async () => {
    const path = await file('json', JSON.stringify({ twice: ['mysql://a', 'mysql://b'] }));
    const error = await rejection(new LocalFilesystemBackend({ connections_file_path: path }).getConnection('twice'));
    expect(error).toBeInstanceOf(NotUniqueError);
    expect((error as Error).message).toBe(`Found multiple values for twice in ${path}.`);
  });

  it("gives Airflow's messages for bad connection objects, and a bad entry fails every lookup", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { conn_type: 'http', passwd: 'x' },
        /^The object have illegal keys: passwd\. The dictionary can only contain the following keys: \{'conn_id', /,
      ],
      [
        { extra: '{}', extra_dejson: { a: 1 } },
        /^The extra and extra_dejson parameters are mutually exclusive\. Please provide only one parameter\.$/,
      ],
      [{ conn_id: 'other_id', conn_type: 'http' }, /^Mismatch conn_id\. The dictionary key has the value: other_id\. The item has the value: bad\.$/],
      [null, /^Unexpected value type: <class 'NoneType'>\. The connection can only be defined using a string or object\.$/],
      [42, /^Unexpected value type: <class 'int'>\./],
      [[['mysql://nested']], /^Unexpected value type: <class 'list'>\./],
    ];
    for (const [value, message] of cases) {
      const backend = await connections('json', JSON.stringify({ good: 'mysql://h', bad: value }));
      const error = await rejection(backend.getConnection('good'));
      expect(error).toBeInstanceOf(ConnectionFormatError);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('LocalFilesystemBackend: .yaml and .yml files', () => {
  it('reports an empty file and a top level that is not a mapping at line 1', async () => {
    expect(await parseErrors((await variables('yaml', '')).getVariable('a'))).toEqual([{ line: 1, message: 'The file is empty.' }]);
    expect(await parseErrors((await variables('yaml', '- a\n- b\n')).getVariable('a'))).toEqual([
      { line: 1, message: 'The file should contain the object.' },
    ]);
    expect(await parseErrors((await variables('yml', '# nothing\n')).getVariable('a'))).toEqual([
      { line: 1, message: 'The file should contain the object.' },
    ]);
  });

  it("reports a syntax error at PyYAML's 0-based line, without quoting the file", async () => {
    const secret = 'pw-91bd-do-not-print';
    const errors = await parseErrors((await variables('yaml', `k: "${secret}"\nother: : value\n`)).getVariable('k'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.line).toBe(1);
    expect(errors[0]?.message).not.toContain(secret);
    expect(errors[0]?.message).toMatch(/^YAML syntax error \(\w+\): /);
  });

  it('refuses what PyYAML refuses and the yaml package would accept: an empty key, an undefined alias', async () => {
    expect((await parseErrors((await variables('yaml', 'a: 1\n: 2\n')).getVariable('a')))[0]?.line).toBe(1);
    expect((await parseErrors((await variables('yaml', 'a: *nowhere\n')).getVariable('a')))[0]?.line).toBe(0);
  });

  it("reads values with PyYAML's YAML 1.1 rules: y/n stay strings, yes is a boolean, last duplicate wins", async () => {
    const backend = await variables(
      'yml',
      'y: y\nn: n\nflag: yes\nnum: 1.0\nint: 7\nmap: {a: 1}\nnull_value: null\nempty_str: ""\ndupe: first\ndupe: second\n',
    );
    expect(await backend.getVariable('y')).toBe('y');
    expect(await backend.getVariable('n')).toBe('n');
    expect(await backend.getVariable('flag')).toBe('true');
    expect(await backend.getVariable('num')).toBe('1.0');
    expect(await backend.getVariable('int')).toBe('7');
    expect(await backend.getVariable('map')).toBe('{"a": 1}');
    expect(await backend.getVariable('null_value')).toBeNull();
    expect(await backend.getVariable('empty_str')).toBe('');
    expect(await backend.getVariable('dupe')).toBe('second');
  });

  it('builds connections from mappings, extra_dejson included', async () => {
    const backend = await connections('yaml', 'api:\n  conn_type: http\n  host: api.example\n  extra_dejson:\n    timeout: 30\n    verify: false\n');
    const connection = await backend.getConnection('api');
    expect(connection).toMatchObject({ connType: 'http', host: 'api.example' });
    expect(connection?.extra).toBe('{"timeout": 30, "verify": false}');
  });
});

describe('LocalFilesystemBackend: files and kwargs', () => {
  it('answers null for every kind when no file is configured', async () => {
    const backend = new LocalFilesystemBackend();
    expect(await backend.getVariable('a')).toBeNull();
    expect(await backend.getConnection('a')).toBeNull();
    expect(await backend.getConfig('a')).toBeNull();
  });

  it('re-reads the file on every lookup', async () => {
    const path = await file('json', '{"a": "one"}');
    const backend = new LocalFilesystemBackend({ variables_file_path: path });
    expect(await backend.getVariable('a')).toBe('one');
    await writeFile(path, '{"a": "two"}', 'utf8');
    expect(await backend.getVariable('a')).toBe('two');
  });

  it('raises UnavailableError for a configured file that is missing', async () => {
    const backend = new LocalFilesystemBackend({ variables_file_path: join(folder, 'absent.json') });
    const error = await rejection(backend.getVariable('a'));
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).where).toBe(join(folder, 'absent.json'));
  });

  it("refuses an unsupported extension with Airflow's message, and takes the extension case-insensitively", async () => {
    const error = await rejection((await variables('txt', 'A=1\n')).getVariable('A'));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe('Unsupported file format. The file must have one of the following extensions: .env .json .yaml .yml');
    expect(await (await variables('JSON', '{"A": "1"}')).getVariable('A')).toBe('1');
  });

  it("refuses an unknown kwarg as Python's cls(**kwargs) does", () => {
    expect(() => new LocalFilesystemBackend({ variable_file_path: '/x.json' })).toThrow(ConfigurationError);
  });

  it('serves configs from configs_file_path, a one-element list included, and refuses two values', async () => {
    const backend = new LocalFilesystemBackend({ configs_file_path: await file('json', '{"sql_alchemy_conn": "sqlite://", "listed": ["one"]}') });
    expect(await backend.getConfig('sql_alchemy_conn')).toBe('sqlite://');
    expect(await backend.getConfig('listed')).toBe('one');
    const twice = new LocalFilesystemBackend({ configs_file_path: await file('json', '{"k": ["a", "b"]}') });
    await expect(twice.getConfig('k')).rejects.toBeInstanceOf(NotUniqueError);
  });

  it("has no get_conn_value, as Airflow's class has none", async () => {
    await expect(new LocalFilesystemBackend().getConnValue('a')).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('pythonJsonDumps', () => {
  it("writes Python's default json.dumps text", () => {
    expect(
      pythonJsonDumps(
        new Map<string, unknown>([
          ['a', 1n],
          ['b', 1.5],
          ['c', [true, null]],
          ['d', 'é\u{1F600}'],
        ]),
      ),
    ).toBe('{"a": 1, "b": 1.5, "c": [true, null], "d": "\\u00e9\\ud83d\\ude00"}');
    expect(pythonJsonDumps(1e16)).toBe('1e+16');
    expect(pythonJsonDumps(Number.NaN)).toBe('NaN');
  });
});
