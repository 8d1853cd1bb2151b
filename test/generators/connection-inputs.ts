/**
 * Seeded connection values for the differential test: URIs built from a small grammar and JSON
 * objects with every field in every type, filled with faker data (several scripts, reserved
 * characters, broken escapes). The same seed always yields the same list, so a divergence found
 * once can be replayed and listed by its exact input.
 */
import { Faker, base, en, fakerAR, fakerDE, fakerEL, fakerJA, fakerRU, fakerZH_CN } from '@faker-js/faker';

export type InputFormat = 'uri' | 'json' | 'value';

export interface ConnectionInput {
  /** `uri`: from_uri / Connection(uri=); `json`: from_json; `value`: the backends' dispatch. */
  format: InputFormat;
  input: string;
  /** Which grammar rule produced it, for the printed breakdown. */
  shape: string;
}

export const DEFAULT_SEED = 20_260_513;

type Pick = <T>(items: readonly T[]) => T;

class InputGrammar {
  private readonly faker: Faker;
  private readonly localFakers: Faker[];
  readonly pick: Pick;

  constructor(seed: number) {
    this.faker = new Faker({ locale: [en, base] });
    this.faker.seed(seed);
    this.localFakers = [fakerDE, fakerRU, fakerJA, fakerEL, fakerAR, fakerZH_CN].map((localised, i) => {
      const local = new Faker({ locale: [localised.rawDefinitions, en, base] });
      local.seed(seed + i + 1);
      return local;
    });
    this.pick = <T>(items: readonly T[]): T => this.faker.helpers.arrayElement(items as T[]);
  }

  chance(probability: number): boolean {
    return this.faker.datatype.boolean({ probability });
  }

  int(min: number, max: number): number {
    return this.faker.number.int({ min, max });
  }

  private localFaker(): Faker {
    return this.pick(this.localFakers);
  }

  /** A word in some script, sometimes with reserved characters or spaces mixed in. */
  word(): string {
    const local = this.localFaker();
    const base = this.pick([
      () => this.faker.internet.username(),
      () => this.faker.lorem.word(),
      () => local.person.firstName(),
      () => local.location.city(),
      () => this.faker.string.alphanumeric({ length: { min: 1, max: 10 } }),
      () => this.faker.internet.password({ length: this.int(4, 16) }),
      () => this.faker.internet.emoji(),
    ])();
    if (!this.chance(0.35)) return base;
    const reserved = this.pick(['/', '@', ':', '%', '+', '?', '#', '&', '=', ' ', ';', '[', ']', '~', '!', "'", '"']);
    const characters = Array.from(base);
    characters.splice(this.int(0, characters.length), 0, reserved);
    return characters.join('');
  }

  /** Percent-encodes some, all or none of the text, or breaks an escape on purpose. */
  encoded(text: string): string {
    const style = this.pick(['raw', 'component', 'component', 'partial', 'broken', 'lower-hex']);
    switch (style) {
      case 'component':
        return encodeURIComponent(text);
      case 'lower-hex':
        return encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
      case 'partial':
        return text.replace(/[/@:?#&=%+ ]/g, (ch) => (this.chance(0.5) ? encodeURIComponent(ch) : ch));
      case 'broken':
        return `${encodeURIComponent(text)}${this.pick(['%', '%z', '%4', '%zz', '%E2%82', '%C3', '%FF', '%ED%A0%80', '%F0%80%80'])}`;
      default:
        return text;
    }
  }

  host(): string {
    return this.pick([
      () => this.faker.internet.domainName(),
      () => this.faker.internet.domainName().toUpperCase(),
      () => `${this.faker.internet.domainWord()}.${this.pick(['Example.COM', 'local', 'internal'])}`,
      () => this.faker.internet.ipv4(),
      () => `[${this.faker.internet.ipv6()}]`,
      () => `[${this.pick(['::1', 'fe80::1%25eth0', 'fe80::1%eTh0', '::ffff:10.0.0.1', '1::2::3', 'v1.fut', 'vz', '10.0.0.1', 'not-ip'])}]`,
      () => `%2F${this.faker.system.directoryPath().slice(1).split('/').join('%2F')}%2F${this.pick(['Socket', 'sock', '.s.PGSQL.5432'])}`,
      () => `%2FTmP%2F${this.word()}`,
      () => encodeURIComponent(this.localFaker().location.city().toLowerCase()),
      () => this.localFaker().location.city(),
      () => this.pick(['', 'localhost', 'HOST', 'h%41st', 'a%2fb', 'münchen.de', 'xn--mnchen-3ya.de', '\u2100evil', 'ho st', 'host%']),
      // Case mappings and NFKC forms where Python and JavaScript could disagree.
      () =>
        this.pick([
          'İSTANBUL.tr',
          'ΟΔΟΣ.gr',
          'STRAẞE.de',
          '\u212Aelvin',
          'ǅungla',
          'Ⅻ.example',
          '𝐀𝐁.math',
          'a\uFF0Fb',
          'x\uFE6By',
          '\u2474host',
          'ＦＵＬＬ.jp',
          'h\u0130%2F',
          'h\ud800st',
        ]),
      () => this.word(),
    ])();
  }

  port(): string {
    return this.pick([
      '',
      '',
      ':',
      ':0',
      ':65535',
      ':65536',
      ':-1',
      ':abc',
      ':٣٣٠٦',
      ':00080',
      ':1e3',
      ': 80',
      // Valid ports weigh more, so that most URIs get past the port and exercise the rest.
      ...Array.from({ length: 8 }, () => `:${this.int(1, 65535)}`),
    ]);
  }

  userinfo(): string {
    const login = this.encoded(this.word());
    const password = this.encoded(this.word());
    return this.pick(['', '', `${login}@`, `${login}:${password}@`, `:${password}@`, '@', `${login}:@`, ':@', `${login}:${password}:x@`]);
  }

  path(): string {
    return this.pick([
      () => '',
      () => '',
      () => '/',
      () => `/${this.encoded(this.word())}`,
      () => `/${this.encoded(this.word())}/${this.word()}`,
      () => `/${this.localFaker().lorem.word()}`,
      () => '/%2Fabs%2Fpath',
      () => '//double',
    ])();
  }

  private jsonish(): string {
    return this.pick([
      '123',
      '-0',
      '1.0',
      '1.5',
      '1e5',
      '1E-7',
      'true',
      'false',
      'null',
      'NaN',
      'Infinity',
      '"quoted"',
      '{"k": "v"}',
      '{"k": 1, "k": 2}',
      '[1, "a", null]',
      '{bad',
      '12345678901234567890123',
      '007',
      ' 42 ',
      '0x10',
    ]);
  }

  queryValue(): string {
    return this.pick([
      () => this.encoded(this.word()),
      () => encodeURIComponent(this.jsonish()),
      () => this.jsonish().replace(/ /g, '+'),
      () => '',
      () => this.word().replace(/ /g, '+'),
    ])();
  }

  extraObject(depth = 0): string {
    const entries: string[] = [];
    const size = this.int(0, depth > 0 ? 3 : 5);
    for (let i = 0; i < size; i += 1) entries.push(`${JSON.stringify(this.word())}: ${this.jsonValue(depth + 1)}`);
    if (this.chance(0.1) && entries.length > 0) entries.push(entries[0] as string);
    return `{${entries.join(this.pick([', ', ',']))}}`;
  }

  /** A JSON value of any type, written as Python or JavaScript would. */
  jsonValue(depth = 0): string {
    const scalar = (): string =>
      this.pick([
        () => JSON.stringify(this.word()),
        () => JSON.stringify(this.localFaker().lorem.sentence()),
        () => String(this.int(-1000, 100_000)),
        () => String(this.faker.number.float({ min: -1000, max: 1000, fractionDigits: this.int(1, 6) })),
        () => this.pick(['1.0', '-0.0', '1e+16', '1e-05', '2.5E3', '0.1', '123456789012345678', '1e400', 'NaN', 'Infinity', '-Infinity']),
        () => this.pick(['true', 'false', 'null']),
        () => this.pick(['"\\u00e9t\\u00e9"', '"\\ud83d\\ude00"', '"line\\nbreak"', '"tab\\t"', '"\\u0000"', '"\\ud800"']),
      ])();
    if (depth >= 2 || this.chance(0.75)) return scalar();
    return this.chance(0.5) ? `[${Array.from({ length: this.int(0, 3) }, () => this.jsonValue(depth + 1)).join(', ')}]` : this.extraObject(depth + 1);
  }

  extraParameter(): string {
    const text = this.pick([
      () => this.extraObject(),
      () => '{}',
      () => this.pick(['5', '[1, 2]', '"text"', 'null', 'true', '{"a": 1,}', 'not json', '{"a": NaN}', '']),
    ])();
    return `__extra__=${this.chance(0.7) ? encodeURIComponent(text) : text.replace(/ /g, '+')}`;
  }

  query(): string {
    if (this.chance(0.4)) return '';
    const fields: string[] = [];
    const count = this.int(1, 5);
    const keys: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const key = this.chance(0.15) && keys.length > 0 ? this.pick(keys) : this.encoded(this.faker.lorem.word());
      keys.push(key);
      fields.push(
        this.pick([() => `${key}=${this.queryValue()}`, () => `${key}=${this.queryValue()}`, () => key, () => `=${this.queryValue()}`, () => ''])(),
      );
    }
    if (this.chance(0.2)) fields.splice(this.int(0, fields.length), 0, this.extraParameter());
    return `?${fields.join(this.pick(['&', '&', '&&', ';']))}`;
  }

  scheme(): string {
    return this.pick([
      'postgres',
      'postgresql',
      'mysql',
      'google-cloud-platform',
      'aws',
      'http',
      'https',
      'spark',
      'redis',
      'my_type',
      'MySQL',
      'x+y',
      'a.b',
      'mssql+pyodbc',
      'ftp',
      '1abc',
      '',
      'sql server',
      'PostgreSQL',
    ]);
  }

  uri(): { input: string; shape: string } {
    const scheme = this.scheme();
    const tail = (): string => `${this.path()}${this.query()}${this.chance(0.05) ? '#frag' : ''}`;
    const shape = this.pick([
      'standard',
      'standard',
      'standard',
      'standard',
      'host-with-protocol',
      'double-scheme',
      'triple-scheme',
      'no-slashes',
      'socket-host',
      'odd-whitespace',
    ]);
    let input: string;
    switch (shape) {
      case 'host-with-protocol':
        input = `${scheme}://${this.chance(0.2) ? this.userinfo() : ''}${this.pick(['k8s', 'http', 'https', scheme, 'tcp'])}://${this.host()}${this.port()}${tail()}`;
        break;
      case 'double-scheme':
        input = `${scheme}://${scheme}://${this.host()}${tail()}`;
        break;
      case 'triple-scheme':
        input = `${scheme}://a://b://${this.host()}`;
        break;
      case 'no-slashes':
        input = `${scheme}:${this.userinfo()}${this.host()}${tail()}`;
        break;
      case 'socket-host':
        input = `${scheme}://${this.userinfo()}%2Fvar%2Frun%2F${this.word()}${this.port()}${tail()}`;
        break;
      case 'odd-whitespace':
        input = `${this.pick([' ', '\t', '\u0001', ''])}${scheme}://${this.userinfo()}${this.host()}${this.pick(['\t', '\n', '\r', ' '])}${this.port()}${tail()}${this.pick([' ', '\t', ''])}`;
        break;
      default:
        input = `${scheme}://${this.userinfo()}${this.host()}${this.port()}${tail()}`;
    }
    return { input, shape: `uri:${shape}` };
  }

  private portJson(): string {
    return this.pick([
      '0',
      '1',
      '"1"',
      '"0"',
      '""',
      'null',
      '-1',
      '65536',
      '1.5',
      '"1.5"',
      '"abc"',
      'true',
      'false',
      '"٣٣٠٦"',
      '" 12 "',
      '"1_000"',
      '1e3',
      '0.5',
      '-0.0',
      'NaN',
      '[1]',
      '{}',
      '[]',
      '"+80"',
      '"8 0"',
      String(this.int(1, 65535)),
      `"${this.int(1, 65535)}"`,
    ]);
  }

  private textJson(kind: 'conn_type' | 'host' | 'login' | 'password' | 'schema' | 'description'): string {
    const typeOdd = this.chance(0.02);
    if (typeOdd) return this.pick(['5', '0', 'true', 'false', '[]', '{}', '["x"]', '1.5']);
    if (this.chance(0.08)) return this.pick(['null', '""']);
    switch (kind) {
      case 'conn_type':
        return JSON.stringify(this.pick(['postgresql', 'postgres', 'google-cloud-platform', 'aws', 'http', 'my-type_x', 'MySQL', 'a-b-c', 'spark']));
      case 'host':
        return JSON.stringify(
          this.pick([
            () => this.faker.internet.domainName(),
            () => `${this.pick(['http', 'k8s', 'https'])}://${this.faker.internet.domainName()}`,
            () => `/tmp/${this.word()}`,
            () => this.localFaker().location.city(),
            () => this.word(),
          ])(),
        );
      case 'password':
        return this.chance(0.03) ? '"\\ud800"' : JSON.stringify(this.word());
      default:
        return JSON.stringify(this.word());
    }
  }

  json(): { input: string; shape: string } {
    const shape = this.pick(['fields', 'fields', 'fields', 'fields', 'uri-key', 'unknown-key', 'not-object', 'broken']);
    if (shape === 'not-object') {
      return { input: this.pick(['[1, 2]', '"postgres://h"', '5', 'null', '[]', 'true']), shape: 'json:not-object' };
    }
    if (shape === 'broken') {
      return {
        input: this.pick(['{', '{"host": }', '{"host": "h",}', '{"host": "h"} x', "{'host': 'h'}", '{"host": "a\u0001b"}', '\ufeff{"host": "h"}']),
        shape: 'json:broken',
      };
    }
    const entries: string[] = [];
    for (const field of ['conn_type', 'host', 'login', 'password', 'schema', 'description'] as const) {
      if (this.chance(0.6)) entries.push(`"${field}": ${this.textJson(field)}`);
    }
    if (this.chance(0.6)) entries.push(`"port": ${this.portJson()}`);
    if (this.chance(0.55)) {
      entries.push(
        `"extra": ${this.pick([
          () => this.extraObject(),
          () => JSON.stringify(this.extraObject()),
          () => this.pick(['null', '""', '{}', '5', '[1, 2]', 'true', '"not json"', '"[1]"', '"null"', '"5"']),
        ])()}`,
      );
    }
    if (shape === 'uri-key') entries.push(`"uri": ${this.pick([JSON.stringify(this.uri().input), 'null', '""', '5', '0'])}`);
    if (shape === 'unknown-key')
      entries.push(`${this.pick(['"conn_id"', '"team_name"', '"extra_dejson"', '"Host"', '"id"'])}: ${this.textJson('login')}`);
    if (this.chance(0.05) && entries.length > 0) entries.push(this.pick(entries));
    this.faker.helpers.shuffle(entries, { inplace: true });
    return { input: `{${entries.join(this.pick([', ', ',', ',\n  ']))}}`, shape: `json:${shape}` };
  }

  value(): { input: string; shape: string } {
    const inner = this.chance(0.5) ? this.uri().input : this.json().input;
    const pad = (): string => this.pick(['', ' ', '\n', '\t \r\n', '\u00a0', '\u2003', '\u3000', '\u001c', '\u0085']);
    if (this.chance(0.1)) return { input: this.pick(['', ' ', '\n\t', '\u00a0\u2003']), shape: 'value:blank' };
    return { input: `${pad()}${inner}${pad()}`, shape: 'value:padded' };
  }
}

/** `count` inputs, roughly 60% URIs, 30% JSON, 10% raw stored values. */
export function generateConnectionInputs(count: number, seed = DEFAULT_SEED): ConnectionInput[] {
  const grammar = new InputGrammar(seed);
  const inputs: ConnectionInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const roll = grammar.int(0, 9);
    if (roll < 6) inputs.push({ format: 'uri', ...grammar.uri() });
    else if (roll < 9) inputs.push({ format: 'json', ...grammar.json() });
    else inputs.push({ format: 'value', ...grammar.value() });
  }
  return inputs;
}
