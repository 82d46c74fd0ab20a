import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms';

/** Signs a JWS signing input with ES256; returns the JOSE signature (r ‖ s, 64 bytes). */
export interface Es256Signer {
  /** The `kid` of the tokens it signs: the KMS key ARN, or the local key's id. */
  readonly keyId: string;
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/**
 * DER `SEQUENCE { INTEGER r, INTEGER s }` (what KMS returns for ECDSA_SHA_256) to the fixed-width
 * `r ‖ s` JWS requires (RFC 7518 §3.4): each integer loses its sign-padding zero and is left-padded to
 * 32 bytes. Anything that is not such a sequence throws.
 */
export function derToJose(der: Uint8Array, size = 32): Uint8Array {
  const fail = (why: string): never => {
    throw new Error(`not a DER ECDSA signature: ${why}`);
  };
  let at = 0;
  const byte = (): number => (at < der.length ? (der[at++] as number) : fail('truncated'));
  const length = (): number => {
    const first = byte();
    if (first < 0x80) return first;
    if (first !== 0x81) return fail('unsupported length');
    return byte();
  };
  if (byte() !== 0x30) fail('no SEQUENCE');
  if (length() !== der.length - at) fail('SEQUENCE length does not match');
  const out = new Uint8Array(size * 2);
  for (const offset of [0, size]) {
    if (byte() !== 0x02) fail('no INTEGER');
    const len = length();
    if (len === 0 || at + len > der.length) fail('bad INTEGER length');
    let value = der.subarray(at, at + len);
    at += len;
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > size) fail('INTEGER too large');
    out.set(value, offset + size - value.length);
  }
  if (at !== der.length) fail('trailing bytes');
  return out;
}

type KmsModule = typeof import('@aws-sdk/client-kms');
let kmsModule: Promise<KmsModule> | undefined;

/**
 * The KMS client module, loaded on the first signature rather than at init: only an allow signs,
 * and the decision function's cold start should not pay for a second AWS SDK client up front.
 */
function loadKms(): Promise<KmsModule> {
  kmsModule ??= import('@aws-sdk/client-kms');
  return kmsModule;
}

/** ES256 with an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY): the private key never leaves KMS. */
export class KmsEs256Signer implements Es256Signer {
  private readonly client: () => Promise<KMSClient>;

  /** `kms`: a client, or the configuration of one made on the first signature. */
  constructor(
    kms: KMSClient | KMSClientConfig,
    readonly keyId: string,
  ) {
    let made: Promise<KMSClient> | undefined;
    this.client =
      'send' in kms
        ? () => Promise.resolve(kms)
        : () => {
            made ??= loadKms().then(({ KMSClient }) => new KMSClient(kms));
            return made;
          };
  }

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    const [{ SignCommand }, kms] = await Promise.all([loadKms(), this.client()]);
    const out = await kms.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: signingInput,
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    if (!out.Signature) throw new Error('KMS Sign returned no signature');
    return derToJose(out.Signature);
  }
}

/** The local stand-in for KMS: a P-256 private key held in this process (npm start, tests). */
export class LocalEs256Signer implements Es256Signer {
  constructor(
    private readonly privateKey: KeyObject,
    readonly keyId: string,
  ) {}

  async sign(signingInput: Uint8Array): Promise<Uint8Array> {
    return sign('sha256', signingInput, { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
  }

  /** From the local key file `{kid, privateKeyPem}` the local platform writes. */
  static fromFile(path: string): LocalEs256Signer {
    const file = JSON.parse(readFileSync(path, 'utf8')) as { kid?: unknown; privateKeyPem?: unknown };
    if (typeof file.kid !== 'string' || typeof file.privateKeyPem !== 'string') {
      throw new Error(`${path} is not a decision-token key file ({kid, privateKeyPem})`);
    }
    return new LocalEs256Signer(createPrivateKey(file.privateKeyPem), file.kid);
  }
}
