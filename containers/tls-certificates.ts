/**
 * Certificates made fresh for each run, for servers served over HTTPS on 127.0.0.1: a CA, a server
 * certificate it signs (SANs `127.0.0.1` and `localhost`), and the three ways a client must refuse
 * a server: a certificate that has expired, one issued for another host name, and a second CA that
 * signed nothing the server shows (a client trusting only it must fail).
 *
 * node-forge builds the certificates because it sets any validity window (an expired certificate
 * needs a `notAfter` in the past, which the openssl 3.0 CLI only does through `openssl ca` and its
 * database) and any SAN, in plain JavaScript; the RSA keys come from Node's own crypto.
 *
 *   const tls = await createTlsMaterial(dir);
 *   tls.ca.certificateFile; tls.server.certificateFile; tls.server.keyFile;
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/** A certificate and its key, as PEM text and as files (servers read files). */
export interface IssuedCertificate {
  readonly certificatePem: string;
  readonly keyPem: string;
  readonly certificateFile: string;
  readonly keyFile: string;
}

export interface TlsMaterial {
  readonly dir: string;
  /** The run's CA: clients trust it with `verify=<ca.certificateFile>`. */
  readonly ca: IssuedCertificate;
  /** Signed by `ca`, valid now, for `127.0.0.1` and `localhost`. */
  readonly server: IssuedCertificate;
  /** Signed by `ca`, for the right names, but its validity ended yesterday. */
  readonly expiredServer: IssuedCertificate;
  /** Signed by `ca`, valid now, for `vault.invalid` only. */
  readonly wrongHostServer: IssuedCertificate;
  /** A CA that signed none of the above. */
  readonly otherCa: IssuedCertificate;
}

/** The names the right certificates are issued for. */
export const serverNames = { dns: ['localhost'], ip: ['127.0.0.1'] } as const;
export const wrongHostName = 'vault.invalid';

const dayMs = 24 * 60 * 60 * 1000;

interface KeyPair {
  readonly privateKey: forge.pki.rsa.PrivateKey;
  readonly publicKey: forge.pki.rsa.PublicKey;
  readonly keyPem: string;
}

function newKeyPair(): KeyPair {
  // Node's native RSA: node-forge's pure-JavaScript generator takes seconds per key.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

interface CertificateRequest {
  readonly commonName: string;
  readonly keys: KeyPair;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCa: boolean;
  readonly altNames?: { readonly dns: readonly string[]; readonly ip: readonly string[] };
  /** Absent: self-signed. */
  readonly issuer?: { readonly certificate: forge.pki.Certificate; readonly keys: KeyPair };
}

function issue(request: CertificateRequest): forge.pki.Certificate {
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = request.keys.publicKey;
  // A positive 16-byte serial: a leading 0 keeps the DER integer positive.
  certificate.serialNumber = `00${randomBytes(16).toString('hex')}`;
  certificate.validity.notBefore = request.notBefore;
  certificate.validity.notAfter = request.notAfter;
  const subject = [
    { name: 'commonName', value: request.commonName },
    { name: 'organizationName', value: 'airflow-secrets-conformance' },
  ];
  certificate.setSubject(subject);
  certificate.setIssuer(request.issuer ? request.issuer.certificate.subject.attributes : subject);
  const extensions: object[] = request.isCa
    ? [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ]
    : [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            ...(request.altNames?.dns ?? []).map((value) => ({ type: 2, value })),
            ...(request.altNames?.ip ?? []).map((ip) => ({ type: 7, ip })),
          ],
        },
      ];
  extensions.push({ name: 'subjectKeyIdentifier' });
  if (request.issuer) {
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: request.issuer.certificate.generateSubjectKeyIdentifier().getBytes() });
  }
  certificate.setExtensions(extensions);
  certificate.sign(request.issuer?.keys.privateKey ?? request.keys.privateKey, forge.md.sha256.create());
  return certificate;
}

function save(dir: string, name: string, certificate: forge.pki.Certificate, keys: KeyPair): IssuedCertificate {
  const certificatePem = forge.pki.certificateToPem(certificate);
  const certificateFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(certificateFile, certificatePem, { mode: 0o644 });
  writeFileSync(keyFile, keys.keyPem, { mode: 0o600 });
  return { certificatePem, keyPem: keys.keyPem, certificateFile, keyFile };
}

/** Writes the run's CAs and server certificates into `dir` (created if missing). */
export function createTlsMaterial(dir: string, now: Date = new Date()): TlsMaterial {
  mkdirSync(dir, { recursive: true });
  const at = (offsetMs: number): Date => new Date(now.getTime() + offsetMs);
  // A minute of slack: the server's and the client's clocks are the same, but a second may turn.
  const validNow = { notBefore: at(-60_000), notAfter: at(dayMs) };

  const caKeys = newKeyPair();
  const caCertificate = issue({ commonName: 'conformance run CA', keys: caKeys, isCa: true, notBefore: at(-60_000), notAfter: at(7 * dayMs) });
  const issuer = { certificate: caCertificate, keys: caKeys };
  const serverKeys = newKeyPair();
  const otherCaKeys = newKeyPair();

  return {
    dir,
    ca: save(dir, 'ca', caCertificate, caKeys),
    server: save(dir, 'server', issue({ commonName: '127.0.0.1', keys: serverKeys, isCa: false, altNames: serverNames, issuer, ...validNow }), serverKeys),
    expiredServer: save(
      dir,
      'server-expired',
      issue({ commonName: '127.0.0.1', keys: serverKeys, isCa: false, altNames: serverNames, issuer, notBefore: at(-2 * dayMs), notAfter: at(-dayMs) }),
      serverKeys,
    ),
    wrongHostServer: save(
      dir,
      'server-wrong-host',
      issue({ commonName: wrongHostName, keys: serverKeys, isCa: false, altNames: { dns: [wrongHostName], ip: [] }, issuer, ...validNow }),
      serverKeys,
    ),
    otherCa: save(
      dir,
      'other-ca',
      issue({ commonName: 'unrelated CA', keys: otherCaKeys, isCa: true, notBefore: at(-60_000), notAfter: at(7 * dayMs) }),
      otherCaKeys,
    ),
  };
}
