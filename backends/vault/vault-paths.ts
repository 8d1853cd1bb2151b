/**
 * Where a lookup reads: `VaultBackend._parse_path` / `_get_secret_with_base`, then
 * `_VaultClient._parse_secret_path`, and the URL path hvac builds from that. Shared with the
 * fixture stores and mutants, which must write and read exactly where the provider looks.
 */
import { quote } from '../../model/connection/python-url';
import { buildPath } from '../../model/contract';

export interface SecretLocation {
  readonly mount: string;
  readonly path: string;
}

/**
 * Where `key` under `basePath` is read, or `null` when Airflow returns None without a request
 * (`mount_point` unset and no `/` in the id). Both of Airflow's splitting steps are kept as they
 * are, quirks included: `mount_point=None` with the id `/x` reads mount `connections`, path `x`.
 */
export function locateSecret(mountPoint: string | null, basePath: string, key: string): SecretLocation | null {
  let idMount = '';
  let keyPart = key;
  if (!mountPoint) {
    const slash = key.indexOf('/');
    if (slash < 0) return null;
    idMount = key.slice(0, slash);
    keyPart = key.slice(slash + 1);
  }
  const secretPath = basePath === '' ? keyPart : buildPath(basePath, keyPart);
  const fullPath = (idMount ? `${idMount}/` : '') + secretPath;
  if (mountPoint) return { mount: mountPoint, path: fullPath };
  const slash = fullPath.indexOf('/');
  // The client raises InvalidPath here, which get_secret turns into None.
  if (slash < 0) return null;
  return { mount: fullPath.slice(0, slash), path: fullPath.slice(slash + 1) };
}

/** hvac's `format_url`: each value `urllib.parse.quote`d with `/` kept. */
export function quoteVaultPath(text: string): string {
  return quote(text).replace(/%2F/g, '/');
}

/** The API path (after `/v1/`) hvac reads: `read_secret_version` for v2, `read_secret` for v1. */
export function kvReadPath(kvEngineVersion: 1 | 2, location: SecretLocation): string {
  const mount = quoteVaultPath(location.mount);
  const path = quoteVaultPath(location.path);
  return kvEngineVersion === 2 ? `${mount}/data/${path}` : `${mount}/${path}`;
}
