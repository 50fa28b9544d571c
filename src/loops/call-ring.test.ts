import { describe, expect, it } from 'vitest';
import { CallRing, callKey, targetOf } from './call-ring.js';

function contents(ring: CallRing): string[] {
  const out: string[] = [];
  for (let seq = ring.firstSeq; seq < ring.nextSeq; seq++) out.push(ring.idAt(seq));
  return out;
}

describe('CallRing', () => {
  it('keeps the latest `capacity` calls, oldest dropped first', () => {
    const ring = new CallRing(3);
    for (let i = 1; i <= 5; i++) ring.push(`r${i}`, 'k', i);
    expect(contents(ring)).toEqual(['r3', 'r4', 'r5']);
    expect(ring.holds(1)).toBe(false);
    expect(ring.holds(2)).toBe(true);
  });

  it('links each call to the previous held call with the same key', () => {
    const ring = new CallRing(4);
    ring.push('r1', 'a', 1);
    ring.push('r2', 'b', 2);
    ring.push('r3', 'a', 3);
    expect(ring.latestOf('a')).toBe(2);
    expect(ring.previousSame(2)).toBe(0);
    expect(ring.previousSame(0)).toBe(-1);
    ring.push('r4', 'c', 4);
    ring.push('r5', 'c', 5); // drops r1
    expect(ring.previousSame(2)).toBe(-1);
  });

  it('indexes only keys still held: 10,000 distinct calls keep at most `capacity` keys', () => {
    const ring = new CallRing(256);
    for (let i = 0; i < 10_000; i++) ring.push(`r${i}`, `k${i}`, i);
    expect(ring.size).toBe(256);
    expect(ring.keyCount).toBe(256);
    expect(ring.latestOf('k0')).toBe(-1);
    expect(ring.latestOf('k9999')).toBe(9999);
  });

  it('drops the calls made at or before a cutoff, and forgets their keys', () => {
    const ring = new CallRing(8);
    ring.push('r1', 'a', 10);
    ring.push('r2', 'b', 20);
    ring.push('r3', 'a', 30);
    ring.dropUntil(20);
    expect(contents(ring)).toEqual(['r3']);
    expect(ring.latestOf('b')).toBe(-1);
    expect(ring.latestOf('a')).toBe(2);
    expect(ring.keyCount).toBe(1);
  });

  it('grows without losing or reordering what it holds', () => {
    const ring = new CallRing(3);
    for (let i = 1; i <= 5; i++) ring.push(`r${i}`, i % 2 ? 'odd' : 'even', i);
    ring.grow(6);
    expect(ring.capacity).toBe(6);
    expect(contents(ring)).toEqual(['r3', 'r4', 'r5']);
    expect(ring.idAt(ring.previousSame(ring.latestOf('odd')))).toBe('r3');
    for (let i = 6; i <= 8; i++) ring.push(`r${i}`, 'x', i);
    expect(contents(ring)).toEqual(['r3', 'r4', 'r5', 'r6', 'r7', 'r8']);
  });

  it('clear() forgets every call and key', () => {
    const ring = new CallRing(4);
    ring.push('r1', 'a', 1);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.keyCount).toBe(0);
  });
});

describe('callKey', () => {
  it('never confuses two (target, digest) pairs, whatever characters they hold', () => {
    expect(callKey('a:1', 'b')).not.toBe(callKey('a', ':1b'));
    expect(callKey('ab', 'c')).not.toBe(callKey('a', 'bc'));
    expect(targetOf(callKey('gpt-4o:mini\n', 'xyz:'))).toBe('gpt-4o:mini\n');
  });
});
