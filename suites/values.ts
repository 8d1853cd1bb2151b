/**
 * The values the formats suite round-trips: hand-picked traps (reserved URI characters, percent
 * look-alikes, whitespace at the edges, newlines, 8 KB, empty) plus seeded faker text in several
 * scripts. Seeded, so every run and every target sees the same list and a failure reproduces.
 */
import { Faker, de, en, ja, ru } from '@faker-js/faker';
import type { Capability } from './target';

export interface TrickyValue {
  /** Short, value-free label for case names: `reserved URI characters`. */
  readonly label: string;
  readonly text: string;
  /** Capabilities a store needs to hold this value verbatim. */
  readonly needs: readonly Capability[];
}

const EIGHT_KB = 8 * 1024;

function needsFor(text: string): Capability[] {
  const needs: Capability[] = [];
  if (text === '') needs.push('empty-values');
  if (/[\r\n]/.test(text)) needs.push('multiline-values');
  if (text.length >= EIGHT_KB) needs.push('large-values');
  return needs;
}

function value(label: string, text: string): TrickyValue {
  return { label, text, needs: needsFor(text) };
}

const handPicked: readonly TrickyValue[] = [
  value('plain letters and digits', 'Plain123'),
  value('reserved URI characters', '/ @ : % + ? # & ='),
  value('each reserved character doubled', '//@@::%%++??##&&=='),
  value('percent look-alikes', '%41%2F%zz%%2'),
  value('plus signs', 'a+b++c'),
  value('spaces inside', 'two  spaces inside'),
  value('leading and trailing spaces', '  padded  '),
  value('quotes and backslashes', `"double" 'single' \`back\` \\slash`),
  value('JSON-looking text', '{"looks": ["like", "json"]}'),
  value('braces first', '{not json'),
  value('equals signs', 'k=v=w'),
  value('hash first', '#not-a-comment'),
  value('German umlauts', 'Pässwörter-Grüße'),
  value('Japanese', '秘密のパスワード'),
  value('emoji outside the BMP', 'key-🔑-lock-🔒'),
  value('right-to-left script', 'סוד-سر'),
  value('combining accents', 'e\u0301a\u0300'),
  value('tab inside', 'tab\there'),
  value('newline inside', 'line one\nline two'),
  value('CRLF line endings', 'first\r\nsecond\r\n'),
  value('8 KB of text', 'x'.repeat(EIGHT_KB - 16) + '/@:%+?#&'.repeat(2)),
  value('empty string', ''),
];

function fakerText(): TrickyValue[] {
  const locales = [
    ['English', new Faker({ locale: [en], seed: 7 })],
    ['German', new Faker({ locale: [de, en], seed: 11 })],
    ['Japanese', new Faker({ locale: [ja, en], seed: 13 })],
    ['Russian', new Faker({ locale: [ru, en], seed: 17 })],
  ] as const;
  const out: TrickyValue[] = [];
  for (const [name, faker] of locales) {
    out.push(value(`${name} full name`, faker.person.fullName()));
    out.push(value(`${name} street address`, faker.location.streetAddress({ useFullAddress: true })));
  }
  const faker = new Faker({ locale: [en], seed: 23 });
  out.push(value('generated password with symbols', faker.internet.password({ length: 24, pattern: /[\x21-\x7e]/ })));
  out.push(value('generated URL', faker.internet.url()));
  out.push(value('generated sentence', faker.lorem.sentence(12)));
  return out;
}

/** Every value the formats suite round-trips, in a stable order. */
export const trickyValues: readonly TrickyValue[] = [...handPicked, ...fakerText()];

/**
 * How a structured secret (a KV dict, a JSON object, a file object) may hold `extra`: as an object,
 * which Airflow json.dumps once, or as the JSON text itself, which it keeps verbatim (spec §6.4,
 * §5.2). A backend that encodes whatever it finds turns the text into a JSON string of the text.
 */
export interface ExtraShape {
  /** Words for case names; empty for the object, the shape every other case uses. */
  readonly label: string;
  readonly rule: string;
  hold(extra: Record<string, unknown>): unknown;
}

export const extraShapes: readonly ExtraShape[] = [
  { label: '', rule: 'extra given as an object is json.dumps-ed once', hold: (extra) => extra },
  {
    label: 'extra as JSON text',
    rule: 'extra given as text is kept as that JSON text, never encoded again',
    hold: (extra) => JSON.stringify(extra),
  },
];

/** Python's `quote(value, safe="")`-compatible percent-encoding, written independently of the model. */
export function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function isPlainNeighbour(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const code = ch.charCodeAt(0);
  const surrogate = code >= 0xd800 && code <= 0xdfff;
  const combining = code >= 0x0300 && code <= 0x036f;
  return !surrogate && !combining && ch !== '\r' && ch !== '\n';
}

/**
 * Puts the run's canary inside `text` without changing what the value is made to test: its first
 * and last characters, its line breaks, surrogate pairs and combining sequences stay intact.
 */
export function embedCanary(text: string, canary: string): string {
  if (text.length < 2) return text.length === 0 ? text : `${text}${canary}`;
  const middle = Math.floor(text.length / 2);
  for (let offset = 0; offset < text.length; offset += 1) {
    for (const i of [middle + offset, middle - offset]) {
      if (i >= 1 && i <= text.length - 1 && isPlainNeighbour(text[i - 1]) && isPlainNeighbour(text[i])) {
        return `${text.slice(0, i)}${canary}${text.slice(i)}`;
      }
    }
  }
  return `${canary}${text}`;
}
