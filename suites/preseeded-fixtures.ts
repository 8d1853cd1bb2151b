/**
 * The fixed secrets a read-only run against an external server reads: a team seeds them once with
 * what `secrets-conformance fixtures print --family <family>` prints (under `<prefix>/asc-readonly/`),
 * and the preseeded suite reads them back with the production credential. With an admin credential
 * the suite seeds the same set itself, under the run's own folder. The values are test data, not
 * secrets of anyone's; still, no report prints them (the external test searches every report file).
 */
import type { ConnectionFixture } from './target';

/** The folder under the team's prefix that holds the preseeded set. */
export const PRESEEDED_FOLDER = 'asc-readonly';

export interface PreseededSecret {
  readonly kind: 'connections' | 'variables';
  readonly id: string;
  /** A connection's fixture, or a variable's value. */
  readonly value: ConnectionFixture | string;
}

export const PRESEEDED = {
  uriConnection: {
    kind: 'connections',
    id: 'asc_preseeded_uri',
    value: { uri: 'postgresql://reporting:ascpreseed-pw%40uri@db.example.internal:5432/reports?sslmode=require' },
  },
  fieldsConnection: {
    kind: 'connections',
    id: 'asc_preseeded_fields',
    value: {
      fields: {
        conn_type: 'mysql',
        host: 'mysql.example.internal',
        login: 'app_reader',
        password: 'ascpreseed-pw-fields',
        schema: 'app',
        port: 3306,
        extra: { charset: 'utf8mb4' },
      },
    },
  },
  variable: { kind: 'variables', id: 'asc_preseeded_variable', value: 'ascpreseed-variable-value' },
} as const satisfies Record<string, PreseededSecret>;

/** An id next to the seeded ones that is never seeded. */
export const PRESEEDED_MISSING_ID = 'asc_preseeded_missing';

export const PRESEEDED_SECRETS: readonly PreseededSecret[] = Object.values(PRESEEDED);

/** Every value text of the set, for a search of the reports. */
export function preseededValueTexts(): string[] {
  return PRESEEDED_SECRETS.map((secret) =>
    typeof secret.value === 'string'
      ? secret.value
      : 'uri' in secret.value
        ? secret.value.uri
        : String((secret.value as { fields: { password: string } }).fields.password),
  );
}
