import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GetPublicKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { Logger } from 'pino';
import {
  DECISION_CALLER_HEADER,
  DECISION_TOKEN_ALGORITHM,
  DECISION_TOKEN_CLOCK_TOLERANCE_S,
  DECISION_TOKEN_MAX_BYTES,
  DECISION_TOKEN_TYPE,
  type DecisionTokenClaims,
  decisionTokenAudience,
  decisionTokenIssuer,
} from '../../contracts/decision-token.js';

/** Each refusal's problem type; all distinct from every signature problem. Status 403. */
export type TokenRejectReason =
  | 'decision-token-missing'
  | 'decision-token-unsigned'
  | 'decision-token-malformed'
  | 'decision-token-algorithm'
  | 'decision-token-unknown-key'
  | 'decision-token-forged'
  | 'decision-token-expired'
  | 'decision-token-claims'
  | 'decision-token-intent-mismatch'
  | 'decision-token-caller-missing'
  | 'decision-token-caller-mismatch';

export type TokenResult =
  | { readonly ok: true; readonly claims: DecisionTokenClaims }
  | { readonly ok: false; readonly reason: TokenRejectReason; readonly detail: string };

/** Where the verifier finds governance's public key for a `kid`. */
export interface TokenKeySource {
  key(kid: string): Promise<KeyObject | undefined>;
  /** Whether every trusted key is loaded (Axon's readiness). */
  readonly loaded: boolean;
}

export interface DecisionTokenVerifierOptions {
  readonly keys: TokenKeySource;
  readonly environment: string;
  readonly now?: () => number;
  /** Verified tokens remembered (a token is reused for every dispatch of its cached decision). */
  readonly cacheEntries?: number;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_LIFETIME_S = 300;
const REQUIRED = ['iat', 'exp', 'txn', 'sub', 'scope', 'tctx'];

const refuse = (reason: TokenRejectReason, detail: string): TokenResult => ({ ok: false, reason, detail });

/**
 * Axon's check of governance's decision token: an ES256 compact JWS of type `txn_token` from this
 * environment's governance, for this trust domain, unexpired, whose `scope` is the intent asked and
 * whose `sub` is the caller Orbit names in the signed `x-caller-id` header (required: without it a
 * token obtained for one caller could serve a dispatch for another). The ECDSA verification (tens of µs) runs once per token:
 * Orbit reuses a token for every dispatch of its cached decision, so verified tokens are remembered,
 * keyed by their exact bytes, until they expire; a repeat costs a map lookup and the claim checks.
 */
export class DecisionTokenVerifier {
  private readonly now: () => number;
  private readonly verified = new Map<string, DecisionTokenClaims>();
  private readonly issuer: string;
  private readonly audience: string;
  private readonly cacheEntries: number;

  constructor(private readonly options: DecisionTokenVerifierOptions) {
    this.now = options.now ?? Date.now;
    this.issuer = decisionTokenIssuer(options.environment);
    this.audience = decisionTokenAudience(options.environment);
    this.cacheEntries = options.cacheEntries ?? 10_000;
  }

  get ready(): boolean {
    return this.options.keys.loaded;
  }

  async verify(token: string | undefined, intent: string, caller: string | undefined): Promise<TokenResult> {
    if (token === undefined || token === '') return refuse('decision-token-missing', 'no txn-token header');
    if (token.length > DECISION_TOKEN_MAX_BYTES || !COMPACT_JWS.test(token)) {
      return refuse(
        'decision-token-malformed',
        `not a compact JWS of at most ${DECISION_TOKEN_MAX_BYTES} bytes`,
      );
    }
    const nowS = Math.floor(this.now() / 1000);
    let claims = this.verified.get(token);
    if (claims === undefined) {
      const fresh = await this.verifyOnce(token);
      if (!fresh.ok) return fresh;
      claims = fresh.claims;
      if (this.verified.size >= this.cacheEntries) this.verified.clear();
      this.verified.set(token, claims);
    } else if (claims.exp + DECISION_TOKEN_CLOCK_TOLERANCE_S <= nowS) {
      this.verified.delete(token);
      return refuse('decision-token-expired', 'the decision token has expired');
    }
    if (claims.scope !== intent) {
      return refuse('decision-token-intent-mismatch', 'the decision token allows another intent');
    }
    if (caller === undefined || caller === '') {
      return refuse('decision-token-caller-missing', `no ${DECISION_CALLER_HEADER} header names the caller`);
    }
    if (claims.sub !== caller) {
      return refuse('decision-token-caller-mismatch', 'the decision token was issued for another caller');
    }
    return { ok: true, claims };
  }

  private async verifyOnce(token: string): Promise<TokenResult> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return refuse('decision-token-malformed', 'the protected header is not base64url JSON');
    }
    if (header.alg !== DECISION_TOKEN_ALGORITHM) {
      return refuse('decision-token-algorithm', `alg must be ${DECISION_TOKEN_ALGORITHM}`);
    }
    if (header.typ !== DECISION_TOKEN_TYPE)
      return refuse('decision-token-claims', `typ must be ${DECISION_TOKEN_TYPE}`);
    const key = typeof header.kid === 'string' ? await this.options.keys.key(header.kid) : undefined;
    if (!key) return refuse('decision-token-unknown-key', 'kid names no key Axon trusts');
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [DECISION_TOKEN_ALGORITHM],
        typ: DECISION_TOKEN_TYPE,
        issuer: this.issuer,
        audience: this.audience,
        clockTolerance: DECISION_TOKEN_CLOCK_TOLERANCE_S,
        requiredClaims: REQUIRED,
        currentDate: new Date(this.now()),
      });
      return checkClaims(payload as unknown as DecisionTokenClaims, Math.floor(this.now() / 1000));
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed) {
        return refuse('decision-token-forged', 'the signature does not verify with the key it names');
      }
      if (err instanceof errors.JWTExpired)
        return refuse('decision-token-expired', 'the decision token has expired');
      if (err instanceof errors.JWTClaimValidationFailed) {
        return refuse('decision-token-claims', `claim ${err.claim} is not valid here`);
      }
      return refuse('decision-token-malformed', 'the decision token does not parse as a JWT');
    }
  }
}

function checkClaims(c: DecisionTokenClaims, nowS: number): TokenResult {
  const tctx = c.tctx as unknown as Record<string, unknown> | null;
  if (
    typeof c.sub !== 'string' ||
    typeof c.scope !== 'string' ||
    typeof c.txn !== 'string' ||
    typeof tctx !== 'object' ||
    tctx === null ||
    typeof tctx.decisionId !== 'string'
  ) {
    return refuse('decision-token-claims', 'sub, scope, txn and tctx.decisionId are required');
  }
  if (c.iat > nowS + DECISION_TOKEN_CLOCK_TOLERANCE_S) {
    return refuse('decision-token-claims', 'iat is in the future');
  }
  if (c.exp - c.iat > MAX_LIFETIME_S) {
    return refuse('decision-token-claims', `the token lives longer than ${MAX_LIFETIME_S} s`);
  }
  return { ok: true, claims: c };
}

function spkiKey(der: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
}

/**
 * Governance's public keys from KMS (`GetPublicKey`), fetched at start and cached: the trusted key
 * ARNs come from configuration, so a rotation (a new key, see docs/security.md) is a configuration
 * change, and a key that failed to load is fetched again when a token names it (at most every
 * `retryMs`). Only ECC_NIST_P256 keys for ECDSA_SHA_256 are accepted.
 */
export class KmsPublicKeys implements TokenKeySource {
  private readonly keys = new Map<string, KeyObject>();
  private readonly lastTry = new Map<string, number>();

  constructor(
    private readonly kms: KMSClient,
    private readonly keyIds: readonly string[],
    private readonly logger: Logger,
    private readonly retryMs = 5_000,
  ) {}

  get loaded(): boolean {
    return this.keyIds.every((id) => this.keys.has(id));
  }

  async start(): Promise<void> {
    await Promise.all(this.keyIds.map((id) => this.fetch(id)));
  }

  async key(kid: string): Promise<KeyObject | undefined> {
    const known = this.keys.get(kid);
    if (known || !this.keyIds.includes(kid)) return known;
    const last = this.lastTry.get(kid) ?? Number.NEGATIVE_INFINITY;
    if (Date.now() - last < this.retryMs) return undefined;
    await this.fetch(kid);
    return this.keys.get(kid);
  }

  private async fetch(keyId: string): Promise<void> {
    this.lastTry.set(keyId, Date.now());
    try {
      const out = await this.kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
      if (
        !out.PublicKey ||
        out.KeySpec !== 'ECC_NIST_P256' ||
        out.KeyUsage !== 'SIGN_VERIFY' ||
        !out.SigningAlgorithms?.includes('ECDSA_SHA_256')
      ) {
        throw new Error(`${keyId} is not an ECC_NIST_P256 SIGN_VERIFY key for ECDSA_SHA_256`);
      }
      this.keys.set(keyId, spkiKey(out.PublicKey));
      this.logger.info({ keyId }, 'decision-token public key loaded');
    } catch (err) {
      this.logger.error({ err, keyId }, 'decision-token public key could not be loaded');
    }
  }
}

/** The local stand-in: the public half of the key file the local platform writes. */
export class LocalPublicKeys implements TokenKeySource {
  private constructor(
    private readonly kid: string,
    private readonly publicKey: KeyObject,
  ) {}

  readonly loaded = true;

  static async fromFile(path: string): Promise<LocalPublicKeys> {
    const file = JSON.parse(await readFile(path, 'utf8')) as { kid?: unknown; publicKeyPem?: unknown };
    if (typeof file.kid !== 'string' || typeof file.publicKeyPem !== 'string') {
      throw new Error(`${path} is not a decision-token key file ({kid, publicKeyPem})`);
    }
    return new LocalPublicKeys(file.kid, createPublicKey(file.publicKeyPem));
  }

  async key(kid: string): Promise<KeyObject | undefined> {
    return kid === this.kid ? this.publicKey : undefined;
  }
}
