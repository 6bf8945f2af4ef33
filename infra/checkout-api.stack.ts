import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CheckoutSessionsTable, type CheckoutSessionsTableProps } from './checkout-sessions-table.construct.js';

/** Properties of {@link CheckoutApiStack}. */
export interface CheckoutApiStackProps extends StackProps {
  /** The function's code (default: the bundle of `npm run build:lambda` in `dist/lambda`). */
  readonly code?: Code;
  /** Memory of the function in MB, which also sets its CPU share (default 1024; see docs/lambda.md). */
  readonly memorySize?: number;
  /** The table's properties (name, layout, actions, removal policy). */
  readonly table?: CheckoutSessionsTableProps;
}

/**
 * The sample app on AWS Lambda behind an API Gateway HTTP API (payload 2.0), with its checkout sessions table and a
 * least-privilege role. Synthesises offline: no lookups, no Docker.
 */
export class CheckoutApiStack extends Stack {
  /** The sessions table. */
  readonly sessions: CheckoutSessionsTable;
  /** The function running the sample app. */
  readonly handler: LambdaFunction;
  /** The HTTP API in front of the function. */
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: CheckoutApiStackProps = {}) {
    super(scope, id, props);
    this.sessions = new CheckoutSessionsTable(this, 'Sessions', { removalPolicy: RemovalPolicy.RETAIN, ...props.table });
    this.handler = new LambdaFunction(this, 'Handler', {
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code ?? Code.fromAsset('dist/lambda'),
      memorySize: props.memorySize ?? 1024,
      // A DynamoDB call fails after at most about 3.3 s (3 attempts of 1 s plus backoff): the timeout leaves room.
      timeout: Duration.seconds(10),
      environment: {
        CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb',
        DYNAMODB_CHECKOUT_SESSIONS_TABLE: this.sessions.tableName,
      },
      logGroup: new LogGroup(this, 'HandlerLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
    // The Lambda entry turns the start-up table check off: its describe actions are not granted.
    this.sessions.grantApp(this.handler, { startupCheck: false });
    this.api = new HttpApi(this, 'Api', { defaultIntegration: new HttpLambdaIntegration('CheckoutApi', this.handler) });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'TableName', { value: this.sessions.tableName });
  }
}
