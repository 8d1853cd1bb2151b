/**
 * Ports of the Python 3.11.7 `urllib.parse` functions Airflow's connection parser calls.
 *
 * Airflow's behaviour on odd URIs is whatever these functions do (lower-cased hosts, `+` kept in
 * passwords, lenient `%` decoding, port errors), so they are ported rule for rule rather than
 * approximated with WHATWG `URL`, which disagrees on most of the interesting cases.
 *
 * Python strings are sequences of code points and JavaScript strings of UTF-16 units. Every split
 * here is on an ASCII character, where the two agree; the few per-character rules are written to
 * read whole code points.
 *
 * Failures are `ConnectionFormatError`s whose messages never quote the input: a netloc holds the
 * password.
 */
import { ConnectionFormatError } from '../errors';

const SCHEME_CHARS = /^[A-Za-z0-9+\-.]*$/;
// Python's _WHATWG_C0_CONTROL_OR_SPACE: U+0000..U+0020.
const LEADING_C0_OR_SPACE = /^[\u0000-\u0020]+/;
const UNSAFE_URL_CHARACTERS = /[\t\r\n]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the text holds a surrogate with no partner: Python's UTF-8 codec refuses it. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

function isAscii(text: string): boolean {
  return /^[\u0000-\u007f]*$/.test(text);
}

/** Python `str.partition(sep)`. */
function partition(text: string, separator: string): [string, boolean, string] {
  const at = text.indexOf(separator);
  if (at < 0) return [text, false, ''];
  return [text.slice(0, at), true, text.slice(at + separator.length)];
}

/** Python `str.rpartition(sep)`. */
function rpartition(text: string, separator: string): [string, boolean, string] {
  const at = text.lastIndexOf(separator);
  if (at < 0) return ['', false, text];
  return [text.slice(0, at), true, text.slice(at + separator.length)];
}

function isIPv4(text: string): boolean {
  if (text.includes('/')) return false;
  const octets = text.split('.');
  if (octets.length !== 4) return false;
  return octets.every((octet) => /^[0-9]{1,3}$/.test(octet) && (octet === '0' || !octet.startsWith('0')) && Number(octet) <= 255);
}

/** `ipaddress.IPv6Address(text)` succeeds: scope id, `::`, embedded IPv4, the same limits. */
function isIPv6(text: string): boolean {
  if (text.includes('/')) return false;
  const [address, hasScope, scope] = partition(text, '%');
  if (hasScope && (scope === '' || scope.includes('%'))) return false;
  if (address === '') return false;
  const parts = address.split(':');
  if (parts.length < 3) return false;
  const last = parts[parts.length - 1] as string;
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    parts.splice(parts.length - 1, 1, '0', '0');
  }
  const hextetCount = 8;
  if (parts.length > hextetCount + 1) return false;
  let skipIndex: number | null = null;
  for (let i = 1; i < parts.length - 1; i += 1) {
    if (parts[i] === '') {
      if (skipIndex !== null) return false;
      skipIndex = i;
    }
  }
  let hextets: string[];
  if (skipIndex !== null) {
    let partsHi = skipIndex;
    let partsLo = parts.length - skipIndex - 1;
    if (parts[0] === '') {
      partsHi -= 1;
      if (partsHi) return false;
    }
    if (parts[parts.length - 1] === '') {
      partsLo -= 1;
      if (partsLo) return false;
    }
    if (hextetCount - (partsHi + partsLo) < 1) return false;
    hextets = [...parts.slice(0, partsHi), ...(partsLo > 0 ? parts.slice(-partsLo) : [])];
  } else {
    if (parts.length !== hextetCount) return false;
    if (parts[0] === '' || parts[parts.length - 1] === '') return false;
    hextets = parts;
  }
  return hextets.every((hextet) => /^[0-9a-fA-F]{0,4}$/.test(hextet) && hextet !== '');
}

function checkBracketedHost(host: string): void {
  if (host.startsWith('v')) {
    // \Av[a-fA-F0-9]+\..+\Z, where `.` does not match a newline.
    if (!/^v[a-fA-F0-9]+\.[^\n]+$/.test(host)) {
      throw new ConnectionFormatError('IPvFuture address is invalid', {
        hint: 'a bracketed host starting with "v" must look like [v1.address]',
      });
    }
    return;
  }
  if (isIPv4(host)) {
    throw new ConnectionFormatError('An IPv4 address cannot be in brackets', {
      hint: 'only IPv6 hosts are written in [brackets]',
    });
  }
  if (!isIPv6(host)) {
    throw new ConnectionFormatError('the bracketed host does not appear to be an IPv4 or IPv6 address', {
      hint: 'only IPv6 hosts are written in [brackets]; percent-encode a literal "[" or "]"',
    });
  }
}

/** Python's _checknetloc: refuse characters that NFKC turns into URL delimiters (e.g. U+2100). */
function checkNetloc(netloc: string): void {
  if (!netloc || isAscii(netloc)) return;
  const stripped = netloc.replace(/[@:#?]/g, '');
  const normalized = stripped.normalize('NFKC');
  if (stripped === normalized) return;
  for (const delimiter of '/?#@:') {
    if (normalized.includes(delimiter)) {
      throw new ConnectionFormatError('the netloc contains invalid characters under NFKC normalization', {
        hint: 'a character in the user, password or host part turns into one of / ? # @ : when normalized; percent-encode it',
      });
    }
  }
}

/** Python's SplitResult, with the netloc properties of `_NetlocResultMixinStr`. */
export class SplitResult {
  constructor(
    readonly scheme: string,
    readonly netloc: string,
    readonly path: string,
    readonly query: string,
    readonly fragment: string,
  ) {}

  private userinfo(): [string | null, string | null] {
    const [userinfo, hasInfo] = rpartition(this.netloc, '@');
    if (!hasInfo) return [null, null];
    const [username, hasPassword, password] = partition(userinfo, ':');
    return [username, hasPassword ? password : null];
  }

  private hostinfo(): [string, string | null] {
    const [, , hostinfo] = rpartition(this.netloc, '@');
    const [, hasOpenBracket, bracketed] = partition(hostinfo, '[');
    let hostname: string;
    let port: string;
    if (hasOpenBracket) {
      const [inside, , afterBracket] = partition(bracketed, ']');
      hostname = inside;
      port = partition(afterBracket, ':')[2];
    } else {
      [hostname, , port] = partition(hostinfo, ':');
    }
    return [hostname, port === '' ? null : port];
  }

  get username(): string | null {
    return this.userinfo()[0];
  }

  get password(): string | null {
    return this.userinfo()[1];
  }

  /** Lower-cased, except an IPv6 zone after `%`, which Python leaves as written. */
  get hostname(): string | null {
    const [hostname] = this.hostinfo();
    if (!hostname) return null;
    const [address, hasZone, zone] = partition(hostname, '%');
    return `${address.toLowerCase()}${hasZone ? '%' : ''}${zone}`;
  }

  get port(): number | null {
    const [, port] = this.hostinfo();
    if (port === null) return null;
    // Python: port.isdigit() and port.isascii(); the only ASCII digits are 0-9.
    if (!/^[0-9]+$/.test(port)) {
      throw new ConnectionFormatError('Port could not be cast to integer value', {
        hint: 'the part after the last ":" of the host must be digits; percent-encode a ":" that belongs to the password',
      });
    }
    const value = Number(port);
    if (value > 65535) {
      throw new ConnectionFormatError('Port out of range 0-65535', { hint: 'use a port between 0 and 65535' });
    }
    return value;
  }
}

/** Python 3.11.7 `urllib.parse.urlsplit(url)` (no default scheme, fragments allowed). */
export function urlsplit(input: string): SplitResult {
  let url = input.replace(LEADING_C0_OR_SPACE, '').replace(UNSAFE_URL_CHARACTERS, '');
  let scheme = '';
  let netloc = '';
  let query = '';
  let fragment = '';
  const colon = url.indexOf(':');
  if (colon > 0 && /^[A-Za-z]/.test(url) && SCHEME_CHARS.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    url = url.slice(colon + 1);
  }
  if (url.startsWith('//')) {
    let end = url.length;
    for (const delimiter of '/?#') {
      const at = url.indexOf(delimiter, 2);
      if (at >= 0) end = Math.min(end, at);
    }
    netloc = url.slice(2, end);
    url = url.slice(end);
    const hasOpen = netloc.includes('[');
    const hasClose = netloc.includes(']');
    if (hasOpen !== hasClose) {
      throw new ConnectionFormatError('Invalid IPv6 URL: unbalanced "[" or "]" in the host part', {
        hint: 'percent-encode a literal "[" or "]" in the user or password',
      });
    }
    if (hasOpen && hasClose) checkBracketedHost(partition(partition(netloc, '[')[2], ']')[0]);
  }
  if (url.includes('#')) [url, , fragment] = partition(url, '#');
  if (url.includes('?')) [url, , query] = partition(url, '?');
  checkNetloc(netloc);
  return new SplitResult(scheme, netloc, url, query, fragment);
}

const HEX_PAIR = /^[0-9A-Fa-f]{2}/;
// fatal: false gives U+FFFD per maximal invalid subpart, as Python's errors='replace';
// ignoreBOM keeps a decoded U+FEFF, which Python's 'utf-8' codec never strips.
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** `unquote_to_bytes` of an all-ASCII run: an invalid `%` escape stays as it is. */
function unquoteAsciiToBytes(run: string): Uint8Array {
  const bytes: number[] = [];
  const pieces = run.split('%');
  for (const ch of pieces[0] as string) bytes.push(ch.charCodeAt(0));
  for (const piece of pieces.slice(1)) {
    let rest = piece;
    if (HEX_PAIR.test(piece)) {
      bytes.push(Number.parseInt(piece.slice(0, 2), 16));
      rest = piece.slice(2);
    } else {
      bytes.push(0x25);
    }
    for (const ch of rest) bytes.push(ch.charCodeAt(0));
  }
  return Uint8Array.from(bytes);
}

/**
 * Python `unquote(text)`: only runs of ASCII are decoded (non-ASCII characters pass through), each
 * run's bytes read as UTF-8 with invalid sequences replaced by U+FFFD.
 */
export function unquote(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/[\u0000-\u007f]+/g, (run) => utf8Decoder.decode(unquoteAsciiToBytes(run)));
}

const ALWAYS_SAFE = /^[A-Za-z0-9_.\-~]$/;

function quoteWith(text: string, extraSafe: string): string {
  if (!text) return text;
  if (hasLoneSurrogate(text)) {
    throw new ConnectionFormatError('a value contains a lone UTF-16 surrogate, which UTF-8 cannot encode', {
      hint: 'Airflow (Python) fails the same way when it quotes this value; store well-formed Unicode',
    });
  }
  let out = '';
  for (const byte of utf8Encoder.encode(text)) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && (ALWAYS_SAFE.test(ch) || extraSafe.includes(ch))) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Python `quote(text, safe='')`: everything but `A-Za-z0-9_.-~` percent-encoded, upper-case hex. */
export function quote(text: string): string {
  return quoteWith(text, '');
}

/** Python `quote_plus(text)`: as `quote(text, safe='')` but a space becomes `+`. */
export function quotePlus(text: string): string {
  if (!text.includes(' ')) return quoteWith(text, '');
  return quoteWith(text, ' ').replace(/ /g, '+');
}

/** Python `parse_qsl(query, keep_blank_values=True)`: `&` only, `+` is a space, order kept. */
export function parseQsl(query: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (!query) return pairs;
  for (const field of query.split('&')) {
    if (!field) continue;
    const [name, , value] = partition(field, '=');
    pairs.push([unquote(name.replace(/\+/g, ' ')), unquote(value.replace(/\+/g, ' '))]);
  }
  return pairs;
}

/** Python `urlencode(pairs)` for string keys and values (`quote_plus` on both). */
export function urlencode(pairs: Iterable<readonly [string, string]>): string {
  return [...pairs].map(([key, value]) => `${quotePlus(key)}=${quotePlus(value)}`).join('&');
}
