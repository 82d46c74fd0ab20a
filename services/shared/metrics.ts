import type { Logger } from 'pino';
import { dimensionSetsOf, METRIC_DIMENSIONS, type MetricSpec } from '../../contracts/metrics.js';

type Unit = 'Count' | 'Milliseconds';

/**
 * CloudWatch Embedded Metric Format, aggregated in memory and written as one log line per interval
 * (not one per request: at thousands of requests a second a line each would cost more than the
 * request). Latencies keep up to 100 distinct values with counts, which EMF accepts as a distribution.
 */
export class EmfMetrics {
  private counters = new Map<string, number>();
  private timings = new Map<string, Map<number, number>>();
  /** Counts of metrics with an extra dimension, by metric name, then by the dimension's value. */
  private dimensioned = new Map<
    string,
    { spec: MetricSpec & { by: string }; byValue: Map<string, number> }
  >();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      readonly namespace: string;
      readonly service: string;
      /** `dev`, `staging`, `prod` or `local`: environments may share an account, never a metric. */
      readonly environment: string;
      readonly logger: Logger;
      readonly flushMs: number;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }

  count(name: string, value = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + value);
  }

  /**
   * Counts `spec` for one value of its extra dimension (`spec.by`, e.g. the caller). Each value is
   * one EMF document per flush carrying both dimension sets, so the metric's total and its per-value
   * series come from the same data points. Values come from verified tokens and a fixed set of
   * reasons; a flood of distinct values still flushes early rather than growing without bound.
   */
  countBy(spec: MetricSpec, value: string, n = 1): void {
    const by = spec.by;
    if (by === undefined) throw new Error(`metric ${spec.name} has no extra dimension`);
    let entry = this.dimensioned.get(spec.name);
    if (!entry) {
      entry = { spec: { ...spec, by }, byValue: new Map() };
      this.dimensioned.set(spec.name, entry);
    }
    entry.byValue.set(value, (entry.byValue.get(value) ?? 0) + n);
    if (entry.byValue.size >= 100) this.flush();
  }

  timing(name: string, ms: number): void {
    let values = this.timings.get(name);
    if (!values) {
      values = new Map();
      this.timings.set(name, values);
    }
    const bucket = ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms);
    values.set(bucket, (values.get(bucket) ?? 0) + 1);
    if (values.size >= 100) this.flush();
  }

  /** Builds the EMF document for what was recorded since the last flush, or undefined if nothing was. */
  snapshot(timestamp = Date.now()): Record<string, unknown> | undefined {
    if (this.counters.size === 0 && this.timings.size === 0) return undefined;
    const definitions: { Name: string; Unit: Unit }[] = [];
    const values: Record<string, unknown> = {};
    for (const [name, value] of this.counters) {
      definitions.push({ Name: name, Unit: 'Count' });
      values[name] = value;
    }
    for (const [name, buckets] of this.timings) {
      definitions.push({ Name: name, Unit: 'Milliseconds' });
      values[name] = { Values: [...buckets.keys()], Counts: [...buckets.values()] };
    }
    this.counters = new Map();
    this.timings = new Map();
    return {
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: this.options.namespace,
            Dimensions: [['Service', 'Environment']],
            Metrics: definitions,
          },
        ],
      },
      Service: this.options.service,
      Environment: this.options.environment,
      ...values,
    };
  }

  /** The EMF documents of the dimensioned counts since the last flush: one per metric and value. */
  dimensionedSnapshots(timestamp = Date.now()): Record<string, unknown>[] {
    const docs: Record<string, unknown>[] = [];
    for (const { spec, byValue } of this.dimensioned.values()) {
      for (const [value, n] of byValue) {
        docs.push({
          _aws: {
            Timestamp: timestamp,
            CloudWatchMetrics: [
              {
                Namespace: this.options.namespace,
                Dimensions: dimensionSetsOf(spec),
                Metrics: [{ Name: spec.name, Unit: spec.unit }],
              },
            ],
          },
          [METRIC_DIMENSIONS.service]: this.options.service,
          [METRIC_DIMENSIONS.environment]: this.options.environment,
          [spec.by]: value,
          [spec.name]: n,
        });
      }
    }
    this.dimensioned = new Map();
    return docs;
  }

  flush(): void {
    const timestamp = Date.now();
    const doc = this.snapshot(timestamp);
    if (doc) this.options.logger.info(doc, 'metrics');
    for (const dimensioned of this.dimensionedSnapshots(timestamp)) {
      this.options.logger.info(dimensioned, 'metrics');
    }
  }
}
