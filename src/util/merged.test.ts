import { describe, expect, it } from 'vitest';
import { merged } from './merged.js';

describe('merged', () => {
  it('copies the parts into a new object, later keys winning, like a spread', () => {
    const a = { x: 1, y: 2 };
    const b = { y: 3, z: 4 };
    const out = merged<Record<string, number>>(a, undefined, b);
    expect(out).toEqual({ ...a, ...b });
    expect(Object.keys(out)).toEqual(['x', 'y', 'z']);
    expect(out).not.toBe(a);
    expect(a).toEqual({ x: 1, y: 2 });
  });
});
