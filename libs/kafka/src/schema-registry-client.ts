/**
 * The registry could not be asked (down, slow, 5xx). Retrying can help, so a consumer must
 * not dead-letter the record it was decoding: it waits and tries again.
 */
export class RegistryUnavailable extends Error {
  readonly code = 'REGISTRY_UNAVAILABLE';
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryUnavailable';
  }
}

/** The registry answered and said no (e.g. 409 incompatible, 422 invalid): retrying cannot help. */
export class RegistryRefused extends Error {
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

/**
 * A Confluent Schema Registry API client (Confluent, or Apicurio's ccompat/v7 API) over
 * fetch. Registering is a plain POST, idempotent in the registry, and never changes the
 * subject's compatibility configuration: concurrent first registrations from many clients
 * (e.g. cold-starting Lambdas) cannot race each other on it.
 */
export class HttpSchemaRegistry implements SchemaRegistryPort {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

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

  async schemaById(id: number): Promise<{ schemaType?: string; schema: string } | undefined> {
    const body = await this.request('GET', `/schemas/ids/${id}`);
    if (body.status === 404) return undefined;
    if (body.status !== 200)
      throw new RegistryUnavailable(
        `the registry answered HTTP ${body.status} for schema id ${id}: ${body.text}`,
      );
    return JSON.parse(body.text) as { schemaType?: string; schema: string };
  }

  private async request(
    method: string,
    path: string,
    json?: object,
  ): Promise<{ status: number; text: string }> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl.replace(/\/$/, '')}${path}`, {
        method,
        headers: {
          accept: 'application/vnd.schemaregistry.v1+json, application/json',
          ...(json ? { 'content-type': 'application/vnd.schemaregistry.v1+json' } : {}),
        },
        body: json ? JSON.stringify(json) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new RegistryUnavailable(
        `cannot reach the schema registry at ${this.baseUrl}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const text = await response.text();
    if (response.status >= 500)
      throw new RegistryUnavailable(
        `the schema registry failed (HTTP ${response.status}) on ${method} ${path}: ${text}`,
      );
    return { status: response.status, text };
  }
}
