/**
 * The configuration file of a production-mode OpenBao: Raft on disk, one HTTPS listener per
 * certificate (valid, expired, wrong host), the plugin folder, and the file audit device, which
 * OpenBao 2.x accepts only here (its API refuses to enable one).
 */
import { join } from 'node:path';
import type { IssuedCertificate, TlsMaterial } from './tls-certificates';

export interface VaultConfigPlaces {
  /** API port (valid certificate); +1 cluster, +2 expired certificate, +3 wrong host name. */
  readonly port: number;
  readonly raftDir: string;
  readonly pluginDirectory: string;
  readonly auditLogFile: string;
}

/** An HCL string literal: JSON's escaping is a subset HCL reads the same way. */
function hcl(text: string): string {
  return JSON.stringify(text);
}

function listener(port: number, certificate: IssuedCertificate, clusterPort?: number): string {
  return [
    'listener "tcp" {',
    `  address = ${hcl(`127.0.0.1:${port}`)}`,
    ...(clusterPort ? [`  cluster_address = ${hcl(`127.0.0.1:${clusterPort}`)}`] : []),
    `  tls_cert_file = ${hcl(certificate.certificateFile)}`,
    `  tls_key_file = ${hcl(certificate.keyFile)}`,
    '  tls_min_version = "tls12"',
    '}',
  ].join('\n');
}

export function productionVaultConfig(tls: TlsMaterial, places: VaultConfigPlaces): string {
  const { port } = places;
  return [
    'ui = false',
    `api_addr = ${hcl(`https://127.0.0.1:${port}`)}`,
    `cluster_addr = ${hcl(`https://127.0.0.1:${port + 1}`)}`,
    `plugin_directory = ${hcl(places.pluginDirectory)}`,
    // performance_multiplier 1: production's tightest Raft timings; the default (5) makes a single
    // node wait seconds for its first election.
    `storage "raft" {\n  path = ${hcl(places.raftDir)}\n  node_id = "conformance"\n  performance_multiplier = 1\n}`,
    listener(port, tls.server, port + 1),
    listener(port + 2, tls.expiredServer),
    listener(port + 3, tls.wrongHostServer),
    `audit "file" "file" {\n  options {\n    file_path = ${hcl(places.auditLogFile)}\n  }\n}`,
    '',
  ].join('\n');
}

/** Where a run's server keeps its state: all of it under one private folder. */
export function statePlaces(stateDir: string): Omit<VaultConfigPlaces, 'port' | 'pluginDirectory'> {
  return { raftDir: join(stateDir, 'raft'), auditLogFile: join(stateDir, 'audit.log') };
}
