import { describe, expect, it } from 'vitest';
import { BodyReads } from './body-reads.js';

describe('BodyReads', () => {
  it('admits up to the limit per agent, each agent on its own, and frees a slot once per release', () => {
    const reads = new BodyReads(2);
    const a1 = reads.enter('a');
    const a2 = reads.enter('a');
    expect(a1 && a2).toBeTruthy();
    expect(reads.enter('a')).toBeNull();
    expect(reads.enter('b')).not.toBeNull();
    a1!();
    a1!(); // a second release of the same slot frees nothing more
    expect(reads.enter('a')).not.toBeNull();
    expect(reads.enter('a')).toBeNull();
  });

  it('forgets an agent with nothing left to read', () => {
    const reads = new BodyReads(1);
    const leave = reads.enter('a')!;
    expect(reads.agents).toBe(1);
    leave();
    expect(reads.agents).toBe(0);
  });
});
