/**
 * One parser per format of Airflow's secret files (`_parse_env_file`, `_parse_json_file`,
 * `_parse_yaml_file`): text in, entries and Airflow's line-numbered syntax errors out. No file
 * access here, so the fixtures and mutants can use the same rules on text they hold.
 */
import { CST, Parser, parseDocument, visit, type Document, type ScalarTag, type Tags } from 'yaml';
import { pyJsonLoads, PythonJsonError } from '../../model/connection/python-json-loads';
import type { FileSyntaxError } from '../../model/errors';

/** What a parser hands back: keys as the format produced them (YAML keys need not be strings). */
export type ParsedSecrets = Map<unknown, unknown>;

export interface ParseResult {
  secrets: ParsedSecrets;
  errors: FileSyntaxError[];
}

/** Python's `str.splitlines()` boundaries. */
const PYTHON_LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python's `re` `\s` for str patterns, for `COMMENT_PATTERN = re.compile(r"\s*#.*")`. */
const PYTHON_COMMENT_LINE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*#/;

/** Whether `_parse_env_file` skips the line as a comment. */
export function isEnvCommentLine(line: string): boolean {
  return PYTHON_COMMENT_LINE.test(line);
}

export function pythonSplitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(PYTHON_LINE_BREAK);
  if (PYTHON_LINE_BREAK.test(text.slice(-1))) lines.pop();
  return lines;
}

/** `_parse_env_file`: KEY=VALUE split on the first `=`, nothing trimmed, every key a list. */
export function parseEnvText(text: string): ParseResult {
  const secrets: Map<unknown, string[]> = new Map();
  const errors: FileSyntaxError[] = [];
  pythonSplitLines(text).forEach((line, index) => {
    const lineNumber = index + 1;
    if (line === '' || isEnvCommentLine(line)) return;
    const separator = line.indexOf('=');
    if (separator === -1) {
      errors.push({ line: lineNumber, message: 'Invalid line format. The line should contain at least one equal sign ("=").' });
      return;
    }
    const key = line.slice(0, separator);
    const value = line.slice(separator + 1);
    if (key === '') {
      errors.push({ line: lineNumber, message: 'Invalid line format. Key is empty.' });
      return;
    }
    if (value === '') {
      errors.push({ line: lineNumber, message: 'Invalid line format. Value is empty.' });
      return;
    }
    const values = secrets.get(key) ?? [];
    values.push(value);
    secrets.set(key, values);
  });
  return { secrets, errors };
}

/** `_parse_json_file`: Python's `json.loads`, a JSONDecodeError reported as its `msg` at its `lineno`. */
export function parseJsonText(text: string): ParseResult {
  if (text === '') return { secrets: new Map(), errors: [{ line: 1, message: 'The file is empty.' }] };
  let parsed: unknown;
  try {
    parsed = pyJsonLoads(text);
  } catch (error) {
    // The ValueError of an over-long integer and a RecursionError escape Airflow's handler too.
    if (!(error instanceof PythonJsonError) || !error.decodeError) throw error;
    return { secrets: new Map(), errors: [{ line: error.lineno, message: error.msg }] };
  }
  if (!(parsed instanceof Map)) return { secrets: new Map(), errors: [{ line: 1, message: 'The file should contain the object.' }] };
  return { secrets: parsed, errors: [] };
}

/**
 * PyYAML 1.1's booleans. The `yaml` package's YAML 1.1 schema also reads `y`/`n` as booleans;
 * PyYAML (and so Airflow) reads them as strings.
 */
const PYYAML_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PYYAML_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;

function withPyyamlBooleans(tags: Tags): Tags {
  const isBooleanTag = (tag: Tags[number]): tag is ScalarTag =>
    typeof tag === 'object' && tag.tag === 'tag:yaml.org,2002:bool' && !('collection' in tag && tag.collection);
  return tags.map((tag) => (isBooleanTag(tag) ? { ...tag, test: tag.identify?.(true) ? PYYAML_TRUE : PYYAML_FALSE } : tag));
}

/**
 * `_parse_yaml_file`: `yaml.safe_load`, the top level a mapping, duplicate keys keep the last.
 *
 * Syntax errors keep Airflow's line rule: `problem_mark.line`, 0-based. The message cannot be
 * PyYAML's: the `yaml` package detects problems with its own wording and sometimes at another
 * position. PyYAML's `str(MarkedYAMLError)` also quotes the offending source line, which can hold a
 * secret; ours gives the `yaml` package's error code and first sentence, never file content.
 */
export function parseYamlText(text: string): ParseResult {
  if (text === '') return { secrets: new Map(), errors: [{ line: 1, message: 'The file is empty.' }] };
  const document = parseDocument(text, {
    version: '1.1',
    intAsBigInt: true,
    uniqueKeys: false,
    merge: true,
    prettyErrors: false,
    customTags: withPyyamlBooleans,
  });
  const problems: YamlProblem[] = [
    ...document.errors.map((error) => ({ offset: error.pos[0], code: error.code, message: valueFreeText(error.message) })),
    ...problemsOnlyPyyamlReports(text, document),
  ];
  const first = problems.sort((a, b) => a.offset - b.offset)[0];
  if (first) {
    const line = first.offset >= 0 ? lineOfOffset(text, first.offset, '\n\x85\u2028\u2029') - 1 : -1;
    return { secrets: new Map(), errors: [{ line, message: `YAML syntax error (${first.code}): ${first.message}` }] };
  }
  let parsed: unknown;
  try {
    parsed = document.toJS({ mapAsMap: true });
  } catch (error) {
    // Alias expansion past the `yaml` package's resource limit, or a merge of a non-mapping.
    return {
      secrets: new Map(),
      errors: [{ line: -1, message: `YAML document cannot be expanded: ${valueFreeText(String((error as Error).message))}` }],
    };
  }
  if (!(parsed instanceof Map)) return { secrets: new Map(), errors: [{ line: 1, message: 'The file should contain the object.' }] };
  return { secrets: parsed, errors: [] };
}

interface YamlProblem {
  offset: number;
  code: string;
  message: string;
}

/**
 * Two things the `yaml` package accepts and PyYAML refuses, found by comparing both on mutated
 * files: a block-mapping entry with no key (`: value` at the start of a line) and an alias whose
 * anchor is not defined before it.
 */
function problemsOnlyPyyamlReports(text: string, document: Document): YamlProblem[] {
  const problems: YamlProblem[] = [];
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item, path) => {
      if (item.key !== null || !item.sep || item.start.some((source) => source.type === 'explicit-key-ind')) return;
      if (CST.visit.parentCollection(token, path).type !== 'block-map') return;
      const indicator = item.sep.find((source) => source.type === 'map-value-ind');
      if (indicator) problems.push({ offset: indicator.offset, code: 'EMPTY_KEY', message: 'did not find expected key' });
    });
  }
  visit(document, {
    Alias(_key, alias) {
      if (alias.resolve(document) !== undefined) return undefined;
      problems.push({ offset: alias.range?.[0] ?? -1, code: 'UNDEFINED_ALIAS', message: 'found undefined alias' });
      return visit.BREAK;
    },
  });
  return problems;
}

/** The first clause of a message, cut before anything quoted or listed, where file content would be. */
function valueFreeText(message: string): string {
  const cut = message.search(/["'`]|: /);
  return (cut === -1 ? message : message.slice(0, cut)).trim();
}

/** 1-based line of `offset`, counting the given line-break characters before it. */
function lineOfOffset(text: string, offset: number, breaks: string): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let index = 0; index < end; index += 1) if (breaks.includes(text[index] as string)) line += 1;
  return line;
}
