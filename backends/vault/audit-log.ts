/**
 * The production server's file audit device as the cases read it: the entries written after a
 * point, and the ACL policy a backend was granted, parsed into path rules.
 */
import { open, stat } from 'node:fs/promises';

export interface AuditEntry {
  readonly type: 'request' | 'response';
  readonly time?: string;
  readonly auth?: { display_name?: string; policies?: string[]; entity_id?: string; accessor?: string };
  readonly request?: { operation?: string; path?: string; namespace?: { path?: string } };
}

/** Where the audit log ends now: entries after it belong to what happens next. */
export async function auditOffset(file: string): Promise<number> {
  return (await stat(file)).size;
}

/** The entries appended since `offset`. */
export async function auditEntriesSince(file: string, offset: number): Promise<AuditEntry[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as AuditEntry);
  } finally {
    await handle.close();
  }
}

export interface PolicyRule {
  /** As written: `mount/data/connections/*`. */
  readonly path: string;
  readonly capabilities: readonly string[];
}

/** The `path "..." { capabilities = [...] }` rules of an HCL ACL policy. */
export function policyRules(text: string): PolicyRule[] {
  const rules: PolicyRule[] = [];
  for (const match of text.matchAll(/path\s+"([^"]+)"\s*\{([^}]*)\}/g)) {
    const capabilities = /capabilities\s*=\s*\[([^\]]*)\]/.exec(match[2] ?? '')?.[1] ?? '';
    rules.push({ path: match[1] ?? '', capabilities: [...capabilities.matchAll(/"([^"]+)"/g)].map((c) => c[1] ?? '') });
  }
  return rules;
}

/** Vault's glob: a trailing `*` is a prefix match. */
export function ruleMatches(rule: PolicyRule, path: string): boolean {
  return rule.path.endsWith('*') ? path.startsWith(rule.path.slice(0, -1)) : path === rule.path;
}
