/**
 * Certificates made fresh for each run, for servers served over HTTPS on 127.0.0.1: a CA, a server
 * certificate it signs (SANs `127.0.0.1` and `localhost`), and the three ways a client must refuse
 * a server: a certificate that has expired, one issued for another host name, and a second CA that
 * signed nothing the server shows (a client trusting only it must fail).
 *
 * node-forge builds the certificates because it sets any validity window (an expired certificate
 * needs a `notAfter` in the past, which the openssl 3.0 CLI only does through `openssl ca` and its
 * database) and any SAN, in plain JavaScript. The RSA keys and the signatures come from Node's own
 * crypto (forge's pure-JavaScript RSA takes a second per key on a busy machine).
 *
 *   const tls = await createTlsMaterial(dir);
 *   tls.ca.certificateFile; tls.server.certificateFile; tls.server.keyFile;
 */
import { generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
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
  readonly privateKey: KeyObject;
  /** What forge puts in the certificate. */
  readonly publicKey: forge.pki.rsa.PublicKey;
  readonly keyPem: string;
}

async function newKeyPair(): Promise<KeyPair> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicKey: forge.pki.publicKeyFromPem(publicPem) as forge.pki.rsa.PublicKey, keyPem };
}

/** What forge's `certificate.sign` does, with Node's RSA: sha256WithRSAEncryption over the TBS DER. */
function signCertificate(certificate: forge.pki.Certificate, signer: KeyPair): void {
  const algorithm = forge.pki.oids.sha256WithRSAEncryption as string;
  certificate.signatureOid = algorithm;
  certificate.siginfo.algorithmOid = algorithm;
  // Public in node-forge (pki.getTBSCertificate), missing from its type definitions.
  const tbs = (forge.pki as unknown as { getTBSCertificate(certificate: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(certificate);
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  certificate.signature = sign('sha256', der, signer.privateKey).toString('binary');
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
  signCertificate(certificate, request.issuer?.keys ?? request.keys);
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
export async function createTlsMaterial(dir: string, now: Date = new Date()): Promise<TlsMaterial> {
  mkdirSync(dir, { recursive: true });
  const at = (offsetMs: number): Date => new Date(now.getTime() + offsetMs);
  // A minute of slack: the server's and the client's clocks are the same, but a second may turn.
  const validNow = { notBefore: at(-60_000), notAfter: at(dayMs) };

  // Three keys, made in parallel on libuv's threads.
  const [caKeys, serverKeys, otherCaKeys] = await Promise.all([newKeyPair(), newKeyPair(), newKeyPair()]);
  const caCertificate = issue({ commonName: 'conformance run CA', keys: caKeys, isCa: true, notBefore: at(-60_000), notAfter: at(7 * dayMs) });
  const issuer = { certificate: caCertificate, keys: caKeys };

  return {
    dir,
    ca: save(dir, 'ca', caCertificate, caKeys),
    server: save(
      dir,
      'server',
      issue({ commonName: '127.0.0.1', keys: serverKeys, isCa: false, altNames: serverNames, issuer, ...validNow }),
      serverKeys,
    ),
    expiredServer: save(
      dir,
      'server-expired',
      issue({
        commonName: '127.0.0.1',
        keys: serverKeys,
        isCa: false,
        altNames: serverNames,
        issuer,
        notBefore: at(-2 * dayMs),
        notAfter: at(-dayMs),
      }),
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
