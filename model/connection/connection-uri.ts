/**
 * Airflow's connection URI parser: `from_uri` (SDK) and `_parse_from_uri` (core), step for step
 * (spec §6.1), on Python's urllib (./python-url.ts). The flavours differ in one step only: core turns
 * each query value that is JSON into its JSON type.
 */
import type { ConnectionFormatError } from '../errors';
import { clip, formatError, redactConnectionText } from './connection-errors';
import { normalizeConnType } from './connection-fields';
import { dumpsStoredValue, parseJsonOrNull } from './connection-json';
import { parseQsl, unquote, urlsplit, type SplitResult } from './python-url';
import type { PyDict } from './python-values';

/** The query key whose value is the whole extra, as `get_uri()` writes it when flattening would lose it. */
export const EXTRA_KEY = '__extra__';

function invalidConnectionString(uri: string, why: string): ConnectionFormatError {
  return formatError(
    `Invalid connection string: ${why} in ${clip(redactConnectionText(uri))}`,
    'a URI has one "scheme://", plus at most one "protocol://" in front of the host; percent-encode the rest',
  );
}

function dropFirstCodePoint(text: string): string {
  if (!text) return text;
  return text.slice((text.codePointAt(0) as number) > 0xffff ? 2 : 1);
}

/** `_parse_netloc_to_hostname`: lower-cased host, unless it decodes to something with a `/`. */
function hostnameOf(parts: SplitResult): string {
  let hostname = unquote(parts.hostname ?? '');
  if (hostname.includes('/')) {
    hostname = parts.netloc;
    if (hostname.includes('@')) hostname = hostname.slice(hostname.lastIndexOf('@') + 1);
    if (hostname.includes(':')) hostname = hostname.slice(0, hostname.indexOf(':'));
    hostname = unquote(hostname);
  }
  return hostname;
}

export interface ParsedFields {
  connType: string | null;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  extra: string | null;
}

/**
 * `from_uri` (SDK) / `_parse_from_uri` (core): the same steps, except the query's value types, which
 * core alone reads as JSON (`jsonQueryValues`).
 */
export function parseUri(uri: string, { jsonQueryValues }: { jsonQueryValues: boolean }): ParsedFields {
  const schemeCount = uri.split('://').length - 1;
  if (schemeCount > 2) throw invalidConnectionString(uri, 'more than two "://"');
  const hostWithProtocol = schemeCount === 2;
  const rawConnType = urlsplit(uri).scheme;
  // str.replace is global: every "<scheme>://" goes, not only the first (spec §6.1 step 4).
  const rest = uri.split(`${rawConnType}://`).join(hostWithProtocol ? '' : '//');
  if (hostWithProtocol) {
    const beforeProtocol = rest.split('://')[0] as string;
    if (beforeProtocol.includes('@') || beforeProtocol.includes(':')) {
      throw invalidConnectionString(uri, 'user or port before the protocol of a "protocol://host"');
    }
  }
  const parts = urlsplit(rest);
  const protocol = hostWithProtocol ? parts.scheme : null;
  const hostname = hostnameOf(parts);
  const host = hostname && protocol ? `${protocol}://${hostname}` : hostname;
  const quotedSchema = dropFirstCodePoint(parts.path);
  const schema = quotedSchema ? unquote(quotedSchema) : quotedSchema;
  const login = parts.username ? unquote(parts.username) : parts.username;
  const password = parts.password ? unquote(parts.password) : parts.password;
  const port = parts.port;
  let extra: string | null = null;
  if (parts.query) {
    const query: PyDict = new Map(parseQsl(parts.query));
    if (query.has(EXTRA_KEY)) {
      extra = query.get(EXTRA_KEY) as string;
    } else {
      if (jsonQueryValues) {
        // Core only (PR #59339): each non-empty value that is JSON becomes its JSON type.
        for (const [key, value] of query) {
          if (typeof value !== 'string' || !value) continue;
          const typed = parseJsonOrNull(value);
          if (typed !== undefined) query.set(key, typed);
        }
      }
      extra = dumpsStoredValue(query);
    }
  }
  return { connType: normalizeConnType(rawConnType), host, schema, login, password, port, extra };
}
