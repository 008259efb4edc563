import { TablelaneError } from '@app/config';
import { ChangeRejected } from '@app/contracts';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * The registry could not be asked (down, slow, 5xx). Retrying can help, so a consumer must
 * not dead-letter the record it was decoding: it waits and tries again.
 */
export class RegistryUnavailable extends TablelaneError {
  readonly code = 'REGISTRY_UNAVAILABLE';
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryUnavailable';
  }
}

/** The registry answered and said no (e.g. 409 incompatible, 422 invalid): retrying cannot help. */
export class RegistryRefused extends TablelaneError {
  readonly code = 'REGISTRY_REFUSED';
  readonly retriable = false;
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'RegistryRefused';
  }
}

/** What the Avro codec needs from a schema registry. */
export interface SchemaRegistryPort {
  /** Registers (or finds) a schema under a subject; returns its id. */
  register(subject: string, schema: object): Promise<number>;
  /** The schema text of an id, or undefined when the registry does not know the id. */
  schemaById(id: number): Promise<{ schemaType?: string; schema: string } | undefined>;
}

/** Where the registry is and how to trust and authenticate to it: RuntimeSettings.schemaRegistry. */
export interface RegistryConnection {
  url: string;
  /** PEM CA bundle (contents) for an https URL; absent = Node's default trust store. */
  ca?: string;
  /** HTTP basic auth, as Confluent Cloud's API key and secret (`basic.auth.user.info`). */
  basicAuth?: { username: string; password: string };
}

/**
 * A Confluent Schema Registry API client (Confluent, or Apicurio's ccompat/v7 API) over
 * HTTP(S). Registering is a plain POST, idempotent in the registry, and never changes the
 * subject's compatibility configuration: concurrent first registrations from many clients
 * (e.g. cold-starting Lambdas) cannot race each other on it.
 */
export class HttpSchemaRegistry implements SchemaRegistryPort {
  private readonly connection: RegistryConnection;

  constructor(
    connection: string | RegistryConnection,
    private readonly timeoutMs = 10_000,
  ) {
    this.connection = typeof connection === 'string' ? { url: connection } : connection;
  }

  async register(subject: string, schema: object): Promise<number> {
    const body = await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schema: JSON.stringify(schema),
    });
    if (body.status !== 200)
      throw new RegistryRefused(
        `the registry refused the schema for ${subject} (HTTP ${body.status}): ${body.text}`,
        body.status,
      );
    return (JSON.parse(body.text) as { id: number }).id;
  }

  /** Whether the registry answers a read within the timeout (readiness probes). */
  async answers(): Promise<boolean> {
    return this.request('GET', '/subjects').then(
      (body) => body.status === 200,
      () => false,
    );
  }

  async schemaById(id: number): Promise<{ schemaType?: string; schema: string } | undefined> {
    const body = await this.request('GET', `/schemas/ids/${id}`);
    if (body.status === 404) return undefined;
    // The registry answered about this schema and said no (Apicurio answers 400 for a schema
    // whose names Avro does not allow): the record is at fault, so it is dead-lettered rather
    // than retried for ever. Timeouts and throttling (408, 429) are the registry's state.
    if (body.status >= 400 && body.status < 500 && body.status !== 408 && body.status !== 429)
      throw new ChangeRejected([
        {
          code: 'INCOMPATIBLE_SCHEMA',
          message: `the registry cannot serve schema id ${id} (HTTP ${body.status}): ${body.text.slice(0, 500)}`,
        },
      ]);
    if (body.status !== 200)
      throw new RegistryUnavailable(
        `the registry answered HTTP ${body.status} for schema id ${id}: ${body.text}`,
      );
    return JSON.parse(body.text) as { schemaType?: string; schema: string };
  }

  private request(method: string, path: string, json?: object): Promise<{ status: number; text: string }> {
    const { url: base, ca, basicAuth } = this.connection;
    const url = new URL(`${base.replace(/\/$/, '')}${path}`);
    const body = json ? JSON.stringify(json) : undefined;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const fail = (error: Error) =>
        reject(
          new RegistryUnavailable(
            `cannot reach the schema registry at ${base}: ${error.message}${tlsHint(error)}`,
            {
              cause: error,
            },
          ),
        );
      const req = send(
        url,
        {
          method,
          headers: {
            accept: 'application/vnd.schemaregistry.v1+json, application/json',
            ...(body !== undefined && { 'content-type': 'application/vnd.schemaregistry.v1+json' }),
            ...(basicAuth && {
              authorization: `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64')}`,
            }),
          },
          ...(ca !== undefined && { ca }),
          signal: AbortSignal.timeout(this.timeoutMs),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', fail);
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            if (status >= 500)
              reject(
                new RegistryUnavailable(
                  `the schema registry failed (HTTP ${status}) on ${method} ${path}: ${text}`,
                ),
              );
            // Unavailable, not refused: a record decoded meanwhile waits rather than being
            // dead-lettered for what is a setting of ours; a start stops with this message.
            else if (status === 401 || status === 403)
              reject(
                new RegistryUnavailable(
                  `the schema registry at ${base} refused our credentials (HTTP ${status}); check SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO (key:secret)`,
                ),
              );
            else resolve({ status, text });
          });
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }
}

/** The setting to fix when the registry's certificate is not accepted. */
function tlsHint(error: Error): string {
  const code = (error as { code?: string }).code ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)
    ? ' (set SCHEMA_REGISTRY_SSL_CA_LOCATION to the CA that signed its certificate)'
    : '';
}
