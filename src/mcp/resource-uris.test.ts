import { describe, expect, it } from 'vitest';
import { UriNamespace } from './resource-uris.js';

describe('resource URI namespace', () => {
  const uris = new UriNamespace(['github', 'docs'], 'local');

  it('round-trips prefixed URIs and leaves the unprefixed upstream\'s as they are', () => {
    expect(uris.toPublic('github', 'repo://x')).toBe('github+repo://x');
    expect(uris.fromPublic('github+repo://x')).toEqual({ upstream: 'github', uri: 'repo://x' });
    expect(uris.toPublic('local', 'file:///a')).toBe('file:///a');
    expect(uris.fromPublic('file:///a')).toEqual({ upstream: 'local', uri: 'file:///a' });
  });

  it('lets the unprefixed upstream publish no URI that starts with a prefixed upstream\'s "<id>+", whatever its case', () => {
    expect(uris.publishProblem('local', 'github+repo://secret')).toContain('namespace of upstream github');
    expect(uris.publishProblem('local', 'GITHUB+repo://secret')).toContain('namespace of upstream github');
    expect(uris.publishProblem('local', 'docs+{path}')).not.toBeNull();
    expect(uris.publishProblem('local', 'git+ssh://host/repo')).toBeNull();
    expect(uris.publishProblem('local', 'file:///github+notes')).toBeNull();
    // A prefixed upstream's URIs always lead back to it, so anything goes there.
    expect(uris.publishProblem('docs', 'github+repo://secret')).toBeNull();
  });

  it('refuses an empty URI, which would have no public form of its own', () => {
    expect(uris.publishProblem('github', '')).toBe('the URI is empty');
    expect(uris.publishProblem('local', '')).toBe('the URI is empty');
  });

  it('gives the unprefixed upstream\'s resources access names outside every namespace', () => {
    expect(uris.accessName('github', 'readme', 'repo://readme')).toBe('github__readme');
    expect(uris.accessName('local', 'github__secret', 'x://y')).toBe('github_secret');
    expect(uris.accessName('local', undefined, 'file:///README.md')).toBe('file_README_md');
    expect(uris.accessName('local', 'notes', 'file:///notes')).toBe('notes');
  });
});
