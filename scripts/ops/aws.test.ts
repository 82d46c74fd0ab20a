import { Readable } from 'node:stream';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { HttpResponse } from '@smithy/protocol-http';
import { AwsClients, RETRY } from './aws.js';
import { describeAwsError } from './aws-errors.js';

/** A transport that answers each request with the next recorded response. */
function recordedTransport(responses: readonly { status: number; body: object }[]) {
  const requests: string[] = [];
  return {
    requests,
    handler: {
      handle: async (request: { headers: Record<string, string> }) => {
        requests.push(request.headers['x-amz-target'] ?? '');
        const next = responses[Math.min(requests.length - 1, responses.length - 1)];
        if (!next) throw new Error('no recorded response');
        return {
          response: new HttpResponse({
            statusCode: next.status,
            headers: {
              'content-type': 'application/x-amz-json-1.1',
              'x-amzn-requestid': `req-${requests.length}`,
            },
            body: Readable.from([Buffer.from(JSON.stringify(next.body))]),
          }),
        };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
    },
  };
}

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

const throttled = { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
const services = {
  status: 200,
  body: {
    services: [
      {
        serviceName: 'axon-orbit-dev-orbit',
        status: 'ACTIVE',
        deployments: [{ id: 'ecs-svc/9223370000000000000', status: 'PRIMARY', rolloutState: 'COMPLETED' }],
      },
    ],
    failures: [],
  },
};

describe('AWS clients', () => {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  beforeEach(() => {
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
  });
  afterEach(() => {
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('use adaptive retry', () => {
    expect(RETRY.retryMode).toBe('adaptive');
  });

  it('back off and retry a throttled call until it succeeds', async () => {
    const transport = recordedTransport([throttled, throttled, services]);
    const aws = new AwsClients({ region: 'eu-west-1', requestHandler: transport.handler });
    const answer = await aws.ecs.send(
      new DescribeServicesCommand({ cluster: 'axon-orbit-dev', services: ['axon-orbit-dev-orbit'] }),
    );
    expect(answer.services?.[0]?.serviceName).toBe('axon-orbit-dev-orbit');
    expect(transport.requests).toEqual(Array(3).fill('AmazonEC2ContainerServiceV20141113.DescribeServices'));
    expect(answer.$metadata.attempts).toBe(3);
  });

  it('name the denied action when the service message does not', async () => {
    const transport = recordedTransport([
      { status: 400, body: { __type: 'AccessDeniedException', message: 'Access denied' } },
    ]);
    const aws = new AwsClients({ region: 'eu-west-1', requestHandler: transport.handler });
    const denied = await aws.ecs
      .send(new DescribeServicesCommand({ services: ['x'] }))
      .catch((e: unknown) => e);
    expect(describeAwsError(denied)).toEqual({
      detail: 'access denied: missing permission ecs:DescribeServices',
      fix: 'grant ecs:DescribeServices to the identity running this command',
      permission: 'ecs:DescribeServices',
    });
    expect(transport.requests).toHaveLength(1);
  });
});
