/**
 * Python semantics the AWS providers rely on and JavaScript spells differently: `str.rstrip(chars)`
 * for prefixes and `re.match(pattern, id, re.IGNORECASE)` for the lookup patterns.
 */

/** Python `str.rstrip(chars)`: strips any trailing character found in `chars` (a set, not a suffix). */
export function pythonRstrip(text: string, chars: string): string {
  const strip = new Set(Array.from(chars));
  const characters = Array.from(text);
  let end = characters.length;
  while (end > 0 && strip.has(characters[end - 1] as string)) end -= 1;
  return characters.slice(0, end).join('');
}

/**
 * A Python `re` pattern as a JS RegExp for `re.match(pattern, text, re.IGNORECASE)`: anchored at
 * the start only (sticky), case-insensitive. Python's spellings of named groups and `\A` / `\Z`
 * are translated; `\w`, `\d` and `\s` stay ASCII here where Python's are Unicode-aware.
 */
export function compilePythonMatch(pattern: string): RegExp {
  const translated = pattern
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$(?![\\s\\S])');
  return new RegExp(translated, 'iy');
}

export function pythonReMatch(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(text);
}
