import { App, type AppProps } from 'aws-cdk-lib';

/**
 * An App for a test's own small stack around the construct under test. CDK's built-in CloudFormation
 * template validation is off here: starting its engine costs about 12 CPU-seconds in every test file
 * that synthesizes, and it would judge a scaffold nobody deploys. Every construct is validated where it
 * is deployed — in the shared assembly (test/support/assembly.ts) and by `npm run synth`.
 */
export function fixtureApp(props: AppProps = {}): App {
  return new App({ ...props, builtinCloudFormationValidation: false });
}
