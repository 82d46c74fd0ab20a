import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EDITOR_ARN, type FuzzEnvironment, startFuzzEnvironment } from './fuzz/environment.js';

// Found by the admin-operations fuzz surface: an operation named like an Object.prototype member
// ("toString") passed the operation check and was answered 200 with no body.
let env: FuzzEnvironment;
beforeAll(async () => {
  env = await startFuzzEnvironment('loopback');
});
afterAll(async () => {
  await env.close();
});

describe('admin API operation names', () => {
  for (const operation of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
    it(`refuses "${operation}" as a bad request`, async () => {
      const res = await env.admin({
        body: JSON.stringify({ operation }),
        rawPath: '/',
        requestContext: {
          http: { method: 'POST' },
          requestId: 'test',
          authorizer: { iam: { userArn: EDITOR_ARN } },
        },
      });
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({
        detail: expect.stringContaining('operation must be one of'),
      });
    });
  }
});
