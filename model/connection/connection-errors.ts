/**
 * How a fault in a stored connection value is reported: a ConnectionFormatError whose message shows
 * the value only redacted (a URI's userinfo and query values, a JSON document's strings), clipped.
 */
import { ConnectionFormatError } from '../errors';
import { pythonStrip } from './python-builtins';

export function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/**
 * A connection value made safe for messages. URIs keep scheme, host, port, path and query keys;
 * userinfo, query values and fragments become `***`. JSON keeps its keys; every string value
 * becomes `"***"`.
 */
export function redactConnectionText(value: string): string {
  const text = pythonStrip(value);
  if (text.startsWith('{')) {
    return text.replace(/"(?:[^"\\]|\\.)*"(\s*:)?/g, (literal, colon: string | undefined) => (colon ? literal : '"***"'));
  }
  const schemeMatch = /^[^:/?#@]*:\/\//.exec(text);
  const head = schemeMatch ? schemeMatch[0] : '';
  let rest = text.slice(head.length);
  // The last "@" ends the userinfo even when a raw "/", "?" or "#" sits in the password.
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = `***${rest.slice(at)}`;
  const fragmentAt = rest.indexOf('#');
  const fragment = fragmentAt >= 0 ? '#***' : '';
  if (fragmentAt >= 0) rest = rest.slice(0, fragmentAt);
  const queryAt = rest.indexOf('?');
  let query = '';
  if (queryAt >= 0) {
    query = `?${rest
      .slice(queryAt + 1)
      .split('&')
      .map((field) => (field.includes('=') ? `${field.slice(0, field.indexOf('='))}=***` : field))
      .join('&')}`;
    rest = rest.slice(0, queryAt);
  }
  // With no "@", text after a ":" that is not a port may be a password typed without its user.
  rest = rest.replace(/:([^/:@]*)/g, (whole, after: string) => (/^[0-9]*$/.test(after) ? whole : ':***'));
  return `${head}${rest}${query}${fragment}`;
}

export function formatError(message: string, hint?: string, where?: string): ConnectionFormatError {
  return new ConnectionFormatError(message, {
    ...(hint === undefined ? {} : { hint }),
    ...(where === undefined ? {} : { where }),
  });
}
