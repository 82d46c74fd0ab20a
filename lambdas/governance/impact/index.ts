/**
 * Policy impact: replay recorded decisions (the decision function's log lines) against the revision
 * each was decided under and against a candidate, and report what the candidate would flip.
 *
 *   const replay = new ImpactReplay({ candidate, revisions: storeRevisions(store) });
 *   const report = await replayLines(replay, jsonlSource('decisions.jsonl', replay));
 *
 * Sources yield batches of log lines and stream: a JSONL file, a Logs Insights window, the S3 archive.
 */
export { callerLabel } from './caller.js';
export { type ReadLine, type RecordedDecision, readDecisionLine } from './record.js';
export { type ImpactOptions, ImpactReplay, replayLines } from './replay.js';
export { RevisionCache, type RevisionSource, storeRevisions } from './revisions.js';
export { jsonlSource } from './sources/jsonl.js';
export { DECISION_QUERY, type InsightsSourceOptions, insightsSource } from './sources/logs-insights.js';
export { type ArchiveSourceOptions, archiveSource } from './sources/s3-archive.js';
