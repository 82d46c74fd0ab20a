import Fastify from 'fastify';
import { Pool } from 'undici';

/**
 * The bench's baseline hop: a bare Fastify + undici pass-through (no authentication, rate limiting,
 * governance, signing, logging or breaker) in front of TARGET_URL, the trivial target. Forwards
 * method, path, headers and raw body unchanged. Env: PORT, TARGET_URL.
 */
const target = new URL(process.env.TARGET_URL ?? 'http://127.0.0.1:8081');
const pool = new Pool(target.origin, { connections: 128, keepAliveTimeout: 30_000 });
const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

app.all('/*', async (request, reply) => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && name !== 'connection' && name !== 'content-length')
      headers[name] = String(value);
  }
  const res = await pool.request({
    path: request.url,
    method: request.method as 'POST',
    headers,
    body: Buffer.isBuffer(request.body) ? request.body : undefined,
  });
  reply.code(res.statusCode);
  const type = res.headers['content-type'];
  if (type) reply.header('content-type', String(type));
  return reply.send(Buffer.from(await res.body.arrayBuffer()));
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
const stop = () => {
  app.close().then(() => pool.close().then(() => process.exit(0)));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
