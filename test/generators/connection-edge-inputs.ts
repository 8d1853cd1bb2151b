/**
 * The differential's grammar: the base grammar of `connection-inputs.ts` (ordinary URIs and JSON
 * objects, which keep everything else honest) plus the edges where a port of Airflow's parser can
 * part from Airflow on an input nobody would type by hand:
 *   - ports past 2^53, past 4300 digits, as floats, as digit strings in other scripts;
 *   - whitespace and control characters around and inside a port (Python's int() and str.strip()
 *     disagree on U+001C-U+001F);
 *   - JSON nested up to and past Python's recursion limit, in every place a document is read;
 *   - characters assigned after Unicode 14.0 (Python 3.11's tables) in lower-cased places;
 *   - JSON fields of every type, under escaped and repeated keys, and the same keys nested in extra.
 * The base grammar's draws are untouched (reference-vs-airflow replays them by seed): the edges draw
 * from the same random source only after a base input has been chosen or not.
 */
import { InputGrammar, type ConnectionInput, type InputFormat } from './connection-inputs';

type Generated = { format: InputFormat; input: string; shape: string };

/** Characters whose lower-case mapping Node's ICU knows and Python 3.11's Unicode 14.0 does not. */
const CASED_AFTER_UNICODE_14 = [
  0x1c89, 0xa7cb, 0xa7cc, 0xa7ce, 0xa7d2, 0xa7d4, 0xa7da, 0xa7dc, 0x10d50, 0x10d5a, 0x10d65, 0x16ea0, 0x16eab, 0x16eb8,
].map((codePoint) => String.fromCodePoint(codePoint));
/** Other newer characters: digits of later scripts, and letters whose NFKC form changed meaning. */
const OTHER_NEW_CHARACTERS = [
  '\u{11f50}',
  '\u{11f59}',
  '\u{1e4f1}',
  '\u{10d40}',
  '\u{1ccf3}',
  '\u{1ccd6}',
  '\u{1e030}',
  '\ua7f1',
  '\u{10d70}',
  '\ua7cd',
  '\u{16ebb}',
];
/** Zero of some decimal digit runs Python 3.11's int() reads (ASCII, Arabic-Indic, fullwidth, Mathematical). */
const DIGIT_ZEROS = [0x30, 0x660, 0x6f0, 0x966, 0xff10, 0x1d7ce, 0x1e950];
/** Around a port: Python int() skips the first six only among ASCII; str.strip() skips the next four too. */
const PORT_SPACING = [
  '\t',
  '\n',
  '\u000b',
  '\u000c',
  '\r',
  ' ',
  '\u001c',
  '\u001d',
  '\u001e',
  '\u001f',
  '\u0000',
  '\u0001',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u1680',
  '\u180e',
  '\u2000',
  '\u200a',
  '\u200b',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
  '_',
  '+',
  '-',
];
/** JSON values of every type, for fields Airflow does not type-check. */
const ODD_JSON_VALUES = [
  'null',
  '""',
  '" "',
  '0',
  '1',
  '-0',
  '0.0',
  '-0.0',
  '1.5',
  'true',
  'false',
  '[]',
  '{}',
  '["x"]',
  '["://"]',
  '[0]',
  '{"a": 1}',
  '{"": ""}',
  'NaN',
  'Infinity',
  '-Infinity',
  '9007199254740993',
  '"0"',
  '"h"',
];
const TEXT_FIELDS = ['conn_type', 'host', 'login', 'password', 'schema', 'description'] as const;

export class EdgeInputGrammar extends InputGrammar {
  private digitsIn(text: string, zero: number): string {
    return text.replace(/[0-9]/g, (digit) => String.fromCodePoint(zero + Number(digit)));
  }

  private digitString(length: number): string {
    let digits = String(this.int(1, 9));
    while (digits.length < length) digits += String(this.int(0, 9));
    return digits;
  }

  /** An integer beyond 2^53, around it, or far past it (4300 digits is Python's int() limit). */
  private bigInteger(): string {
    const sign = this.chance(0.15) ? '-' : '';
    return `${sign}${this.pick([
      () => String(2n ** 53n + BigInt(this.int(-2, 3))),
      () => String(2n ** 63n + BigInt(this.int(-1, 1))),
      () => String(2n ** 64n + BigInt(this.int(-1, 1))),
      () => `1${'0'.repeat(this.int(15, 40))}`,
      () => this.digitString(this.int(16, 60)),
      () => this.digitString(this.pick([4299, 4300, 4301])),
    ])()}`;
  }

  private bigPortJson(): string {
    const integer = this.bigInteger();
    return this.pick([
      () => integer,
      () => JSON.stringify(integer),
      () => JSON.stringify(integer.replace(/(\d{3})(?=\d)/g, (group) => (this.chance(0.5) ? `${group}_` : group))),
      () => JSON.stringify(` ${integer}\u00a0`),
      () => JSON.stringify(this.digitsIn(integer, this.pick(DIGIT_ZEROS))),
      () => this.pick(['1e20', '9007199254740993.0', '1.5e300', '1e308', '1e309', '-1e400', '4.0e15', '1e16', '123456789012345678.9']),
    ])();
  }

  private spacedPort(): string {
    const port = String(this.int(0, 65535));
    const digits = this.chance(0.3) ? this.digitsIn(port, this.pick(DIGIT_ZEROS)) : port;
    const space = (): string => this.pick(PORT_SPACING);
    return this.pick([
      () => `${space()}${digits}`,
      () => `${digits}${space()}`,
      () => `${space()}${digits}${space()}`,
      () => `${digits.slice(0, 1)}${space()}${digits.slice(1)}`,
      () => `${space()}${space()}${digits}${space()}${this.pick(['\u00a0', '\u0085', '\u2003'])}`,
    ])();
  }

  /** A few ordinary fields to keep a port or a deep value company. */
  private companions(): string[] {
    const fields: string[] = [];
    if (this.chance(0.6)) fields.push(`"conn_type": ${JSON.stringify(this.pick(['postgres', 'http', 'my-type', 'aws']))}`);
    if (this.chance(0.6)) fields.push(`"host": ${JSON.stringify(this.chance(0.5) ? 'db.example.com' : this.word())}`);
    if (this.chance(0.4)) fields.push(`"login": ${JSON.stringify(this.word())}`);
    if (this.chance(0.3)) fields.push(`"password": ${JSON.stringify(this.word())}`);
    if (this.chance(0.3)) fields.push(`"extra": ${this.extraObject()}`);
    return fields;
  }

  private objectOf(fields: string[]): string {
    const shuffled = [...fields];
    for (let i = shuffled.length - 1; i > 0; i -= 1) {
      const j = this.int(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
    }
    return `{${shuffled.join(this.pick([', ', ',', ',\n  ']))}}`;
  }

  /** As the backends read it: padded, stripped, then JSON or URI. Or as from_json / from_uri. */
  private stored(input: string, direct: InputFormat, shape: string): Generated {
    if (!this.chance(0.25)) return { format: direct, input, shape };
    const pad = (): string => this.pick(['', ' ', '\n', '\u001c', '\u001f', '\u0085', '\u00a0', '\u3000', '\u200b', '\ufeff']);
    return { format: 'value', input: `${pad()}${input}${pad()}`, shape };
  }

  bigPort(): Generated {
    return this.pick([
      () => this.stored(this.objectOf([...this.companions(), `"port": ${this.bigPortJson()}`]), 'json', 'edge:port-big:json'),
      () =>
        this.stored(
          `${this.scheme()}://${this.userinfo()}${this.host()}:${this.bigInteger().replace('-', '')}${this.path()}`,
          'uri',
          'edge:port-big:uri',
        ),
      () => this.stored(`{"uri": ${JSON.stringify(`postgres://h:${this.bigInteger()}/db`)}}`, 'json', 'edge:port-big:uri-key'),
    ])();
  }

  spacedPortInput(): Generated {
    const port = this.spacedPort();
    return this.pick([
      () => this.stored(this.objectOf([...this.companions(), `"port": ${JSON.stringify(port)}`]), 'json', 'edge:port-space:json'),
      // Raw control characters inside a JSON string are a decode error in both: rarer.
      () =>
        this.chance(0.3)
          ? this.stored(`{"port": "${port.replace(/["\\]/g, '')}"}`, 'json', 'edge:port-space:json-raw')
          : this.stored(`{"port": ${JSON.stringify(port)}}`, 'json', 'edge:port-space:json'),
      () => this.stored(`${this.scheme()}://${this.userinfo()}${this.host()}:${port}${this.path()}${this.query()}`, 'uri', 'edge:port-space:uri'),
      () => this.stored(`${this.scheme()}://${this.host()}:${this.int(1, 65535)}${this.path()}`, 'value', 'edge:port-space:padded'),
    ])();
  }

  /** `depth` levels of arrays and objects around a scalar. */
  private nested(depth: number): string {
    const objects = this.pick([0, 0, 0.3, 1]);
    const scalar = this.pick(['1', '"x"', 'null', '[]', '{}', '1.5']);
    let open = '';
    let close = '';
    for (let level = 0; level < depth; level += 1) {
      if (this.chance(objects)) {
        open += '{"k": ';
        close = `}${close}`;
      } else {
        open += '[';
        close = `]${close}`;
      }
    }
    return depth === 0 ? scalar : `${open}${this.chance(0.8) ? scalar : ''}${close}`;
  }

  private depth(): number {
    return this.pick([
      () => this.int(1, 50),
      () => this.int(500, 960),
      () => this.int(960, 1005),
      () => this.int(960, 1005),
      () => this.int(975, 1002),
      () => this.pick([998, 999, 1000, 1001]),
    ])();
  }

  deepNesting(): Generated {
    const depth = this.depth();
    const queryText = (json: string): string => (this.chance(0.7) ? encodeURIComponent(json) : json.replace(/ /g, '+'));
    return this.pick([
      () =>
        this.stored(this.objectOf([`"conn_type": "http"`, `"extra": {"a": ${this.nested(Math.max(depth - 2, 0))}}`]), 'json', 'edge:deep:json-extra'),
      () =>
        this.stored(
          this.objectOf([
            ...this.companions().filter((f) => !f.startsWith('"extra"')),
            `"extra": ${JSON.stringify(`{"a": ${this.nested(Math.max(depth - 1, 0))}}`)}`,
          ]),
          'json',
          'edge:deep:json-extra-text',
        ),
      () => this.stored(`{"extra": ${JSON.stringify(this.nested(depth))}}`, 'json', 'edge:deep:json-extra-text'),
      () =>
        this.stored(
          `{"${this.pick(['port', 'host', 'login', 'description', 'schema', 'nope'])}": ${this.nested(Math.max(depth - 1, 0))}}`,
          'json',
          'edge:deep:json-field',
        ),
      () =>
        this.stored(
          `${this.scheme()}://${this.host()}/db?__extra__=${queryText(`{"a": ${this.nested(Math.max(depth - 1, 0))}}`)}`,
          'uri',
          'edge:deep:uri-extra',
        ),
      () => this.stored(`${this.scheme()}://${this.host()}/db?__extra__=${queryText(this.nested(depth))}`, 'uri', 'edge:deep:uri-extra'),
      () => this.stored(`${this.scheme()}://${this.host()}/db?a=1&deep=${queryText(this.nested(depth))}`, 'uri', 'edge:deep:uri-query'),
    ])();
  }

  private newCharacter(): string {
    return this.chance(0.7) ? this.pick(CASED_AFTER_UNICODE_14) : this.pick(OTHER_NEW_CHARACTERS);
  }

  /** Text with a character Python 3.11 does not know, and sometimes its lower-case partner. */
  private withNewCharacters(text: string): string {
    const characters = Array.from(text);
    for (let n = this.int(1, 3); n > 0; n -= 1) characters.splice(this.int(0, characters.length), 0, this.newCharacter());
    if (this.chance(0.2)) characters.push(this.newCharacter().toLowerCase());
    return characters.join('');
  }

  newUnicode(): Generated {
    const hostText = this.withNewCharacters(this.pick(['db.example.com', 'HOST', 'münchen.DE', 'a', '']));
    const jsonText = (text: string): string =>
      this.chance(0.4)
        ? JSON.stringify(text)
        : JSON.stringify(text).replace(/[^\u0000-\u007f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return this.pick([
      () =>
        this.stored(`${this.scheme()}://${this.userinfo()}${hostText}${this.port()}${this.path()}${this.query()}`, 'uri', 'edge:unicode:uri-host'),
      () =>
        this.stored(
          `${this.scheme()}://${this.chance(0.5) ? this.withNewCharacters('user') : 'user'}:${this.withNewCharacters('pw')}@${this.chance(0.5) ? encodeURIComponent(hostText) : 'h'}/${this.withNewCharacters('Db')}?${this.withNewCharacters('K')}=${this.withNewCharacters('V')}`,
          'uri',
          'edge:unicode:uri-other',
        ),
      () =>
        this.stored(
          `${this.pick(['k8s', 'spark'])}://${this.pick(['http', 'tcp'])}://${hostText}:${this.int(1, 65535)}`,
          'uri',
          'edge:unicode:uri-protocol-host',
        ),
      () =>
        this.stored(
          this.objectOf([
            `"conn_type": ${jsonText(this.withNewCharacters(this.pick(['my-type', 'HTTP', 'x'])))}`,
            `"host": ${jsonText(hostText)}`,
            ...(this.chance(0.5) ? [`"port": ${jsonText(this.withNewCharacters(''))}`] : []),
          ]),
          'json',
          'edge:unicode:json',
        ),
      () =>
        this.stored(
          `{"conn_type": "x", "port": ${JSON.stringify(this.digitsIn(String(this.int(1, 9999)), this.pick([0x11f50, 0x1e4f0, 0x10d40, 0x1ccf0])))}}`,
          'json',
          'edge:unicode:json-new-digits',
        ),
    ])();
  }

  private jsonKey(field: string): string {
    if (!this.chance(0.15)) return `"${field}"`;
    // The same key escaped: json.loads decodes it before Airflow sees it.
    const at = this.int(0, field.length - 1);
    return `"${field.slice(0, at)}\\u${field.charCodeAt(at).toString(16).padStart(4, '0')}${field.slice(at + 1)}"`;
  }

  oddJsonTypes(): Generated {
    const fields: string[] = [];
    const oddValue = (): string => this.pick(ODD_JSON_VALUES);
    for (const field of TEXT_FIELDS) {
      if (this.chance(0.4)) fields.push(`${this.jsonKey(field)}: ${this.chance(0.6) ? oddValue() : JSON.stringify(this.word())}`);
    }
    if (fields.length === 0) fields.push(`${this.jsonKey(this.pick(TEXT_FIELDS))}: ${oddValue()}`);
    if (this.chance(0.3)) fields.push(`"port": ${this.pick([...ODD_JSON_VALUES, '5432', '"5432"'])}`);
    if (this.chance(0.3)) {
      // The text fields' names nested in extra are extra's business, not the connection's.
      fields.push(`"extra": ${this.pick([() => `{"${this.pick(TEXT_FIELDS)}": ${oddValue()}}`, oddValue, () => this.extraObject()])()}`);
    }
    if (this.chance(0.1)) fields.push(`"uri": ${this.pick(['0', 'false', '[]', '""', '5', JSON.stringify('mysql://u:p@h:1/db')])}`);
    if (this.chance(0.15)) {
      // A repeated key: the last one wins, whatever the types.
      const field = this.pick(TEXT_FIELDS);
      fields.push(`"${field}": ${oddValue()}`, `"${field}": ${this.chance(0.5) ? oddValue() : JSON.stringify(this.word())}`);
    }
    if (this.chance(0.05)) fields.push(`${this.pick(['"team_name"', '"Host"', '"conn_id"'])}: ${oddValue()}`);
    return this.stored(this.objectOf(fields), 'json', 'edge:json-types');
  }

  /** One input: most from the base grammar, the rest spread over the edges. */
  next(): ConnectionInput {
    const roll = this.int(0, 99);
    if (roll < 54) {
      const base = this.int(0, 9);
      if (base < 6) return { format: 'uri', ...this.uri() };
      if (base < 9) return { format: 'json', ...this.json() };
      return { format: 'value', ...this.value() };
    }
    if (roll < 62) return this.bigPort();
    if (roll < 72) return this.spacedPortInput();
    // Few but costly (a thousand levels each, on both sides): enough to cover the band.
    if (roll < 78) return this.deepNesting();
    if (roll < 88) return this.newUnicode();
    return this.oddJsonTypes();
  }
}

/** `count` inputs for the differential: about half the base grammar, half its edges. Same seed, same list. */
export function generateDifferentialInputs(count: number, seed: number): ConnectionInput[] {
  const grammar = new EdgeInputGrammar(seed);
  return Array.from({ length: count }, () => grammar.next());
}
