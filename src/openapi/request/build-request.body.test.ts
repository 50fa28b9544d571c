/** Request bodies by media type: JSON, form-urlencoded (Stripe-style deepObject), multipart, bytes, text. */
import { describe, expect, it } from 'vitest';
import type { OperationPlan } from '../plan.js';
import { bodyOf, built, param, planOf, problemsOf } from './test-fixtures.js';

function flattened(mediaType: string, properties: string[], extra: Parameters<typeof bodyOf>[1] = {}): OperationPlan {
  return planOf(
    '/items',
    [],
    bodyOf(mediaType, extra),
    properties.map((property) => ({ arg: property, to: 'body-property' as const, property })),
  );
}

function whole(mediaType: string, extra: Parameters<typeof bodyOf>[1] = {}): OperationPlan {
  return planOf('/items', [], bodyOf(mediaType, extra), [{ arg: 'body', to: 'body' }]);
}

describe('JSON bodies', () => {
  it('reassembles flattened properties into one object, keeping nulls and leaving out absent ones', () => {
    const plan = flattened('application/json', ['name', 'tags', 'note', 'absent']);
    expect(built(plan, { name: 'n', tags: ['a'], note: null }).body).toEqual({
      contentType: 'application/json',
      data: '{"name":"n","tags":["a"],"note":null}',
    });
  });

  it('sends a whole-body argument as it is, with a +json media type', () => {
    expect(built(whole('application/merge-patch+json'), { body: [1, { a: 'b' }] }).body).toEqual({
      contentType: 'application/merge-patch+json',
      data: '[1,{"a":"b"}]',
    });
  });

  it('sends no body when an optional body has no argument, and reports a missing required one', () => {
    expect(built(flattened('application/json', ['name']), {}).body).toBeNull();
    expect(problemsOf(flattened('application/json', ['name', 'size'], { required: true }), {})).toEqual([
      'name, size: the request body is required',
    ]);
    expect(problemsOf(whole('application/json', { required: true }), { body: null })).toEqual(['body: the request body is required']);
  });
});

describe('form-urlencoded bodies', () => {
  it('serializes nested objects with deepObject encoding as Stripe does', () => {
    const plan = flattened('application/x-www-form-urlencoded', ['amount', 'metadata', 'expand', 'line_items'], {
      encoding: {
        metadata: { style: 'deepObject', explode: true },
        expand: { style: 'deepObject', explode: true },
        line_items: { style: 'deepObject', explode: true },
      },
    });
    const request = built(plan, {
      amount: 2000,
      metadata: { order_id: '6735', 'note & more': 'a=b' },
      expand: ['customer', 'invoice.subscription'],
      line_items: [{ price: 'price_1', quantity: 2, adjustable_quantity: { enabled: true } }],
    });
    expect(request.body?.contentType).toBe('application/x-www-form-urlencoded');
    expect(String(request.body?.data).split('&')).toEqual([
      'amount=2000',
      'metadata%5Border_id%5D=6735',
      'metadata%5Bnote%20%26%20more%5D=a%3Db',
      'expand%5B0%5D=customer',
      'expand%5B1%5D=invoice.subscription',
      'line_items%5B0%5D%5Bprice%5D=price_1',
      'line_items%5B0%5D%5Bquantity%5D=2',
      'line_items%5B0%5D%5Badjustable_quantity%5D%5Benabled%5D=true',
    ]);
    expect(new URLSearchParams(String(request.body?.data)).get('metadata[note & more]')).toBe('a=b');
  });

  it('uses the OAS 3.1 defaults without an Encoding Object: text scalars, JSON objects, one entry per list member', () => {
    const plan = flattened('application/x-www-form-urlencoded', ['id', 'address', 'tags', 'gone']);
    const data = built(plan, {
      id: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
      address: { streetAddress: '123 Example Dr.', zip: '99999+1234' },
      tags: ['a b', 'c'],
      gone: null,
    }).body?.data;
    expect(data).toBe(
      'id=f81d4fae-7dec-11d0-a765-00a0c91e6bf6&address=%7B%22streetAddress%22%3A%22123%20Example%20Dr.%22%2C%22zip%22%3A%2299999%2B1234%22%7D&tags=a%20b&tags=c',
    );
  });

  it('applies a JSON contentType and form explode=false from the Encoding Object', () => {
    const plan = flattened('application/x-www-form-urlencoded', ['id', 'ids'], {
      encoding: { id: { contentType: 'application/json' }, ids: { explode: false } },
    });
    expect(built(plan, { id: 'abc', ids: [1, 2] }).body?.data).toBe('id=%22abc%22&ids=1,2');
  });

  it('keeps x&admin=true inside one field', () => {
    const plan = flattened('application/x-www-form-urlencoded', ['q']);
    expect(built(plan, { q: 'x&admin=true' }).body?.data).toBe('q=x%26admin%3Dtrue');
  });
});

describe('multipart bodies', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
  const pngBase64 = Buffer.from(png).toString('base64');

  /** The bytes undici's encoder writes for the FormData, and its boundary. */
  async function serialize(data: unknown): Promise<{ bytes: Buffer; boundary: string }> {
    const response = new Response(data as FormData);
    const boundary = /boundary=(.+)$/.exec(response.headers.get('content-type') ?? '')?.[1] ?? '';
    return { bytes: Buffer.from(await response.arrayBuffer()), boundary };
  }

  it('decodes a base64 file part into exact bytes, with text and JSON parts beside it', async () => {
    const plan = flattened('multipart/form-data', ['title', 'file', 'meta', 'count'], {
      binary: ['file'],
      encoding: { file: { contentType: 'image/png, image/jpeg' } },
    });
    const request = built(plan, { title: 'cat', file: pngBase64, meta: { tags: ['x'] }, count: 3 });
    expect(request.body?.contentType).toBeNull();
    const form = request.body?.data as FormData;
    const file = form.get('file') as File;
    expect(file.type).toBe('image/png');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(png);

    const { bytes, boundary } = await serialize(form);
    const lines = (...l: string[]): Buffer => Buffer.from(l.join('\r\n'), 'utf8');
    expect(bytes).toEqual(
      Buffer.concat([
        lines(
          `--${boundary}`,
          'Content-Disposition: form-data; name="title"',
          '',
          'cat',
          `--${boundary}`,
          'Content-Disposition: form-data; name="file"; filename="file"',
          'Content-Type: image/png',
          '',
          '',
        ),
        png,
        lines(
          '',
          `--${boundary}`,
          'Content-Disposition: form-data; name="meta"',
          'Content-Type: application/json',
          '',
          '{"tags":["x"]}',
          `--${boundary}`,
          'Content-Disposition: form-data; name="count"',
          '',
          '3',
          `--${boundary}--`,
          '',
        ),
      ]),
    );
  });

  it('sends each list member as its own part, files included', async () => {
    const plan = flattened('multipart/form-data', ['files', 'ids'], { binary: ['files'] });
    const form = built(plan, { files: ['AAE=', 'Ag=='], ids: ['1', '2'] }).body?.data as FormData;
    const files = form.getAll('files') as File[];
    expect(await Promise.all(files.map(async (f) => [...new Uint8Array(await f.arrayBuffer())]))).toEqual([[0, 1], [2]]);
    expect(files.map((f) => f.type)).toEqual(['application/octet-stream', 'application/octet-stream']);
    expect(form.getAll('ids')).toEqual(['1', '2']);
  });

  it('reports invalid base64 for every file part', () => {
    const plan = flattened('multipart/form-data', ['a', 'b', 'c'], { binary: ['a', 'b', 'c'] });
    expect(problemsOf(plan, { a: 'not base64!', b: 'abcde', c: 5 })).toEqual([
      'a: is not valid base64 (characters outside the base64 alphabet, or misplaced "=")',
      'b: is not valid base64 (its length cannot be that of an encoding)',
      'c: must be a base64 string (binary content)',
    ]);
  });

  it('splits a styled property into plain parts without percent-encoding', () => {
    const plan = flattened('multipart/form-data', ['meta'], { encoding: { meta: { style: 'deepObject', explode: true } } });
    const form = built(plan, { meta: { 'a b': 'c&d' } }).body?.data as FormData;
    expect([...form.entries()]).toEqual([['meta[a b]', 'c&d']]);
  });
});

describe('byte and text bodies', () => {
  it('decodes an octet-stream body from base64, standard or URL-safe, with line breaks', () => {
    expect(built(whole('application/octet-stream'), { body: '/+8=' }).body).toEqual({
      contentType: 'application/octet-stream',
      data: Buffer.from([0xff, 0xef]),
    });
    expect([...(built(whole('application/octet-stream'), { body: '_-8' }).body?.data as Uint8Array)]).toEqual([0xff, 0xef]);
    expect([...(built(whole('application/octet-stream'), { body: 'AAEC\r\nAwQ=' }).body?.data as Uint8Array)]).toEqual([0, 1, 2, 3, 4]);
  });

  it('sends a whole binary body of another media type with that type', () => {
    const plan = whole('image/png', { binary: [''] });
    expect(built(plan, { body: 'AA==' }).body).toEqual({ contentType: 'image/png', data: Buffer.from([0]) });
    expect(problemsOf(plan, { body: 'A' })).toEqual(['body: is not valid base64 (its length cannot be that of an encoding)']);
  });

  it('sends a text/plain string as it is', () => {
    expect(built(whole('text/plain'), { body: 'hello\nworld' }).body).toEqual({ contentType: 'text/plain', data: 'hello\nworld' });
  });
});

describe('problems are listed together', () => {
  it('reports every bad argument of every location in one result', () => {
    const plan = planOf(
      '/users/{id}',
      [param('id', 'path'), param('q', 'query', { required: true }), param('X-Trace', 'header'), param('token', 'cookie')],
      bodyOf('multipart/form-data', { binary: ['file'] }),
      [{ arg: 'file', to: 'body-property', property: 'file' }],
    );
    expect(problemsOf(plan, { id: '..', 'X-Trace': 'a\r\nb', token: 'x', file: '***' }, new Set(['token']))).toEqual([
      'id: is, contains or decodes to a "." or ".." path segment; such values are refused',
      'q: required query parameter "q" is missing',
      'X-Trace: contains a control character (CR, LF, NUL, TAB or another); header values cannot carry them',
      'token: would set the cookie "token", which carries the API\'s credentials; refused',
      'file: is not valid base64 (characters outside the base64 alphabet, or misplaced "=")',
    ]);
  });
});
