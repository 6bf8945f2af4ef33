import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Who calls the function: an API Gateway HTTP API (`$default` route) or a Lambda Function URL, both payload 2.0. */
export type HttpEventSource = 'http-api' | 'function-url';

/** The HTTP request an event carries. `base64` sends the body base64-encoded, as API Gateway does for binary bodies. */
export interface HttpEventRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
  base64?: boolean;
}

const DOMAINS: Record<HttpEventSource, string> = {
  'http-api': 'r3pmxmplak.execute-api.eu-west-1.amazonaws.com',
  'function-url': 'a7hx6ymp3kzcq2lzntmprvbxzq0uoesd.lambda-url.eu-west-1.on.aws',
};

let requests = 0;

/** An event as `source` sends it to the function for `request` (the shape of AWS's documented samples). */
export function httpEvent(source: HttpEventSource, request: HttpEventRequest): APIGatewayProxyEventV2 {
  const domainName = DOMAINS[source];
  const rawQueryString = new URLSearchParams(request.query).toString();
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString,
    ...(request.query && { queryStringParameters: request.query }),
    headers: {
      host: domainName,
      'user-agent': 'lambda-e2e',
      'x-forwarded-proto': 'https',
      ...(request.body !== undefined && { 'content-type': 'application/json' }),
      ...request.headers,
    },
    requestContext: {
      accountId: source === 'http-api' ? '123456789012' : 'anonymous',
      apiId: domainName.split('.')[0]!,
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'lambda-e2e' },
      requestId: `request-${++requests}`,
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(request.body !== undefined && {
      body: request.base64 ? Buffer.from(request.body).toString('base64') : request.body,
    }),
    isBase64Encoded: request.base64 ?? false,
  };
}

/** A handler's answer read as HTTP: status, headers and the body parsed as JSON (`undefined` when empty). */
export function readAnswer(result: APIGatewayProxyStructuredResultV2): { status: number; headers: Record<string, string>; body: unknown } {
  const text = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64').toString() : (result.body ?? '');
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
  return { status: result.statusCode!, headers, body: text === '' ? undefined : JSON.parse(text) };
}
