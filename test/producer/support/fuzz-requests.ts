import fc from 'fast-check';
import type { RawRequest } from './raw-http';

/** What the gateway must answer to a generated request; `issue` is a code one error must carry. */
export interface Expectation {
  status: readonly number[];
  issue?: string;
  /** NDJSON: the indexes (line number - 1) the 400 must list. */
  indexes?: readonly number[];
  allow?: string;
}

export interface FuzzCase extends RawRequest {
  kind: string;
  expect: Expectation;
  /** Broken framing leaves a connection nobody can reuse: send it on a fresh one. */
  ownConnection?: boolean;
}

export interface FuzzTarget {
  key: string;
  maxBodyBytes: number;
}

const KNOWN_GET_PATHS = ['/healthz', '/readyz', '/metrics', '/openapi.json'];
const NOT_POST = ['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'PURGE'];
const NOT_GET = ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'MKCOL', 'LOCK'];

/** Bytes that no strict UTF-8 decoder accepts: lone continuation, overlong, cut short, surrogate, beyond U+10FFFF. */
const INVALID_UTF8 = [
  [0x80],
  [0xff],
  [0xc0, 0xaf],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
];

/** Every generated request, as a weighted mix of what real and hostile clients send. */
export function fuzzRequests(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { arbitrary: validBatch(target), weight: 8 },
    { arbitrary: nearValidBatch(target), weight: 12 },
    { arbitrary: randomBody(target), weight: 10 },
    { arbitrary: invalidUtf8(target), weight: 10 },
    { arbitrary: deepNesting(target), weight: 8 },
    { arbitrary: ndjsonWithBadLines(target), weight: 10 },
    { arbitrary: oversize(target), weight: 4 },
    { arbitrary: unsupportedContentType(target), weight: 8 },
    { arbitrary: wrongMethod(), weight: 8 },
    { arbitrary: unknownPath(), weight: 8 },
    { arbitrary: unauthenticated(target), weight: 4 },
    { arbitrary: malformedHttp(), weight: 10 },
  );
}

// ---- events ----

const sale = fc.record({
  table: fc.constant('public.sales'),
  op: fc.constant('upsert'),
  row: fc.record({
    id: fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }), fc.bigInt(1n, 2n ** 63n - 1n).map(String)),
    qty: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    price: fc.integer({ min: -99_999_999, max: 99_999_999 }).map((cents) => (cents / 100).toFixed(2)),
    doc: fc.dictionary(
      fc.stringMatching(/^[a-z]{1,5}$/),
      fc.oneof(fc.integer(), fc.boolean(), fc.stringMatching(/^[a-z ]{0,8}$/)),
      { maxKeys: 3 },
    ),
  }),
});
const remove = fc.record({
  table: fc.constant('public.sales'),
  op: fc.constant('delete'),
  key: fc.record({ id: fc.integer({ min: 1, max: 2 ** 31 }) }),
});
const goodEvent = fc.oneof(sale, remove);

/** Values that are wrong for a bigint / integer / numeric(10,2) column, or for the event itself. */
const wrongValue = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '9007199254740993', '1e-400', '-0'),
  fc.constantFrom('true', 'null', '[]', '{}', '"x"', '"12.345"', '1.5', '"1e300"', '""', '"\\u0000"'),
);

function nearValidBatch(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const mutated = fc
    .tuple(goodEvent, fc.integer({ min: 0, max: 9 }), wrongValue)
    .map(([event, how, value]) => {
      const json = JSON.stringify(event);
      switch (how) {
        case 0:
          return json.replace(/"qty":-?\d+/, `"qty":${value}`);
        case 1:
          return json.replace(/"id":("?)\d+\1/, `"id":${value}`);
        case 2:
          return json.replace(/"price":"[^"]*"/, `"price":${value}`);
        case 3:
          return json.replace('"public.sales"', '"public.nope"');
        case 4:
          return json.replace(/"op":"\w+"/, `"op":${value}`);
        case 5:
          return json.replace(/"(row|key)":/, `"$1":${value},"x":`);
        case 6:
          return json.replace('{"table"', `{"version":${value},"table"`);
        case 7:
          return json.replace(/"(row|key)":\{/, '"$1":{"nope":1,');
        case 8:
          return value;
        default:
          return json.replace(/,"(row|key)":\{[^}]*\}/, '');
      }
    });
  return fc.tuple(fc.array(goodEvent, { maxLength: 3 }), mutated, fc.boolean()).map(([good, bad, ndjson]) => {
    const events = [...good.map((e) => JSON.stringify(e)), bad];
    const body = ndjson ? events.join('\n') : `[${events.join(',')}]`;
    return post(target, 'nearValid', ndjson ? 'application/x-ndjson' : 'application/json', body, {
      // A mutation the contract happens to accept (say "12.345" in a row it ignores) is fine.
      status: [202, 400],
    });
  });
}

function validBatch(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      fc.array(goodEvent, { minLength: 1, maxLength: 5 }),
      fc.constantFrom('array', 'single', 'ndjson'),
      fc.constantFrom('', '; charset=utf-8', '; charset="UTF-8"', ';charset=utf8'),
      fc.boolean(),
    )
    .map(([events, shape, charset, chunked]) => {
      const body =
        shape === 'array'
          ? JSON.stringify(events)
          : shape === 'single'
            ? JSON.stringify(events[0])
            : `\n${events.map((e) => JSON.stringify(e)).join('\n\r\n')}\n`;
      const type = shape === 'ndjson' ? 'application/x-ndjson' : 'Application/JSON';
      return post(target, 'valid', `${type}${charset}`, body, { status: [202] }, { chunked });
    });
}

function randomBody(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom('application/json', 'application/x-ndjson'))
    .map(([bytes, type]) => post(target, 'randomBytes', type, Buffer.from(bytes), { status: [400] }));
}

function invalidUtf8(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const poison = fc.oneof(
    fc.constantFrom(...INVALID_UTF8).map((bytes) => Buffer.from(bytes)),
    // Escapes of lone surrogates: valid UTF-8 bytes, but no UTF-8 text can hold them.
    fc.constantFrom('\\ud800', '\\udfff', '\\ud83d\\u0041', 'x\\udc00y').map((s) => Buffer.from(s)),
  );
  return fc.tuple(sale, poison, fc.boolean()).map(([event, bad, ndjson]) => {
    const json = JSON.stringify({ ...event, id: '@' });
    const [before, after] = json.split('@') as [string, string];
    const body = Buffer.concat([Buffer.from(before), bad, Buffer.from(after)]);
    return post(target, 'invalidUtf8', ndjson ? 'application/x-ndjson' : 'application/json', body, {
      status: [400],
      issue: 'INVALID_UTF8',
    });
  });
}

function deepNesting(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      fc.oneof(fc.integer({ min: 66, max: 20_000 }), fc.constant(6000)),
      fc.constantFrom('[', '{"a":'),
      fc.constantFrom('doc', 'top'),
      fc.boolean(),
    )
    .map(([depth, open, where, ndjson]) => {
      const close = open === '[' ? ']' : '}';
      const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
      const body =
        where === 'top'
          ? nested
          : // In a json column: the value a recursive validator or JSON.stringify walks.
            JSON.stringify({ table: 'public.sales', op: 'upsert', row: { id: 1, doc: '@' } }).replace(
              '"@"',
              nested,
            );
      return post(target, 'deepNesting', ndjson ? 'application/x-ndjson' : 'application/json', body, {
        status: [400, 413],
        issue: 'TOO_DEEP',
      });
    });
}

function ndjsonWithBadLines(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  const line = fc.oneof(
    { arbitrary: goodEvent.map((e) => ({ text: JSON.stringify(e), bad: false })), weight: 3 },
    { arbitrary: fc.constantFrom('', '   ', '\r').map((text) => ({ text, bad: false })), weight: 2 },
    {
      arbitrary: fc
        .constantFrom('{oops', '{"table":', '[1,', 'nul', '}{', '"\\x"')
        .map((text) => ({ text, bad: true })),
      weight: 2,
    },
  );
  return fc.array(line, { minLength: 1, maxLength: 12 }).map((lines) => {
    const indexes = lines.flatMap((l, i) => (l.bad ? [i] : []));
    const events = lines.filter((l) => l.text.trim() !== '').length;
    const expect: Expectation =
      indexes.length > 0
        ? { status: [400], issue: 'MALFORMED_JSON', indexes }
        : { status: events > 0 ? [202] : [400] };
    return post(target, 'ndjsonLines', 'application/x-ndjson', lines.map((l) => l.text).join('\n'), expect);
  });
}

function oversize(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(fc.integer({ min: 1, max: 4 * target.maxBodyBytes }), fc.boolean())
    .map(([extra, chunked]) =>
      post(
        target,
        'oversize',
        'application/json',
        Buffer.alloc(target.maxBodyBytes + extra, 0x20),
        { status: [413] },
        { chunked },
      ),
    );
}

function unsupportedContentType(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'image/png',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=latin1',
        'application/x-ndjson; charset=utf-16',
        'application/jsonx',
        'json',
        undefined,
      ),
      goodEvent,
    )
    .map(([type, event]) => post(target, 'contentType', type, JSON.stringify(event), { status: [415] }));
}

function wrongMethod(): fc.Arbitrary<FuzzCase> {
  const changes = fc
    .constantFrom(...NOT_POST)
    .map((method) => ({ method, path: '/v1/changes', allow: 'POST, OPTIONS' }));
  const reads = fc
    .tuple(fc.constantFrom(...NOT_GET), fc.constantFrom(...KNOWN_GET_PATHS))
    .map(([method, path]) => ({ method, path, allow: 'GET, HEAD, OPTIONS' }));
  return fc.oneof(changes, reads).map(({ method, path, allow }) =>
    request('wrongMethod', method, path, {}, method === 'PUT' ? Buffer.from('{}') : undefined, {
      status: method === 'OPTIONS' ? [204] : [405],
      allow,
    }),
  );
}

function unknownPath(): fc.Arbitrary<FuzzCase> {
  const segment = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/),
    fc.constantFrom('%zz', '%2e%2e', '..', '%00', '%ff', 'v1', 'changes', 'healthz', '%E2%82'),
  );
  return fc
    .tuple(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.option(fc.stringMatching(/^[a-z=&]{0,10}$/)))
    .map(([segments, query]) => `/${segments.join('/')}${query === null ? '' : `?${query}`}`)
    .filter((path) => !isKnownPath(path))
    .chain((path) =>
      fc.constantFrom('GET', 'POST', 'DELETE', 'HEAD').map((method) =>
        request('unknownPath', method, path, {}, method === 'POST' ? Buffer.from('[]') : undefined, {
          status: [404],
        }),
      ),
    );
}

function isKnownPath(path: string): boolean {
  const bare = path.split('?')[0]!.toLowerCase().replace(/\/+$/, '');
  return bare === '/v1/changes' || KNOWN_GET_PATHS.includes(bare) || bare === '';
}

function unauthenticated(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      fc.constantFrom(undefined, 'Bearer nope', 'Basic abc', `Bearer ${target.key}x`, 'Bearer'),
      goodEvent,
    )
    .map(([authorization, event]) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization !== undefined) headers.authorization = authorization;
      return request('unauthenticated', 'POST', '/v1/changes', headers, Buffer.from(JSON.stringify(event)), {
        status: [401],
      });
    });
}

/** Requests Node's own parser refuses before any route sees them. */
function malformedHttp(): fc.Arbitrary<FuzzCase> {
  const raw = (kind: string, text: string | Buffer, status: number[] = [400]): FuzzCase => {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
    // Without an API key a POST may be refused (401) before its broken body is parsed.
    const post = bytes.subarray(0, 5).toString('latin1') === 'POST ';
    return {
      kind,
      bytes,
      head: false,
      expect: { status: post ? [...status, 401] : status },
      ownConnection: true,
    };
  };
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) =>
      // A first byte no method starts with, so the parser refuses at once instead of waiting.
      raw('garbageLine', Buffer.concat([Buffer.from([0x01]), Buffer.from(bytes), Buffer.from('\r\n\r\n')])),
    ),
    fc
      .constantFrom(
        'G@T / HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
        'GET /healthz http/1.1\r\nHost: x\r\n\r\n',
        'GET\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n',
        'POST /v1/changes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n[]',
        'POST /v1/changes HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
        'POST /v1/changes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        'POST /v1/changes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n[]\r\n0\r\n\r\n',
        'POST /v1/changes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]XX0\r\n\r\n',
        'GET /he\x7fllo HTTP/1.1\r\nHost: x\r\n\r\n',
      )
      .map((text) => raw('malformed', text)),
    fc
      .integer({ min: 17_000, max: 40_000 })
      .map((size) =>
        raw('hugeHeader', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(size)}\r\n\r\n`, [431]),
      ),
    fc
      .constantFrom('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
      .map((text) => raw('connect', text, [405])),
  );
}

// ---- request bytes ----

function post(
  target: FuzzTarget,
  kind: string,
  contentType: string | undefined,
  body: string | Buffer,
  expect: Expectation,
  { chunked = false } = {},
): FuzzCase {
  const headers: Record<string, string> = { authorization: `Bearer ${target.key}` };
  if (contentType !== undefined) headers['content-type'] = contentType;
  return request(
    kind,
    'POST',
    '/v1/changes',
    headers,
    typeof body === 'string' ? Buffer.from(body) : body,
    expect,
    chunked,
  );
}

function request(
  kind: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  expect: Expectation,
  chunked = false,
): FuzzCase {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: gateway'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  let payload = body ?? Buffer.alloc(0);
  if (body && chunked) {
    lines.push('Transfer-Encoding: chunked');
    payload = chunk(body);
  } else if (body) {
    lines.push(`Content-Length: ${body.length}`);
  }
  return {
    kind,
    bytes: Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]),
    head: method === 'HEAD',
    expect,
  };
}

/** Chunked framing in pieces of varying size (a deterministic split keeps cases reproducible). */
function chunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0, size = 1; at < body.length; at += size, size = size * 3 + 7) {
    const piece = body.subarray(at, at + size);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}
