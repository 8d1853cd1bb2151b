/**
 * The declared divergence groups claim exactly their cause: Airflow's side is written by hand here
 * (as the oracle reports it), ours is the real model, so a group that matches by look alone fails.
 */
import { describe, expect, it } from 'vitest';
import type { ParserFlavour } from '../model/connection/connection';
import type { PyDict, PyValue } from '../model/connection/python-values';
import { knownDivergences, type DivergenceCase } from './connection-known-divergences';
import type { ConnectionInput } from './generators/connection-inputs';
import { ourOutcome, type Outcome } from './support/connection-outcomes';

function airflowView(fields: Partial<Record<'conn_type' | 'host' | 'login' | 'password' | 'schema' | 'port' | 'extra', PyValue>>): PyDict {
  const view: PyDict = new Map();
  for (const key of ['conn_type', 'host', 'login', 'password', 'schema', 'port', 'extra'] as const) view.set(key, fields[key] ?? null);
  return view;
}

function explainedBy(input: ConnectionInput, theirs: Outcome, parser: ParserFlavour = 'sdk'): string | null {
  const c: DivergenceCase = {
    input,
    parser,
    ours: ourOutcome(input, parser),
    theirs,
    oursForJson: (json) => ourOutcome({ format: 'json', input: json, shape: 'recheck' }, parser),
  };
  return knownDivergences.find((group) => group.parsers.includes(parser) && group.explains(c))?.id ?? null;
}

const json = (input: string): ConnectionInput => ({ format: 'json', input, shape: 'test' });
const uri = (input: string): ConnectionInput => ({ format: 'uri', input, shape: 'test' });

describe('declared connection divergences', () => {
  it('tie a non-string text field to the top-level key, escaped or not', () => {
    const served: Outcome = { view: airflowView({ host: 0n, conn_type: 'x' }), extraText: null, uri: 'x://' };
    expect(explainedBy(json('{"conn_type": "x", "host": 0}'), served)).toBe('non-string-text-field-served-by-airflow');
    expect(explainedBy(json('{"conn_type": "x", "h\\u006fst": 0}'), served)).toBe('non-string-text-field-served-by-airflow');
    const unusable: Outcome = { view: airflowView({ login: 0n }), extraText: null, uriError: 'TypeError' };
    expect(explainedBy(json('{"login": 0}'), unusable)).toBe('non-string-text-field-get-uri-fails');
  });

  it('do not claim a "host": 5 nested in extra, nor a difference beside the odd field', () => {
    // A model that refused {"host": 5} inside extra would differ here; no group may cover it.
    const nested: Outcome = { error: 'ValueError' };
    expect(
      explainedBy(json('{"extra": {"host": 5}, "port": "\\u001c80"}'), {
        view: airflowView({ port: 80n, extra: new Map([['host', 5n]]) }),
        extraText: '{"host": 5}',
        uri: '//@:80/?__extra__=%7B%22host%22%3A+5%7D',
      }),
    ).toBeNull();
    expect(explainedBy(json('{"extra": {"host": 5}}'), nested)).toBeNull();
    // The odd host explains the refusal, but Airflow read the port differently: not this group.
    const portAlsoDiffers: Outcome = { view: airflowView({ host: 0n, port: 81n }), extraText: null, uri: '//@:81' };
    expect(explainedBy(json('{"host": 0, "port": 80}'), portAlsoDiffers)).toBeNull();
    // A served value must be the very value written (0 and false are apart).
    expect(explainedBy(json('{"host": 0}'), { view: airflowView({ host: false }), extraText: null, uri: '//' })).toBeNull();
  });

  it('claim a nesting difference only near the recursion limit, where Airflow ran out', () => {
    const deep = `{"extra": ${'['.repeat(960)}${']'.repeat(960)}}`;
    expect(explainedBy(json(deep), { error: 'RecursionError' })).toBe('json-nesting-within-our-bound-past-airflow-recursion-budget');
    expect(explainedBy(json(deep), { error: 'ValueError' })).toBeNull();
    expect(explainedBy(json('{"extra": [[[1]]]}'), { error: 'RecursionError' })).toBeNull();
  });

  it('claim a case difference only on the 55 characters Unicode 14 does not case', () => {
    const garay = '\u{10d50}';
    const theirs: Outcome = { view: airflowView({ conn_type: 'x', host: `${garay}h`, schema: '' }), extraText: null, uri: 'x://%F0%90%B5%90h' };
    expect(explainedBy(uri(`x://${garay}H`), theirs)).toBe('lower-case-of-characters-newer-than-unicode-14');
    // The same input with an ordinary letter left upper-case by Airflow is a real difference.
    const alsoUpper: Outcome = { view: airflowView({ conn_type: 'x', host: `${garay}H`, schema: '' }), extraText: null, uri: 'x://%F0%90%B5%90H' };
    expect(explainedBy(uri(`x://${garay}H`), alsoUpper)).toBeNull();
  });
});
