/** A stand-in service for ServiceProcess's tests: answers `/health` 200 on PORT, drains on SIGTERM. */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  res.writeHead(req.url?.startsWith('/health') ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ pid: process.pid }));
});
process.once('SIGTERM', () => server.close());
server.listen(Number(process.env.PORT), process.env.HOST);
