/**
 * The lists of Secrets a service account sent, as the API server's own audit log records them
 * (containers/kube-apiserver.ts writes lists of Secrets at Metadata level: no bodies). The
 * harness's own lists (as `asc-admin`) are left out; a case finds its own by an id of its own in
 * the request URI's label selector.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface AuditedList {
  readonly user: string;
  readonly namespace: string;
  /** As the client sent it: path and query (the label selector, the resourceVersion). */
  readonly requestUri: string;
  readonly status: number;
}

interface AuditEvent {
  readonly stage?: string;
  readonly verb?: string;
  readonly requestURI?: string;
  readonly user?: { readonly username?: string };
  readonly objectRef?: { readonly resource?: string; readonly namespace?: string };
  readonly responseStatus?: { readonly code?: number };
}

/** Secret lists by service accounts whose request URI contains `needle`. */
export function auditedSecretLists(auditLogFile: string, needle: string): AuditedList[] {
  if (!existsSync(auditLogFile)) return [];
  const lists: AuditedList[] = [];
  for (const line of readFileSync(auditLogFile, 'utf8').split('\n')) {
    if (!line.includes(needle)) continue;
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      continue; // a line still being written
    }
    const user = event.user?.username ?? '';
    if (event.stage !== 'ResponseComplete' || event.verb !== 'list' || event.objectRef?.resource !== 'secrets') continue;
    if (!user.startsWith('system:serviceaccount:')) continue;
    const requestUri = event.requestURI ?? '';
    if (!requestUri.includes(needle)) continue;
    lists.push({ user, namespace: event.objectRef.namespace ?? '', requestUri, status: event.responseStatus?.code ?? 0 });
  }
  return lists;
}
