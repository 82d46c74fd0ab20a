import { createServer } from 'node:http';
import { TRIVIAL_TARGET_SERVICE } from './trivial-target-answer.js';

/**
 * The bench's trivial target: answers every request at once with a small JSON object, after reading
 * the body (as any server must). What both the bare proxy and governed Orbit forward to, so neither
 * side of the dispatch ratio pays for Axon's checks. Env: PORT.
 */
const ANSWER = JSON.stringify({ status: 'ok', service: TRIVIAL_TARGET_SERVICE });
const server = createServer((req, res) => {
  req.resume();
  req.once('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) });
    res.end(ANSWER);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
