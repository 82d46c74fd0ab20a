import type { DecisionSourceInfo, ImpactRecord, WindowImpact } from '../../../contracts/impact.js';
import type { PolicyDocument } from '../engine/index.js';
import { ImpactReplay, type RevisionSource, replayLines } from '../impact/index.js';
import { AdminError } from './errors.js';

/** The recorded decisions of one window, streamed into a replay. */
export interface DecisionSource extends DecisionSourceInfo {
  lines(replay: ImpactReplay): AsyncIterable<readonly string[]>;
  close(): void;
}

export interface ImpactGateOptions {
  /** The recorded decisions between two instants (epoch ms, `to` exclusive). */
  readonly decisions: (from: number, to: number) => DecisionSource;
  /** Where each decision's own revision is read (the policy store). */
  readonly revisions: RevisionSource;
  /** More flips than this refuse a put that does not accept its impact; undefined: puts are not gated. */
  readonly maxFlips: number | undefined;
  /** How far back a put is checked, and a dry run replays when it names no window. */
  readonly windowMs: number;
  readonly now?: () => number;
}

/**
 * Replays the recorded decisions of a window against a candidate (each decision under its own
 * revision, with its recorded time and environment) for the admin API: the dry run's impact, and
 * the gate a put passes before anything is written.
 */
export class ImpactGate {
  private readonly now: () => number;

  constructor(private readonly options: ImpactGateOptions) {
    this.now = options.now ?? Date.now;
  }

  get maxFlips(): number | undefined {
    return this.options.maxFlips;
  }

  async measure(candidate: PolicyDocument, windowMs = this.options.windowMs): Promise<WindowImpact> {
    const to = this.now();
    const source = this.options.decisions(to - windowMs, to);
    try {
      const replay = new ImpactReplay({ candidate, revisions: this.options.revisions });
      const report = await replayLines(replay, source.lines(replay));
      return { ...report, source: source.source, from: source.from, to: source.to };
    } catch (error) {
      if (error instanceof AdminError) throw error;
      throw new AdminError(
        'unavailable',
        `cannot replay the recorded decisions of ${source.source}: ${(error as Error).message}`,
      );
    } finally {
      source.close();
    }
  }

  /**
   * The impact record for a put's audit entry; throws `impact-exceeded` (nothing is written) when
   * the candidate flips more recorded decisions than the threshold and the author did not accept it.
   */
  async check(
    candidate: PolicyDocument,
    caller: string,
    accepted: boolean,
  ): Promise<ImpactRecord | undefined> {
    const maxFlips = this.options.maxFlips;
    if (maxFlips === undefined) return undefined;
    const impact = await this.measure(candidate);
    const t = impact.totals;
    const exceeded = t.flips > maxFlips;
    if (exceeded && !accepted) {
      throw new AdminError(
        'impact-exceeded',
        `the candidate flips ${t.flips} recorded decisions (${t.allowToDeny} allow→deny, ${t.denyToAllow} deny→allow) in ${impact.source}, more than the threshold of ${maxFlips}; nothing was written. Review the flips, then push again with --accept-impact ("acceptImpact": true) to publish anyway`,
        { flips: t.flips, maxFlips, impact },
      );
    }
    return {
      source: impact.source,
      from: impact.from,
      to: impact.to,
      flips: t.flips,
      allowToDeny: t.allowToDeny,
      denyToAllow: t.denyToAllow,
      replayed: t.replayed,
      nonReproducing: t.nonReproducing,
      maxFlips,
      ...(exceeded ? { acceptedBy: caller } : {}),
    };
  }
}
