/**
 * The style/explode matrix for every parameter location, checked against the OpenAPI 3.1
 * "Style Examples" table (color = "blue", ["blue","black","brown"], {R:100,G:200,B:150}, and
 * null for its "undefined" column) and against the values of the Swagger serialization guide
 * (5, [3,4,5], {role:"admin", firstName:"Alex"}).
 */
import { describe, expect, it } from 'vitest';
import type { ParamStyle } from '../plan.js';
import { built, param, planOf } from './test-fixtures.js';

const COLOR = { string: 'blue', array: ['blue', 'black', 'brown'], object: { R: 100, G: 200, B: 150 }, undefined: null };
const ID = { primitive: 5, array: [3, 4, 5], object: { role: 'admin', firstName: 'Alex' } };

type Serialize = (style: ParamStyle, explode: boolean, value: unknown, name: string) => string | undefined;

/**
 * One style/explode combination: the expected text for each OAS sample (undefined, string,
 * array, object) and each Swagger guide sample (primitive, array, object). null marks n/a:
 * nothing is sent and nothing is checked (the path's undefined cell is refused: see the
 * threats tests).
 */
type Row = readonly [style: ParamStyle, explode: boolean, spec: readonly (string | null)[], guide: readonly (string | null)[]];

const SPEC_SAMPLES = [COLOR.undefined, COLOR.string, COLOR.array, COLOR.object];
const GUIDE_SAMPLES = [ID.primitive, ID.array, ID.object];

function expectRow(serialize: Serialize, [style, explode, spec, guide]: Row): void {
  const check = (name: string, samples: readonly unknown[], expected: readonly (string | null)[]): void => {
    samples.forEach((value, i) => {
      const want = expected[i];
      if (want !== null && want !== undefined) expect(serialize(style, explode, value, name), JSON.stringify(value)).toBe(want);
    });
  };
  check('color', SPEC_SAMPLES, spec);
  check('id', GUIDE_SAMPLES, guide);
}

function pathOf(style: ParamStyle, explode: boolean, value: unknown, name = 'color'): string {
  return built(planOf(`/x/{${name}}`, [param(name, 'path', { style, explode })]), { [name]: value }).path.slice('/x/'.length);
}

function queryOf(style: ParamStyle, explode: boolean, value: unknown, name = 'color'): string {
  return built(planOf('/x', [param(name, 'query', { style, explode })]), { [name]: value }).query.join('&');
}

function headerOf(_style: ParamStyle, explode: boolean, value: unknown, name = 'color'): string | undefined {
  return built(planOf('/x', [param(`X-${name}`, 'header', { explode })]), { [`X-${name}`]: value }).headers[`x-${name}`];
}

function cookieOf(_style: ParamStyle, explode: boolean, value: unknown, name = 'color'): string {
  return built(planOf('/x', [param(name, 'cookie', { explode })]), { [name]: value }).cookies.join('; ');
}

const TABLES: ReadonlyArray<[location: string, serialize: Serialize, rows: readonly Row[]]> = [
  [
    'path',
    pathOf,
    [
      ['matrix', false, [null, ';color=blue', ';color=blue,black,brown', ';color=R,100,G,200,B,150'], [';id=5', ';id=3,4,5', ';id=role,admin,firstName,Alex']],
      ['matrix', true, [null, ';color=blue', ';color=blue;color=black;color=brown', ';R=100;G=200;B=150'], [';id=5', ';id=3;id=4;id=5', ';role=admin;firstName=Alex']],
      ['label', false, [null, '.blue', '.blue,black,brown', '.R,100,G,200,B,150'], ['.5', '.3,4,5', '.role,admin,firstName,Alex']],
      ['label', true, [null, '.blue', '.blue.black.brown', '.R=100.G=200.B=150'], ['.5', '.3.4.5', '.role=admin.firstName=Alex']],
      ['simple', false, [null, 'blue', 'blue,black,brown', 'R,100,G,200,B,150'], ['5', '3,4,5', 'role,admin,firstName,Alex']],
      ['simple', true, [null, 'blue', 'blue,black,brown', 'R=100,G=200,B=150'], ['5', '3,4,5', 'role=admin,firstName=Alex']],
    ],
  ],
  [
    'query',
    queryOf,
    [
      ['form', false, ['color=', 'color=blue', 'color=blue,black,brown', 'color=R,100,G,200,B,150'], ['id=5', 'id=3,4,5', 'id=role,admin,firstName,Alex']],
      ['form', true, ['color=', 'color=blue', 'color=blue&color=black&color=brown', 'R=100&G=200&B=150'], ['id=5', 'id=3&id=4&id=5', 'role=admin&firstName=Alex']],
      ['spaceDelimited', false, ['', 'color=blue', 'color=blue%20black%20brown', 'color=R%20100%20G%20200%20B%20150'], ['id=5', 'id=3%204%205', 'id=role%20admin%20firstName%20Alex']],
      ['pipeDelimited', false, ['', 'color=blue', 'color=blue%7Cblack%7Cbrown', 'color=R%7C100%7CG%7C200%7CB%7C150'], ['id=5', 'id=3%7C4%7C5', 'id=role%7Cadmin%7CfirstName%7CAlex']],
      // Arrays under deepObject (n/a in the OAS table) are indexed, as Stripe does.
      ['deepObject', true, ['', 'color=blue', null, 'color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150'], ['id=5', 'id%5B0%5D=3&id%5B1%5D=4&id%5B2%5D=5', 'id%5Brole%5D=admin&id%5BfirstName%5D=Alex']],
    ],
  ],
  [
    'header',
    headerOf,
    [
      ['simple', false, ['', 'blue', 'blue,black,brown', 'R,100,G,200,B,150'], ['5', '3,4,5', 'role,admin,firstName,Alex']],
      ['simple', true, ['', 'blue', 'blue,black,brown', 'R=100,G=200,B=150'], ['5', '3,4,5', 'role=admin,firstName=Alex']],
    ],
  ],
  [
    'cookie',
    cookieOf,
    [
      ['form', false, ['color=', 'color=blue', 'color=blue,black,brown', 'color=R,100,G,200,B,150'], ['id=5', 'id=3,4,5', 'id=role,admin,firstName,Alex']],
      // One Cookie entry per member: `&` means nothing in a Cookie header.
      ['form', true, ['color=', 'color=blue', 'color=blue; color=black; color=brown', 'R=100; G=200; B=150'], ['id=5', 'id=3; id=4; id=5', 'role=admin; firstName=Alex']],
    ],
  ],
];

describe.each(TABLES)('%s parameters follow the style tables', (_location, serialize, rows) => {
  it.each(rows)('style %s, explode %s', (...row) => expectRow(serialize, row));
});

describe('path parameters', () => {
  it('encodes the delimiters of the style when they occur inside values', () => {
    expect(pathOf('simple', false, ['a,b', 'c'])).toBe('a%2Cb,c');
    expect(pathOf('label', true, { 'k.1': 'v=1' })).toBe('.k.1=v%3D1');
    expect(pathOf('matrix', true, { k: 'a;b' })).toBe(';k=a%3Bb');
  });
});

describe('query parameters', () => {
  it('repeats the name for spaceDelimited and pipeDelimited with explode (n/a in the table), as form does', () => {
    expect(queryOf('spaceDelimited', true, ['a', 'b'])).toBe('color=a&color=b');
    expect(queryOf('pipeDelimited', true, ['a', 'b'])).toBe('color=a&color=b');
  });

  it('nests deepObject values with brackets recursively and indexes arrays, as Stripe does', () => {
    const value = { a: { b: { c: 'x' } }, list: [{ k: 'v' }, 'w'], skip: null };
    expect(queryOf('deepObject', true, value, 'f')).toBe(
      'f%5Ba%5D%5Bb%5D%5Bc%5D=x&f%5Blist%5D%5B0%5D%5Bk%5D=v&f%5Blist%5D%5B1%5D=w',
    );
  });

  it('writes numbers and booleans as their JSON text and skips null members', () => {
    expect(queryOf('form', true, [1.5, true, null, false])).toBe('color=1.5&color=true&color=false');
  });

  it('keeps reserved characters with allowReserved, but still encodes & = + # [ ] and space', () => {
    const plan = planOf('/x', [param('q', 'query', { allowReserved: true })]);
    expect(built(plan, { q: 'a/b?c:d@e,f;g!$()*\'' }).query).toEqual(['q=a/b?c:d@e,f;g!$()*\'']);
    expect(built(plan, { q: 'x&admin=true+1#[] %41%zz' }).query).toEqual(['q=x%26admin%3Dtrue%2B1%23%5B%5D%20%41%25zz']);
  });

  it('percent-encodes parameter names', () => {
    expect(queryOf('form', true, 'x', 'filter[status]')).toBe('filter%5Bstatus%5D=x');
  });
});

describe('header parameters', () => {
  it('sends the value as it is: no percent-encoding of reserved characters', () => {
    expect(headerOf('simple', false, 'a b;c=d%20"e"')).toBe('a b;c=d%20"e"');
  });

  it('lower-cases the header name', () => {
    const request = built(planOf('/x', [param('X-Request-ID', 'header')]), { 'X-Request-ID': 'abc' });
    expect(Object.keys(request.headers)).toEqual(['x-request-id']);
  });
});

describe('cookie parameters', () => {
  it('percent-encodes values so ; , space and = cannot start another cookie', () => {
    expect(cookieOf('form', false, 'a; admin=true, b')).toBe('color=a%3B%20admin%3Dtrue%2C%20b');
  });
});
