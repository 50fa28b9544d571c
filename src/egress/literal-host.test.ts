import { describe, expect, it } from 'vitest';
import { refusedLiteralHost } from './literal-host.js';

describe('refusedLiteralHost', () => {
  it('names a loopback, private or link-local literal that needs internal: true, and accepts it with internal', () => {
    expect(refusedLiteralHost('http://127.0.0.1:11434/v1', false, 'a provider')).toBe('127.0.0.1 is a loopback address (127.0.0.0/8): the gateway calls it only for a provider configured with internal: true');
    expect(refusedLiteralHost('http://localhost:8000/v1', false, 'a provider')).toMatch(/^localhost is a loopback address/);
    expect(refusedLiteralHost('http://localhost./v1', false, 'a provider')).toMatch(/^localhost\. is a loopback address/);
    expect(refusedLiteralHost('http://[::1]:8000/', false, 'a provider')).toMatch(/^\[::1\] is a loopback address/);
    expect(refusedLiteralHost('http://10.1.2.3/v1', false, 'a provider')).toMatch(/private address \(10\.0\.0\.0\/8\)/);
    for (const url of ['http://127.0.0.1:11434/v1', 'http://localhost/', 'http://[::1]/', 'http://10.1.2.3/', 'http://169.254.1.1/']) {
      expect(refusedLiteralHost(url, true, 'a provider'), url).toBeNull();
    }
  });

  it('names an address no setting makes reachable', () => {
    expect(refusedLiteralHost('http://0.0.0.0:8080/', true, 'a provider')).toBe('0.0.0.0 is an unspecified address (0.0.0.0/8): the gateway never calls it');
    expect(refusedLiteralHost('http://224.0.0.1/', true, 'a provider')).toMatch(/multicast address .*never calls it/);
  });

  it('leaves public literals and host names to the connection-time check', () => {
    expect(refusedLiteralHost('https://8.8.8.8/', false, 'a provider')).toBeNull();
    expect(refusedLiteralHost('https://api.openai.com/v1', false, 'a provider')).toBeNull();
    expect(refusedLiteralHost('http://ollama.internal:11434/v1', false, 'a provider')).toBeNull();
    expect(refusedLiteralHost('not a url', false, 'a provider')).toBeNull();
  });
});
