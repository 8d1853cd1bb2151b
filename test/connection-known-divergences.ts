/**
 * Where our connection model may disagree with Airflow 3.3.2 on the differential's inputs, and why.
 * test/connection-differential.test.ts fails on any other disagreement, and on a group here that
 * explains none of the generated inputs, so the list stays true.
 *
 * A group does not match the input by its look alone: it re-derives the cause from the input (the
 * parsed top-level keys, the characters, the nesting) and checks that the outcomes differ in exactly
 * the way that cause explains, so a second, unrelated difference in the same input still fails.
 */
import { pythonStrip } from '../model/connection/python-builtins';
import type { ParserFlavour } from '../model/connection/connection';
import { pyJsonDumps } from '../model/connection/python-json-dumps';
import { pyJsonLoads } from '../model/connection/python-json-loads';
import { pyTruthy, type PyDict, type PyValue } from '../model/connection/python-values';
import { quote, unquote } from '../model/connection/python-url';
import type { ConnectionInput } from './generators/connection-inputs';
import { difference, type Outcome } from './support/connection-outcomes';

export interface DivergenceCase {
  readonly input: ConnectionInput;
  readonly parser: ParserFlavour;
  readonly ours: Outcome;
  readonly theirs: Outcome;
  /** Our outcome for another JSON text, same flavour. */
  readonly oursForJson: (json: string) => Outcome;
}

export interface KnownDivergence {
  readonly id: string;
  readonly parsers: readonly ParserFlavour[];
  readonly reason: string;
  readonly explains: (c: DivergenceCase) => boolean;
}

const BOTH: readonly ParserFlavour[] = ['sdk', 'core'];

/** The outcome of the parse alone. */
function withoutUri(outcome: Outcome): Outcome {
  const { uri: _uri, uriError: _uriError, ...parsed } = outcome;
  return parsed;
}

// ---- JSON text fields holding something else than text -------------------------------------------

const TEXT_FIELDS = ['conn_type', 'description', 'host', 'login', 'password', 'schema'] as const;
type TextField = (typeof TEXT_FIELDS)[number];

/** The top-level object a JSON input is read as (the backends strip first), or null. */
function topLevelObject(input: ConnectionInput): PyDict | null {
  if (input.format === 'uri') return null;
  const text = input.format === 'value' ? pythonStrip(input.input) : input.input;
  if (input.format === 'value' && !text.startsWith('{')) return null;
  try {
    const document = pyJsonLoads(text);
    return document instanceof Map ? document : null;
  } catch {
    return null;
  }
}

/**
 * The top-level text fields that Airflow keeps as the JSON value given (from_json passes them to the
 * constructor as they are) and our model refuses. Not a falsy conn_type or core password: from_json
 * drops the one and core's setter the other, as ours do. Not a truthy core password, nor a truthy
 * conn_type but a list or object without a "-" member: Airflow raises on those at parse time
 * (`quote()` in the core constructor; `"-" in 5` or `.replace` in `_normalize_conn_type`), as we do.
 */
function keptNonText(document: PyDict, parser: ParserFlavour): TextField[] {
  return TEXT_FIELDS.filter((field) => {
    const value = document.get(field);
    if (value === undefined || value === null || typeof value === 'string') return false;
    if (field === 'conn_type') {
      const members = Array.isArray(value) ? value : value instanceof Map ? [...value.keys()] : null;
      return members !== null && members.length > 0 && !members.includes('-');
    }
    if (field === 'password' && parser === 'core') return false;
    return true;
  });
}

/** get_uri() reads description never; conn_type, host and schema when truthy; login and password when not None. */
function getUriReads(field: TextField, value: PyValue): boolean {
  if (field === 'description') return false;
  if (field === 'conn_type' || field === 'host' || field === 'schema') return pyTruthy(value);
  return true;
}

type NonTextVerdict = 'get_uri-fails' | 'served' | null;

/**
 * Which non-text group explains the case, if any: the top-level fields are the cause, and with them
 * left out our model agrees with Airflow on everything else (Airflow holding exactly those values).
 */
function nonTextVerdict(c: DivergenceCase): NonTextVerdict {
  if (c.ours.error !== 'ConnectionFormatError' || c.theirs.error !== undefined) return null;
  const document = topLevelObject(c.input);
  if (!document) return null;
  const kept = keptNonText(document, c.parser);
  if (kept.length === 0) return null;
  const theirView = c.theirs.view as PyDict;
  // Airflow holds exactly the value written (as text, so 0, 0.0 and false stay apart and NaN equals NaN).
  for (const field of kept) {
    if (field !== 'description' && pyJsonDumps(theirView.get(field) ?? null) !== pyJsonDumps(document.get(field) ?? null)) return null;
  }
  const without: PyDict = new Map([...document].filter(([key]) => !(kept as string[]).includes(key)));
  const ours = c.oursForJson(pyJsonDumps(without));
  if (ours.error !== undefined) return null;
  const view = new Map(ours.view as PyDict);
  for (const field of kept) if (field !== 'description') view.set(field, theirView.get(field) as PyValue);
  const oursWithTheirValues: Outcome = { ...ours, view };
  if (kept.some((field) => getUriReads(field, document.get(field) as PyValue))) {
    const failsOnTheField = c.theirs.uriError === 'TypeError' || c.theirs.uriError === 'AttributeError';
    return failsOnTheField && difference(withoutUri(oursWithTheirValues), withoutUri(c.theirs)) === null ? 'get_uri-fails' : null;
  }
  return difference(oursWithTheirValues, c.theirs) === null ? 'served' : null;
}

const nonTextGetUriFails: KnownDivergence = {
  id: 'non-string-text-field-get-uri-fails',
  parsers: BOTH,
  reason:
    'Connection JSON whose top-level login, SDK password, truthy host or schema, or truthy list or object conn_type ' +
    '(without a "-" member) is not a string (e.g. {"login": 0}, {"host": 5}, {"conn_type": ["x"]}). Airflow does not ' +
    'type-check them: from_json passes them to the constructor, and the SDK attrs class and the core ORM object (never ' +
    'flushed) keep the Python object. Its get_uri() then raises (quote() of a non-str is a TypeError, so is "://" in 5, ' +
    'and a list has no .lower() or .split()), and both lookup loops ' +
    '(sdk/execution_time/context.py _get_connection, models/connection.py get_connection_from_secrets) call ' +
    'get_uri() inside the per-backend try, so Airflow logs the error and asks the next backend. Our text fields are ' +
    'string | null: we raise ConnectionFormatError at parse time, which the search path also treats as a failed ' +
    'backend. Same net effect, one step earlier.',
  explains: (c) => nonTextVerdict(c) === 'get_uri-fails',
};

const nonTextServed: KnownDivergence = {
  id: 'non-string-text-field-served-by-airflow',
  parsers: BOTH,
  reason:
    'Connection JSON whose top-level host or schema is a falsy non-string (0, 0.0, false, [], {}), or whose ' +
    'description is anything but a string, and nothing else of that kind (e.g. {"host": 0}, {"description": 5}). ' +
    'Airflow keeps the object, and its get_uri() succeeds (it skips a falsy host and schema and never reads ' +
    'description), so the lookup serves a connection whose host is the int 0: the search stops at this backend. ' +
    'Our text fields are string | null for every caller, so we raise ConnectionFormatError and the search path moves ' +
    'on to the next backend. A real difference in what a task gets, kept: the model does not carry non-text values.',
  explains: (c) => nonTextVerdict(c) === 'served',
};

// ---- JSON nested near Python's recursion limit ---------------------------------------------------

/** The deepest bracket nesting in the text as written or percent-decoded (strings not told apart). */
function bracketDepth(text: string): number {
  let deepest = 0;
  for (const candidate of [text, unquote(text.replace(/\+/g, ' '))]) {
    let depth = 0;
    for (const ch of candidate) {
      if (ch === '[' || ch === '{') deepest = Math.max(deepest, (depth += 1));
      else if (ch === ']' || ch === '}') depth -= 1;
    }
  }
  return deepest;
}

/** Our fixed bound (python-json-loads.ts MAX_NESTING): the most Airflow could ever accept. */
const OUR_NESTING_BOUND = 1000;
/** Well below the oracle's bounds (983 and 990): a RecursionError under it is not this group. */
const RECURSION_BUDGET_FLOOR = 900;

const nestingPastAirflowBudget: KnownDivergence = {
  id: 'json-nesting-within-our-bound-past-airflow-recursion-budget',
  parsers: BOTH,
  reason:
    'JSON nested deeper than Airflow can read at its call, but at most 1000 levels (a JSON connection, its extra, ' +
    '__extra__ or, in core, a query value). CPython 3.11 counts each level of its C json scanner and encoder against ' +
    'the interpreter recursion limit (1000), shared with the Python frames already on the stack, so Airflow raises ' +
    'RecursionError at a depth that depends on its caller: in the oracle the deepest that parses is 990 levels for ' +
    "the SDK and 983 for the core ORM, and fewer under a task's deeper stack. No fixed bound can match that; ours is " +
    '1000, the limit with no frame in use, so we never refuse what some Airflow process accepts, and past it we ' +
    "raise ConnectionFormatError where every one raises. Matched from 900 levels, with RecursionError on Airflow's side.",
  explains: (c) => {
    const airflowRanOut = c.theirs.error === 'RecursionError' || c.theirs.uriError === 'RecursionError';
    if (!airflowRanOut) return false;
    const depth = bracketDepth(c.input.input);
    if (depth < RECURSION_BUDGET_FLOOR || depth > OUR_NESTING_BOUND + 2) return false;
    // We went further than Airflow: at the parse, or at get_uri() with the parses agreeing.
    if (c.theirs.error === 'RecursionError') return c.ours.error === undefined;
    return c.ours.error === undefined && c.ours.uriError === undefined && difference(withoutUri(c.ours), withoutUri(c.theirs)) === null;
  },
};

// ---- Lower-casing of characters Python 3.11 does not know ----------------------------------------

/**
 * Every code point whose lower case differs between Python 3.11.7 (unicodedata 14.0.0) and Node
 * 20.20's ICU 78.2 (Unicode 17.0), found by comparing str.lower() and toLowerCase() on all of them.
 * All 55 are unassigned in Unicode 14.0, so Python maps each to itself.
 */
const CASED_AFTER_UNICODE_14: readonly string[] = [
  0x1c89,
  0xa7cb,
  0xa7cc,
  0xa7ce,
  0xa7d2,
  0xa7d4,
  0xa7da,
  0xa7dc,
  ...Array.from({ length: 0x10d65 - 0x10d50 + 1 }, (_, i) => 0x10d50 + i),
  ...Array.from({ length: 0x16eb8 - 0x16ea0 + 1 }, (_, i) => 0x16ea0 + i),
].map((codePoint) => String.fromCodePoint(codePoint));

/** Each of them as a JSON escape (a surrogate pair for the astral ones), for inputs that write them so. */
function jsonEscaped(character: string): string {
  return Array.from({ length: character.length }, (_, i) => `\\u${character.charCodeAt(i).toString(16)}`).join('');
}

const RAW_NEW_CASED = new RegExp(`[${CASED_AFTER_UNICODE_14.join('')}]`, 'gu');
const ESCAPED_NEW_CASED = new RegExp(CASED_AFTER_UNICODE_14.map((character) => jsonEscaped(character).replace(/\\/g, '\\\\')).join('|'), 'i');
/** get_uri() percent-encodes a host; the same characters, as it writes them. */
const QUOTED_LOWER = new Map(CASED_AFTER_UNICODE_14.map((character) => [quote(character), quote(character.toLowerCase())]));
const QUOTED_NEW_CASED = new RegExp([...QUOTED_LOWER.keys()].join('|'), 'g');

function mentionsNewCasedCharacter(input: string): boolean {
  RAW_NEW_CASED.lastIndex = 0;
  return RAW_NEW_CASED.test(input) || ESCAPED_NEW_CASED.test(input);
}

/** Lower-cases exactly those characters, raw and as get_uri() percent-encodes them. */
function foldNewCase(text: string): string {
  return text
    .replace(RAW_NEW_CASED, (character) => character.toLowerCase())
    .replace(QUOTED_NEW_CASED, (quoted) => QUOTED_LOWER.get(quoted) as string);
}

function foldValue(value: PyValue): PyValue {
  if (typeof value === 'string') return foldNewCase(value);
  if (Array.isArray(value)) return value.map(foldValue);
  if (value instanceof Map) return new Map([...value].map(([key, member]) => [foldNewCase(key), foldValue(member)]));
  return value;
}

function foldOutcome(outcome: Outcome): Outcome {
  const folded: Outcome = { ...outcome };
  if (outcome.view) folded.view = foldValue(outcome.view) as PyDict;
  if (typeof outcome.extraText === 'string') folded.extraText = foldNewCase(outcome.extraText);
  if (outcome.uri !== undefined) folded.uri = foldNewCase(outcome.uri);
  return folded;
}

const caseAfterUnicode14: KnownDivergence = {
  id: 'lower-case-of-characters-newer-than-unicode-14',
  parsers: BOTH,
  reason:
    'A host in a URI (urlsplit lower-cases it) or a conn_type (get_uri() lower-cases it) holding one of 55 code ' +
    'points that have a lower-case form in Unicode 17.0 but are unassigned in Unicode 14.0: U+1C89, U+A7CB, U+A7CC, ' +
    'U+A7CE, U+A7D2, U+A7D4, U+A7DA, U+A7DC, U+10D50-U+10D65 and U+16EA0-U+16EB8. Python lower-cases with the ' +
    "Unicode database it was built with (3.11.7 here: 14.0.0, so these stay as written); toLowerCase() uses Node's " +
    'ICU (78.2, Unicode 17.0). Airflow itself does what its Python does, so a later Python lower-cases some of them ' +
    'too; the list was found by comparing every code point, and the outcomes must agree once exactly these are ' +
    'lower-cased on both sides.',
  explains: (c) => mentionsNewCasedCharacter(c.input.input) && difference(foldOutcome(c.ours), foldOutcome(c.theirs)) === null,
};

export const knownDivergences: readonly KnownDivergence[] = [nonTextGetUriFails, nonTextServed, nestingPastAirflowBudget, caseAfterUnicode14];
