import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { CHECKOUT_SESSION_CACHE_IAM_ACTIONS, CHECKOUT_SESSION_TABLE_LAYOUT } from '@ticketoffice/checkout-session-cache';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckoutApiStack } from './checkout-api.stack.js';
import { CheckoutSessionsTable, type CheckoutSessionTableLayout } from './checkout-sessions-table.construct.js';

/** One folder for every app's cloud assembly in this file (CDK writes one per synth), removed when the file is done. */
const outputs = mkdtempSync(join(tmpdir(), 'cdk-out-'));
afterAll(() => rmSync(outputs, { recursive: true, force: true }));

/** An app whose cloud assembly goes under `outputs`, not into a temp folder of its own that nothing removes. */
function testApp(): App {
  return new App({ outdir: mkdtempSync(join(outputs, 'app-')) });
}

/** Code that stands in for the bundle: the template does not depend on what the asset holds. */
const code = Code.fromInline('export const handler = async () => ({ statusCode: 200 });');

/** The table's logical id in a template, and the CloudFormation value of its ARN. */
function tableArn(template: Template): { 'Fn::GetAtt': [string, 'Arn'] } {
  const [logicalId] = Object.keys(template.findResources('AWS::DynamoDB::Table'));
  return { 'Fn::GetAtt': [logicalId!, 'Arn'] };
}

/** Every statement of every IAM policy in the template that names a DynamoDB action, its actions as a list. */
function dynamoDbStatements(template: Template): { effect: string; actions: string[]; resource: unknown }[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Resource: unknown }[])
    .map((statement) => ({ effect: statement.Effect, actions: [statement.Action].flat(), resource: statement.Resource }))
    .filter((statement) => statement.actions.some((action) => action.startsWith('dynamodb:')));
}

describe('CheckoutApiStack', () => {
  const template = Template.fromStack(new CheckoutApiStack(testApp(), 'CheckoutApi', { code }));

  it('defines the table from the library layout: on-demand, partition key, every index, TTL, encrypted, retained', () => {
    const layout = CHECKOUT_SESSION_TABLE_LAYOUT;
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: layout.partitionKey, KeyType: 'HASH' }],
        AttributeDefinitions: layout.attributeDefinitions,
        GlobalSecondaryIndexes: layout.globalSecondaryIndexes.map((index) => ({
          IndexName: index.IndexName,
          KeySchema: index.KeySchema,
          Projection: index.Projection,
        })),
        TimeToLiveSpecification: { AttributeName: layout.ttlAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true },
        ProvisionedThroughput: Match.absent(),
      },
    });
  });

  it('runs the bundle on Lambda with the DynamoDB driver and the table name in env', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      MemorySize: 1024,
      Timeout: 10,
      Environment: {
        Variables: {
          CHECKOUT_SESSION_CACHE_DRIVER: 'dynamodb',
          DYNAMODB_CHECKOUT_SESSIONS_TABLE: { Ref: tableArn(template)['Fn::GetAtt'][0] },
        },
      },
    });
  });

  it('grants the function exactly the library actions: table actions on the table, index actions on its indexes', () => {
    expect(dynamoDbStatements(template)).toEqual([
      { effect: 'Allow', actions: CHECKOUT_SESSION_CACHE_IAM_ACTIONS.table, resource: tableArn(template) },
      { effect: 'Allow', actions: CHECKOUT_SESSION_CACHE_IAM_ACTIONS.index, resource: { 'Fn::Join': ['', [tableArn(template), '/index/*']] } },
    ]);
    const granted = dynamoDbStatements(template).flatMap((statement) => statement.actions);
    for (const forbidden of ['dynamodb:Scan', 'dynamodb:CreateTable', 'dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:*']) {
      expect(granted).not.toContain(forbidden);
    }
  });

  it('puts an HTTP API with payload format 2.0 in front of the function, on every route', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasOutput('ApiUrl', {});
  });

  it('synthesises offline with the built bundle folder as the asset (no Docker, no lookups)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'lambda-asset-'));
    try {
      writeFileSync(join(folder, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200 });\n');
      const app = testApp();
      new CheckoutApiStack(app, 'CheckoutApi', { code: Code.fromAsset(folder) });
      const assembly = app.synth();
      const manifest = JSON.parse(readFileSync(join(assembly.directory, 'CheckoutApi.assets.json'), 'utf8')) as {
        files: Record<string, { source: { path: string; packaging: string } }>;
        dockerImages?: Record<string, unknown>;
      };
      const [asset, ...others] = Object.values(manifest.files).filter((file) => file.source.packaging === 'zip');
      expect(others).toEqual([]);
      expect(readdirSync(join(assembly.directory, asset!.source.path))).toEqual(['index.mjs']);
      expect(manifest.dockerImages ?? {}).toEqual({});
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('CheckoutSessionsTable', () => {
  /** A layout with three indexes of different shapes, as a redesign of the table might bring. */
  const layout: CheckoutSessionTableLayout = {
    partitionKey: 'pk',
    attributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'shard', AttributeType: 'N' },
      { AttributeName: 'eventId', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'B' },
    ],
    globalSecondaryIndexes: [
      {
        IndexName: 'by-shard',
        KeySchema: [
          { AttributeName: 'shard', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['quantity'] },
      },
      { IndexName: 'by-event', KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      { IndexName: 'all', KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
    ],
    ttlAttribute: 'ttl',
  };
  const actions = { table: ['dynamodb:GetItem', 'dynamodb:PutItem'], index: ['dynamodb:Query', 'dynamodb:GetItem'], startupCheck: ['dynamodb:DescribeTable'] };

  function synth() {
    const stack = new Stack(testApp(), 'Consumer');
    const sessions = new CheckoutSessionsTable(stack, 'Sessions', { tableName: 'sessions', layout, appActions: actions });
    const role = new Role(stack, 'TaskRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });
    sessions.grantApp(role);
    return Template.fromStack(stack);
  }

  it('maps any number of indexes: key schema, projection type and non-key attributes', () => {
    synth().hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'sessions',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: layout.attributeDefinitions,
      GlobalSecondaryIndexes: layout.globalSecondaryIndexes,
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('grants an app role (an ECS task role here) the given actions and nothing more', () => {
    const template = synth();
    expect(dynamoDbStatements(template)).toEqual([
      { effect: 'Allow', actions: [...actions.table, ...actions.startupCheck], resource: tableArn(template) },
      { effect: 'Allow', actions: actions.index, resource: { 'Fn::Join': ['', [tableArn(template), '/index/*']] } },
    ]);
  });

  it('pre-warms the table and every index when given a warm throughput, and leaves DynamoDB\'s default otherwise', () => {
    const tableOf = (warmThroughput?: { writeUnitsPerSecond: number; readUnitsPerSecond: number }) => {
      const stack = new Stack(testApp(), 'Warm');
      new CheckoutSessionsTable(stack, 'Sessions', { warmThroughput });
      return Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'))[0]!.Properties;
    };
    const warm = { writeUnitsPerSecond: 40_000, readUnitsPerSecond: 12_000 };
    const warmed = tableOf(warm);
    expect(warmed.WarmThroughput).toEqual({ WriteUnitsPerSecond: 40_000, ReadUnitsPerSecond: 12_000 });
    for (const index of warmed.GlobalSecondaryIndexes as { WarmThroughput: unknown }[]) expect(index.WarmThroughput).toEqual(warmed.WarmThroughput);
    const plain = tableOf();
    expect(plain).not.toHaveProperty('WarmThroughput');
    for (const index of plain.GlobalSecondaryIndexes as object[]) expect(index).not.toHaveProperty('WarmThroughput');
  });

  it('keeps the previous layout\'s count index during an upgrade when asked, and only then', () => {
    const indexesOf = (retainPreviousCountIndex: boolean) => {
      const stack = new Stack(testApp(), 'Upgrade');
      new CheckoutSessionsTable(stack, 'Sessions', { retainPreviousCountIndex });
      const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'));
      return (table!.Properties.GlobalSecondaryIndexes as { IndexName: string }[]).map((index) => index.IndexName);
    };
    expect(indexesOf(true)).toEqual(['countShard-countKey-index', 'eventId-priceId-index']);
    expect(indexesOf(false)).toEqual(['countShard-countKey-index']);
  });
});
