/**
 * Container health check for images without a shell or curl (distroless): `node healthcheck.mjs`.
 * Exits 0 when `GET http://127.0.0.1:$PORT/health` answers 2xx within 2 s, else 1. The ECS task
 * definition runs the same command.
 */
const port = process.env.PORT ?? '8080';
fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
