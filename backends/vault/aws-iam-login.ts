/**
 * The body of a Vault `aws` auth login with `auth_type=iam` (what hvac's `auth.aws.iam_login`
 * sends, and so what Airflow's `auth_type="aws_iam"` sends): an `sts:GetCallerIdentity` request,
 * SigV4-signed by the client but never sent by it. Vault forwards it to its own configured STS
 * endpoint, keeping the signed Host header, and STS's answer names the caller.
 *
 * So the client signs for the public STS host (`sts.amazonaws.com`, or the region's) whatever STS
 * Vault really talks to: the STS endpoint is Vault's configuration (`sts_endpoint`), not the
 * client's. The optional `X-Vault-AWS-IAM-Server-ID` header is signed with the rest, binding the
 * request to one Vault (`iam_server_id_header_value`).
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsIamLoginRequest {
  readonly credentials: AwsCredentials;
  /** hvac's default is `us-east-1`; it also picks the STS host. */
  readonly region?: string;
  /** The Vault role; absent, Vault uses the role named like the caller's principal. */
  readonly role?: string;
  /** The value of `X-Vault-AWS-IAM-Server-ID` the server requires, if it requires one. */
  readonly serverIdHeader?: string;
}

const getCallerIdentityBody = 'Action=GetCallerIdentity&Version=2011-06-15';

/** STS's public host for the region, as hvac and botocore address it. */
export function stsUrlFor(region: string): URL {
  return new URL(region === 'us-east-1' ? 'https://sts.amazonaws.com/' : `https://sts.${region}.amazonaws.com/`);
}

/** The JSON body for `POST /v1/auth/<mount>/login`. */
export async function awsIamLoginBody(request: AwsIamLoginRequest): Promise<Record<string, string>> {
  const region = request.region ?? 'us-east-1';
  const url = stsUrlFor(region);
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    ...(request.serverIdHeader ? { 'x-vault-aws-iam-server-id': request.serverIdHeader } : {}),
  };
  const signer = new SignatureV4({ credentials: request.credentials, region, service: 'sts', sha256: NodeSha256, applyChecksum: false });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    path: url.pathname,
    headers,
    body: getCallerIdentityBody,
  });
  // Vault reads the headers as a JSON object of lists of values (Go's http.Header).
  const signedHeaders = Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name, [value]]));
  return {
    ...(request.role ? { role: request.role } : {}),
    iam_http_request_method: 'POST',
    iam_request_url: base64(url.href),
    iam_request_body: base64(getCallerIdentityBody),
    iam_request_headers: base64(JSON.stringify(signedHeaders)),
  };
}

/** What SignatureV4 hashes: text, bytes, or a view or buffer of them. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The `Checksum` SignatureV4 wants, on Node's crypto: SHA-256, or HMAC-SHA-256 with a key. */
class NodeSha256 {
  private readonly secret: Uint8Array | string | undefined;
  private state: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
    this.state = this.fresh();
  }

  update(data: SourceData): void {
    this.state.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.state.digest());
  }

  reset(): void {
    this.state = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}
