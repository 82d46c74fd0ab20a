import type { Logger } from 'pino';
import type { SecretSource } from './secrets.js';
import type { KeyLookup, SigningKey } from './sigv4.js';

/** A base64 key of at least 32 bytes: anything shorter is a configuration mistake, not a key. */
function checkKey(value: unknown, where: string): string {
  if (
    typeof value !== 'string' ||
    !/^[A-Za-z0-9+/]+={0,2}$/.test(value) ||
    Buffer.from(value, 'base64').length < 32
  ) {
    throw new Error(`${where} is not a base64 key of at least 32 bytes`);
  }
  return value;
}

interface RefreshOptions {
  readonly source: SecretSource;
  readonly secretId: string;
  readonly refreshMs: number;
  readonly logger: Logger;
}

/**
 * Orbit's signing key: the AWSCURRENT version of `{"signingKey": "<base64>"}`; the version id is the
 * key id. Loaded at start, refreshed on a timer; a failed refresh keeps the last good key.
 */
export class SigningKeyProvider {
  private key: SigningKey | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: RefreshOptions) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) =>
        this.options.logger.warn({ err }, 'signing key refresh failed; keeping the last key'),
      );
    }, this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<SigningKey> {
    const version = await this.options.source.getSecretValue(this.options.secretId, 'AWSCURRENT');
    const parsed = JSON.parse(version.secretString) as { signingKey?: unknown };
    const key = {
      keyId: version.versionId,
      secret: checkKey(parsed.signingKey, `${this.options.secretId} signingKey`),
    };
    if (key.keyId !== this.key?.keyId) this.options.logger.info({ keyId: key.keyId }, 'signing key loaded');
    this.key = key;
    return key;
  }

  current(): SigningKey | undefined {
    return this.key;
  }
}

/**
 * Axon's verification keys: `{"keys": {"<versionId>": "<base64>"}}` (pending, current, previous).
 * Refreshed on a timer, and at most once per `unknownKeyRefreshMs` when a request names a key id it
 * does not know (a rotation that happened since the last refresh).
 */
export class VerificationKeyStore implements KeyLookup {
  private keys = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  /** Last refresh caused by an unknown key id; timer refreshes do not count, or they would starve these. */
  private lastUnknownKeyRefresh = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly options: RefreshOptions & {
      readonly unknownKeyRefreshMs: number;
      readonly now?: () => number;
    },
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) =>
        this.options.logger.warn({ err }, 'verification key refresh failed; keeping the last keys'),
      );
    }, this.options.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get loaded(): boolean {
    return this.keys.size > 0;
  }

  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  get(keyId: string): string | undefined {
    return this.keys.get(keyId);
  }

  async refreshFor(keyId: string): Promise<string | undefined> {
    const now = (this.options.now ?? Date.now)();
    // Requests that arrive while a refresh is loading wait for it rather than being rejected.
    if (this.inflight || now - this.lastUnknownKeyRefresh >= this.options.unknownKeyRefreshMs) {
      if (!this.inflight) this.lastUnknownKeyRefresh = now;
      await this.refresh().catch((err: unknown) =>
        this.options.logger.warn({ err, keyId }, 'refresh for an unknown key id failed'),
      );
    }
    return this.keys.get(keyId);
  }

  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    const version = await this.options.source.getSecretValue(this.options.secretId, 'AWSCURRENT');
    const parsed = JSON.parse(version.secretString) as { keys?: unknown };
    if (typeof parsed.keys !== 'object' || parsed.keys === null || Array.isArray(parsed.keys)) {
      throw new Error(`${this.options.secretId} has no "keys" object`);
    }
    const next = new Map<string, string>();
    for (const [id, value] of Object.entries(parsed.keys))
      next.set(id, checkKey(value, `${this.options.secretId} key ${id}`));
    if (next.size === 0) throw new Error(`${this.options.secretId} holds no keys`);
    const before = [...this.keys.keys()].sort().join(',');
    this.keys = next;
    const after = [...next.keys()].sort().join(',');
    if (before !== after) this.options.logger.info({ keyIds: [...next.keys()] }, 'verification keys loaded');
  }
}
