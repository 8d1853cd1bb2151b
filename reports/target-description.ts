/**
 * What a target says about itself (class, origin, versions, kwargs, notes), as it enters the report
 * model: redacted here, once, so every report file may then print a description as it stands.
 * Kwargs under secret-looking names and anything carrying the run's canary never get through.
 */
import type { MutantTarget } from '../mutants/mutant';
import { firstErrorLine } from '../model/errors';
import type { TargetDefinition, TargetDescription, TargetEnvironment } from '../suites/target';

/** Substrings of a kwarg name that make its value secret-looking, wherever they stand in the name. */
const SECRET_NAME_PARTS = [
  'pass',
  'pwd',
  'token',
  'secret',
  'credential',
  'private',
  'key',
  'session',
  'cookie',
  'cert',
  'jwt',
  'signature',
  'role_id',
  'sas',
];
/** A URL whose user-info holds a password: `postgres://user:pw@host`. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]*@/i;
const MAX_KWARG_DEPTH = 8;

export const REDACTED = {
  byName: '[redacted: secret-looking name]',
  byCanary: "[redacted: carries the run's canary]",
  urlPassword: '[redacted: URL with a password]',
} as const;

export function isSecretLookingName(name: string): boolean {
  const lower = name.toLowerCase();
  return SECRET_NAME_PARTS.some((part) => lower.includes(part));
}

function carriesCanary(text: string, canary: string): boolean {
  return canary !== '' && text.toLowerCase().includes(canary.toLowerCase());
}

/** Replaces every occurrence of the canary, in any case, so free text can be shown. */
export function maskCanary(text: string, canary: string): string {
  if (canary === '') return text;
  return text.replace(new RegExp(canary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '[canary]');
}

function redactValue(value: unknown, canary: string, depth: number): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (carriesCanary(value, canary)) return REDACTED.byCanary;
    return URL_WITH_PASSWORD.test(value) ? REDACTED.urlPassword : value;
  }
  if (depth >= MAX_KWARG_DEPTH) return '[nested too deep to show]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, canary, depth + 1));
  if (typeof value === 'object') return redactKwargs(value as Record<string, unknown>, canary, depth + 1);
  // Functions, symbols, bigints: their text is not configuration a reader can use, and may hold anything.
  return `[${typeof value}]`;
}

/**
 * Kwargs a certificate can show: a value under a secret-looking name is replaced whole (nested
 * objects included), and any other value carrying the run's canary too.
 */
export function redactKwargs(kwargs: Record<string, unknown>, canary: string, depth = 0): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(kwargs)) {
    const key = maskCanary(name, canary);
    if (isSecretLookingName(name)) shown[key] = REDACTED.byName;
    else shown[key] = redactValue(value, canary, depth);
  }
  return shown;
}

export function redactDescription(description: TargetDescription, canary: string): TargetDescription {
  const mask = (text: string) => maskCanary(text, canary);
  const redacted: TargetDescription = {
    backendClass: mask(description.backendClass),
    origin: description.origin,
    versions: Object.fromEntries(Object.entries(description.versions).map(([name, version]) => [mask(name), mask(String(version))])),
  };
  if (description.kwargs) redacted.kwargs = redactKwargs(description.kwargs, canary);
  if (description.notes) redacted.notes = description.notes.map(mask);
  if (description.flags) redacted.flags = description.flags.map(mask);
  return redacted;
}

function isMutant(target: TargetDefinition): target is MutantTarget {
  return typeof (target as Partial<MutantTarget>).mutantOf === 'string';
}

/** The target's own description (or what can be said without one), redacted for the reports. */
export function describeTarget(target: TargetDefinition, environment: TargetEnvironment, canary: string): TargetDescription {
  const undeclared: TargetDescription = {
    backendClass: target.backendKind,
    origin: 'unknown',
    versions: {},
    notes: ['the target declares no describe(): its versions and kwargs are unknown'],
  };
  let description: TargetDescription;
  try {
    description = target.describe?.(environment) ?? undeclared;
  } catch (error) {
    description = { ...undeclared, notes: [`describe() failed: ${firstErrorLine(error)}`] };
  }
  // How the throttling cases made the server throttle (its own quota, or a stand-in before an emulator).
  const throttling = target.network?.throttling;
  if (throttling) description = { ...description, notes: [...(description.notes ?? []), `throttling: ${throttling.method}`] };
  // Mutants copy their base target, describe() included; the certificate must not call them the real thing.
  if (isMutant(target)) {
    description = {
      ...description,
      origin: 'mutant',
      notes: [`a deliberately broken copy of ${target.mutantOf}: ${target.breaks}`, ...(description.notes ?? [])],
    };
  }
  return redactDescription(description, canary);
}
