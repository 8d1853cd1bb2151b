/**
 * Differential test of model/connection/python-json-loads.ts and python-json-dumps.ts against the Python that Airflow runs
 * (.cache/airflow-venv, CPython 3.11 with the C scanner): the same texts go through `json.loads`
 * then `json.dumps` on both sides. A decode error must agree on `msg`, `pos`, `lineno` and `colno`;
 * a parsed document must dump to the same text, which also checks ints vs floats, `repr(float)`,
 * duplicate keys and ensure_ascii escapes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pyJsonDumps } from '../model/connection/python-json-dumps';
import { pyJsonLoads, PythonJsonError } from '../model/connection/python-json-loads';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const airflowPython = process.env.ASC_AIRFLOW_PYTHON ?? resolve(repoRoot, '.cache/airflow-venv/bin/python');
const GENERATED_COUNT = 4000;
const SEED = 20_260_310;
const PYTHON_TIMEOUT_MS = 120_000;

/** One line per input: what `json.loads` + `json.dumps` did, in a form both sides can print. */
const PYTHON_SIDE = `
import json, sys
assert json.scanner.make_scanner is json.scanner.c_make_scanner, "the C scanner is not built"
for line in sys.stdin:
    text = json.loads(line)
    try:
        out = ["ok", json.dumps(json.loads(text))]
    except json.JSONDecodeError as e:
        out = ["decode", e.msg, e.pos, e.lineno, e.colno]
    except ValueError as e:
        out = ["value", str(e).split("; use sys.set_int_max_str_digits")[0]]
    except RecursionError as e:
        out = ["recursion", str(e)]
    print(json.dumps(out))
`;

type Outcome = [string, ...Array<string | number>];

function ours(text: string): Outcome {
  try {
    return ['ok', pyJsonDumps(pyJsonLoads(text))];
  } catch (error) {
    if (!(error instanceof PythonJsonError)) throw error;
    if (error.decodeError) return ['decode', error.msg, error.position, error.lineno, error.colno];
    return [error.msg.startsWith('maximum recursion') ? 'recursion' : 'value', error.msg];
  }
}

function askPython(texts: readonly string[]): Outcome[] {
  const run = spawnSync(airflowPython, ['-c', PYTHON_SIDE], {
    input: texts.map((text) => `${JSON.stringify(text)}\n`).join(''),
    encoding: 'utf8',
    timeout: PYTHON_TIMEOUT_MS,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`python exited with ${run.status}: ${run.stderr.slice(-2000)}`);
  return run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Outcome);
}

/** mulberry32: small, seeded, the same sequence on every machine. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HAND_PICKED = [
  '"\\x"',
  '"a\\',
  '"\\u12"',
  '"\\u1234',
  '"\\u123g"',
  '"\\ud800\\u12"',
  '"\\ud800\\uzzzz"',
  '"\\ud800\\u12',
  '"\\ud800\\udc00"',
  '"\\ud800\\ud800"x',
  '"\\udc00"',
  '"a\u0001"',
  '"ab',
  '"\u007f\u0080"',
  '[1e]',
  '1e',
  '1e+',
  '[1e+]',
  '[1.]',
  '1.',
  '-',
  '[-]',
  '-0',
  '-0.0',
  '0e0',
  '1E+2',
  '[01]',
  '1.5e300',
  '1e400',
  '-1e400',
  '{"a":1,}',
  '[1,]',
  '{"a" 1}',
  '{"a":}',
  '{,}',
  '[,]',
  '{"a":1 "b":2}',
  '',
  ' ',
  '\n\n  ',
  'nul',
  'NaN',
  '-Infinity',
  'Infinityx',
  '\ufeff{}',
  ' \ufeff{}',
  '{} x',
  '{"a":\n  x}',
  '{"b": 1, "10": NaN, "a": -Infinity, "b": 2}',
  '{"\\u00e9": "\u00e9\u{1F600}"}',
  `[${'1'.repeat(4300)}]`,
  `[-${'1'.repeat(4301)}]`,
  `[${'1'.repeat(4301)}.5]`,
  '['.repeat(1100),
  '{"a":'.repeat(1100),
];

const FRAGMENTS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ':',
  ',',
  '\\',
  '\\u',
  'e',
  'E',
  '.',
  '-',
  '+',
  '0',
  '7',
  ' ',
  '\n',
  '\t',
  '\u0001',
  'n',
  'N',
  'I',
  'é',
  '\ud83d',
];

/** Valid documents with random whitespace, some then broken by one edit. */
function generateTexts(count: number, seed: number): string[] {
  const random = randomSource(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const space = (): string => (random() < 0.7 ? '' : pick([' ', '\n', '\t', '\r\n', '  \n ']));
  const float = (): string => {
    const bits = new DataView(new ArrayBuffer(8));
    bits.setUint32(0, Math.floor(random() * 2 ** 32));
    bits.setUint32(4, Math.floor(random() * 2 ** 32));
    const value = bits.getFloat64(0);
    return Number.isFinite(value) ? String(value) : pick(['NaN', 'Infinity', '-Infinity']);
  };
  const string = (): string => {
    const parts = Array.from({ length: Math.floor(random() * 5) }, () =>
      pick(['a', 'key', 'é', '\\n', '\\"', '\\\\', '\\/', '\\u00e9', '\\ud83d\\ude00', '\\ud800', '\u{1F600}', '\u2028', ' ']),
    );
    return `"${parts.join('')}"`;
  };
  const value = (depth: number): string => {
    const roll = random();
    if (depth < 4 && roll < 0.2) {
      const members = Array.from(
        { length: Math.floor(random() * 4) },
        () => `${space()}${pick([string(), '"k"', '"k"'])}${space()}:${space()}${value(depth + 1)}${space()}`,
      );
      return `{${members.join(',')}}`;
    }
    if (depth < 4 && roll < 0.35)
      return `[${Array.from({ length: Math.floor(random() * 4) }, () => `${space()}${value(depth + 1)}${space()}`).join(',')}]`;
    if (roll < 0.5) return string();
    if (roll < 0.65) return float();
    if (roll < 0.75) return String(Math.floor(random() * 2000) - 1000) + pick(['', '', '0000000000000000000000']);
    if (roll < 0.85) return pick(['1.0', '-0.0', '1e16', '1e-5', '0.0001', '2.5E3', '1E+2', '123456789012345678901234567890']);
    return pick(['null', 'true', 'false', 'NaN', 'Infinity', '-Infinity']);
  };
  return Array.from({ length: count }, () => {
    const text = `${space()}${value(0)}${space()}`;
    const edit = random();
    if (edit < 0.4 || text.length === 0) return text;
    const at = Math.floor(random() * text.length);
    if (edit < 0.6) return text.slice(0, at) + text.slice(at + 1);
    if (edit < 0.8) return text.slice(0, at) + pick(FRAGMENTS) + text.slice(at);
    return text.slice(0, at);
  });
}

describe('Python json port against CPython 3.11 (differential)', () => {
  it(`agrees with json.loads/json.dumps on ${HAND_PICKED.length} edge cases and ${GENERATED_COUNT} generated texts`, (ctx) => {
    if (!existsSync(airflowPython)) {
      const note = `not run: Airflow venv missing at ${airflowPython}; run npm run servers:install`;
      if (process.env.CI === 'true') throw new Error(note);
      ctx.skip(note);
      return;
    }
    const texts = [...HAND_PICKED, ...generateTexts(GENERATED_COUNT, SEED)];
    const theirs = askPython(texts);
    expect(theirs).toHaveLength(texts.length);
    const disagreements = texts.flatMap((text, index) => {
      const mine = ours(text);
      return JSON.stringify(mine) === JSON.stringify(theirs[index])
        ? []
        : [`${JSON.stringify(text)}\n    ours ${JSON.stringify(mine)}\n    python ${JSON.stringify(theirs[index])}`];
    });
    const kinds = new Map<string, number>();
    for (const outcome of theirs) kinds.set(String(outcome[0]), (kinds.get(String(outcome[0])) ?? 0) + 1);
    console.log(
      `python-json differential (seed ${SEED}): ${texts.length} texts, ${[...kinds].map(([kind, n]) => `${kind}=${n}`).join(' ')}, disagreements ${disagreements.length}`,
    );
    expect(disagreements.slice(0, 20)).toEqual([]);
    // Both sides must have met every outcome, or the generator stopped exercising the error paths.
    expect([...kinds.keys()].sort()).toEqual(['decode', 'ok', 'recursion', 'value']);
  });
});
