/** How reports write things for people and for XML: one definition each. */

// XML 1.0 forbids most C0 controls even when escaped.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text safe inside XML (and SVG) elements and attributes. */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A duration for people, three significant digits: `850 ns`, `12.3 µs`, `4.57 ms`, `2.10 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  const abs = Math.abs(ms);
  if (abs < 0.001) return `${Math.round(ms * 1_000_000)} ns`;
  if (abs < 1) return `${significant(ms * 1000)} µs`;
  if (abs < 1000) return `${significant(ms)} ms`;
  return `${significant(ms / 1000)} s`;
}

/** `12.3x`, `0.045x`: three significant digits. */
export function formatRatio(value: number | null): string {
  return value === null ? 'n/a' : `${significant(value)}x`;
}

function significant(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}
