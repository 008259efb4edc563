import { CHANGE_ERROR_CODES } from '@app/contracts';

// The gateway takes JSON, so the Avro framing codes of the change codes never reach its callers.
const AVRO_ONLY = new Set<string>([
  'AVRO_DECODE_FAILED',
  'UNKNOWN_SCHEMA',
  'INCOMPATIBLE_SCHEMA',
  'BAD_MAGIC_BYTE',
]);

const issue = {
  type: 'object',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: CHANGE_ERROR_CODES.filter((code) => !AVRO_ONLY.has(code)) },
    field: { type: 'string', example: 'row.qty' },
    message: { type: 'string' },
  },
};

const errorBody = (code: string) => ({
  type: 'object',
  required: ['error', 'message', 'retriable'],
  properties: {
    error: { type: 'string', example: code },
    message: { type: 'string' },
    retriable: { type: 'boolean', description: 'whether sending the same request again can succeed' },
  },
});

/** The OpenAPI 3.1 description served at /openapi.json. */
export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'tablelane ingest gateway',
    version: '1',
    description:
      'Publishes change events to the tablelane ingest topic. A batch is accepted whole (202, after Kafka acknowledged every event) or not at all. Every 4xx and 5xx has a JSON body {error, message, retriable}: also 404 for an unknown path, 405 (with Allow) for a method a known path does not serve, and 400/431 for requests that are not valid HTTP/1.1.',
  },
  security: [{ bearer: [] }, { apiKey: [] }],
  paths: {
    '/v1/changes': {
      post: {
        summary: 'Publish a batch of change events',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  { type: 'array', items: { $ref: '#/components/schemas/ChangeEvent' } },
                  { $ref: '#/components/schemas/ChangeEvent' },
                ],
              },
            },
            'application/x-ndjson': {
              schema: { type: 'string', description: 'one ChangeEvent JSON object per line' },
            },
          },
        },
        responses: {
          '202': {
            description:
              'Every event was validated and acknowledged by Kafka (acks from all in-sync replicas).',
            content: {
              'application/json': {
                schema: { type: 'object', properties: { accepted: { type: 'integer' } } },
              },
            },
          },
          '400': {
            description: 'Malformed body or invalid events; nothing was accepted.',
            content: {
              'application/json': {
                schema: {
                  ...errorBody('INVALID_CHANGES'),
                  properties: {
                    ...errorBody('INVALID_CHANGES').properties,
                    errors: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          index: {
                            type: 'integer',
                            description:
                              'position in the array, or NDJSON line number - 1 (blank lines count); 0 for a JSON body that cannot be read as a whole',
                          },
                          issues: { type: 'array', items: issue },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          '401': {
            description: 'Missing or invalid API key.',
            content: { 'application/json': { schema: errorBody('MISSING_API_KEY') } },
          },
          '403': {
            description: 'An event names a table outside the API key scope; nothing was accepted.',
            content: {
              'application/json': {
                schema: {
                  ...errorBody('TABLE_NOT_IN_SCOPE'),
                  properties: {
                    ...errorBody('TABLE_NOT_IN_SCOPE').properties,
                    errors: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: { index: { type: 'integer' }, table: { type: 'string' } },
                      },
                    },
                  },
                },
              },
            },
          },
          '413': {
            description:
              'The body is larger than TABLELANE_MAX_BODY_BYTES: answered as soon as Content-Length says so or a chunked body passes the limit; the rest is read and discarded (up to 64 MiB) so the client reads the answer.',
            content: { 'application/json': { schema: errorBody('PAYLOAD_TOO_LARGE') } },
          },
          '415': {
            description:
              'Content-Type is not application/json or application/x-ndjson, or its charset is not UTF-8.',
            content: { 'application/json': { schema: errorBody('UNSUPPORTED_MEDIA_TYPE') } },
          },
          '500': {
            description: 'The gateway failed unexpectedly (logged); nothing was accepted; a retry may help.',
            content: { 'application/json': { schema: errorBody('INTERNAL_ERROR') } },
          },
          '503': {
            description: 'Kafka did not acknowledge; retry the batch.',
            content: { 'application/json': { schema: errorBody('KAFKA_UNAVAILABLE') } },
          },
        },
      },
    },
    '/healthz': {
      get: { summary: 'Liveness', security: [], responses: { '200': { description: 'alive' } } },
    },
    '/readyz': {
      get: {
        summary: 'Readiness (Kafka producer connected)',
        security: [],
        responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        security: [],
        responses: { '200': { description: 'text exposition format' } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
    },
    schemas: {
      ChangeEvent: {
        oneOf: [
          {
            type: 'object',
            required: ['table', 'op', 'row'],
            properties: {
              table: { type: 'string', example: 'public.sales' },
              op: { const: 'upsert' },
              row: {
                type: 'object',
                additionalProperties: true,
                description: 'column values; bigint and numeric may be strings to stay exact',
              },
              version: { type: ['string', 'number'] },
              id: { type: 'string' },
              ts: { type: 'integer', description: 'event time, epoch milliseconds' },
            },
          },
          {
            type: 'object',
            required: ['table', 'op', 'key'],
            properties: {
              table: { type: 'string' },
              op: { const: 'delete' },
              key: { type: 'object', additionalProperties: true, description: 'primary key columns' },
              version: { type: ['string', 'number'] },
              id: { type: 'string' },
              ts: { type: 'integer' },
            },
          },
        ],
      },
    },
  },
} as const;
