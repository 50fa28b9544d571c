import { describe, expect, it } from 'vitest';
import { mcpHeaderValue } from './header-value.js';

describe('mcpHeaderValue', () => {
  it('passes printable ASCII through', () => {
    expect(mcpHeaderValue('get_weather')).toBe('get_weather');
    expect(mcpHeaderValue('file:///a b.txt')).toBe('file:///a b.txt');
  });
  it('wraps non-ASCII, control characters, edge whitespace and look-alikes of the wrapper in base64', () => {
    expect(mcpHeaderValue('météo')).toBe(`=?base64?${Buffer.from('météo').toString('base64')}?=`);
    expect(mcpHeaderValue('a\r\nX-Evil: 1')).toMatch(/^=\?base64\?/);
    expect(mcpHeaderValue(' padded')).toMatch(/^=\?base64\?/);
    expect(mcpHeaderValue('=?base64?abc?=')).toBe(`=?base64?${Buffer.from('=?base64?abc?=').toString('base64')}?=`);
  });
});
