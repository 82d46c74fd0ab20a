/** How AWS SDK v3 errors read to an operator: what happened, which permission, what to do. */

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'AuthorizationErrorException',
  'UnauthorizedException',
]);

const CREDENTIALS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
]);

/** `aws sts get-caller-identity` is the quickest proof; the three usual ways to get credentials. */
export const CREDENTIALS_HINT =
  'no usable AWS credentials: run `aws sso login --profile <profile>` and export AWS_PROFILE=<profile>, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); in GitHub Actions assume the deploy role with aws-actions/configure-aws-credentials';

function nameOf(thrown: unknown): string {
  if (typeof thrown !== 'object' || thrown === null) return '';
  const { name, Code } = thrown as { name?: unknown; Code?: unknown };
  return typeof Code === 'string' ? Code : typeof name === 'string' ? name : '';
}

function messageOf(thrown: unknown): string {
  const { message } = (thrown ?? {}) as { message?: unknown };
  return typeof message === 'string' ? message : String(thrown);
}

export function isAccessDenied(thrown: unknown): boolean {
  return ACCESS_DENIED.has(nameOf(thrown));
}

export function isCredentialsError(thrown: unknown): boolean {
  return CREDENTIALS.has(nameOf(thrown));
}

/** `ResourceNotFoundException`, `NotFoundException`, `NoSuchEntity` and friends. */
export function isNotFound(thrown: unknown): boolean {
  return /NotFound|NoSuchEntity|DoesNotExist/.test(nameOf(thrown));
}

/** CloudFormation says "Stack with id X does not exist" as a ValidationError. */
export function isMissingStack(thrown: unknown): boolean {
  return nameOf(thrown) === 'ValidationError' && /does not exist/.test(messageOf(thrown));
}

/**
 * The IAM action an access-denied error names. AWS puts it in the message ("… is not authorized to
 * perform: iam:SimulatePrincipalPolicy on resource …"); services that do not name it fall back to
 * the action the caller was attempting.
 */
export function deniedAction(thrown: unknown, attempted?: string): string | undefined {
  const named = /not authorized to perform:? ([A-Za-z0-9-]+:[A-Za-z0-9]+)/.exec(messageOf(thrown));
  if (named?.[1]) {
    const [service, action] = named[1].split(':') as [string, string];
    return `${service.toLowerCase()}:${action}`;
  }
  return attempted;
}

/** An AWS error turned into one result line, with the missing permission when access was denied. */
export function describeAwsError(
  thrown: unknown,
  attempted?: string,
): { detail: string; fix: string; permission?: string } {
  const name = nameOf(thrown) || 'Error';
  if (isCredentialsError(thrown)) return { detail: `${name}: ${messageOf(thrown)}`, fix: CREDENTIALS_HINT };
  if (isAccessDenied(thrown)) {
    const permission = deniedAction(thrown, (thrown as { awsAction?: string }).awsAction ?? attempted);
    return permission
      ? {
          detail: `access denied: missing permission ${permission}`,
          fix: `grant ${permission} to the identity running this command`,
          permission,
        }
      : { detail: `access denied (${name}): ${messageOf(thrown)}`, fix: 'grant the permission named above' };
  }
  return {
    detail: `${name}: ${messageOf(thrown)}`,
    fix: 'rerun; if it persists, check the AWS Health dashboard',
  };
}
