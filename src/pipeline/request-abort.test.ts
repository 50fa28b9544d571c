import { describe, expect, it } from 'vitest';
import { RequestAbort } from './request-abort.js';

describe('RequestAbort', () => {
  it('runs each listener once on abort, not the removed ones, and keeps the reason', () => {
    const a = new RequestAbort();
    const calls: string[] = [];
    const one = () => calls.push('one');
    const two = () => calls.push('two');
    a.onAbort(one);
    a.onAbort(two);
    a.offAbort(one);
    expect(a.aborted).toBe(false);
    const why = new Error('client went away');
    a.abort(why);
    a.abort(new Error('second'));
    expect(calls).toEqual(['two']);
    expect(a.aborted).toBe(true);
    expect(a.reason).toBe(why);
  });

  it('never runs a listener added after the abort (as an AbortSignal would not)', () => {
    const a = new RequestAbort();
    a.abort();
    let ran = false;
    a.onAbort(() => (ran = true));
    expect(ran).toBe(false);
    expect(a.reason).toBeInstanceOf(DOMException);
    expect((a.reason as DOMException).name).toBe('AbortError');
  });

  it('gives a real AbortSignal that follows it, made before or after the abort', () => {
    const before = new RequestAbort();
    const signal = before.signal;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(before.signal).toBe(signal); // made once
    let fired = 0;
    signal.addEventListener('abort', () => fired++);
    before.abort('cancelled');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('cancelled');
    expect(fired).toBe(1);

    const after = new RequestAbort();
    after.abort('gone');
    expect(after.signal.aborted).toBe(true);
    expect(after.signal.reason).toBe('gone');
  });

  it('runs a listener added twice once, skips one removed by an earlier listener, and aborts the signal first', () => {
    const a = new RequestAbort();
    const signal = a.signal;
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    const first = () => {
      calls.push(`first (signal aborted: ${signal.aborted})`);
      a.offAbort(removed);
    };
    a.onAbort(first);
    a.onAbort(first);
    a.onAbort(removed);
    a.abort();
    expect(calls).toEqual(['first (signal aborted: true)']);
  });
});
