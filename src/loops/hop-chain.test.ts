import { describe, expect, it } from 'vitest';
import { NO_HOPS, outboundTrace, parseHopChain } from './hop-chain.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('parseHopChain', () => {
  it('has no hops without a tracestate or without a warden entry', () => {
    expect(parseHopChain(undefined)).toBe(NO_HOPS);
    expect(parseHopChain('')).toBe(NO_HOPS);
    expect(parseHopChain('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).toMatchObject({ hops: [], overflow: false });
    expect(NO_HOPS).toEqual({ hops: [], overflow: false });
  });

  it('reads the warden entry among other vendors’ entries, oldest agent first', () => {
    expect(parseHopChain('rojo=00f067aa0ba902b7,warden=planner.researcher,congo=t61rcWkgMzE')).toMatchObject({ hops: ['planner', 'researcher'], overflow: false });
    expect(parseHopChain('warden=solo')).toMatchObject({ hops: ['solo'], overflow: false });
  });

  it('tolerates the optional whitespace around members', () => {
    expect(parseHopChain('rojo=1 ,\t warden=a.b ,congo=2')).toMatchObject({ hops: ['a', 'b'], overflow: false });
  });

  it('skips malformed members and entries of keys that only resemble warden', () => {
    expect(parseHopChain('garbage,=x,wardenx=a,x@warden=b,WARDEN=c,warden=d')).toMatchObject({ hops: ['d'], overflow: false });
  });

  it('drops hops that are not agent ids and keeps the rest in order', () => {
    const tooLong = `a${'b'.repeat(63)}`;
    const longest = `a${'b'.repeat(62)}`;
    expect(parseHopChain(`warden=ok..Upper.1digit.-dash.under_score.${tooLong}.${longest}.last-one`)).toEqual({
      hops: ['ok', longest, 'last-one'],
      overflow: false,
    });
    expect(parseHopChain('warden=')).toMatchObject({ hops: [], overflow: false });
  });

  it('reads ~ as a chain too long to carry', () => {
    expect(parseHopChain('rojo=1,warden=~')).toMatchObject({ hops: [], overflow: true });
    expect(parseHopChain('warden= ~ ')).toMatchObject({ hops: [], overflow: true });
  });
});

describe('outboundTrace', () => {
  it('continues the trace in a new span each time', () => {
    const a = outboundTrace(TRACE, NO_HOPS, 'bot');
    const b = outboundTrace(TRACE, NO_HOPS, 'bot');
    const ma = TRACEPARENT.exec(a.traceparent);
    const mb = TRACEPARENT.exec(b.traceparent);
    expect(ma?.[1]).toBe(TRACE);
    expect(mb?.[1]).toBe(TRACE);
    expect(ma?.[2]).not.toBe(mb?.[2]);
    expect(ma?.[2]).not.toBe('0000000000000000');
  });

  it('appends the calling agent to the chain', () => {
    expect(outboundTrace(TRACE, NO_HOPS, 'bot').tracestate).toBe('warden=bot');
    const chain = parseHopChain('rojo=1,warden=planner.researcher');
    const out = outboundTrace(TRACE, chain, 'writer');
    expect(out.tracestate).toBe('warden=planner.researcher.writer,rojo=1');
    // The next gateway reads back what this one stamped.
    expect(parseHopChain(out.tracestate)).toMatchObject({ hops: ['planner', 'researcher', 'writer'], overflow: false });
    // The incoming chain is not changed.
    expect(chain.hops).toEqual(['planner', 'researcher']);
  });

  it('carries a chain of exactly 256 characters and marks a longer one ~', () => {
    // 31 hops of 7 characters, each followed by a dot, are 248 characters; an 8-character agent makes 256.
    const hops = Array.from({ length: 31 }, (_, i) => `agent${String(i).padStart(2, '0')}`);
    const fits = outboundTrace(TRACE, { hops, overflow: false }, 'agent999');
    expect(fits.tracestate.length - 'warden='.length).toBe(256);
    expect(parseHopChain(fits.tracestate).hops).toHaveLength(32);
    const over = outboundTrace(TRACE, { hops, overflow: false }, 'agent9999');
    expect(over.tracestate).toBe('warden=~');
    expect(parseHopChain(over.tracestate)).toMatchObject({ hops: [], overflow: true });
  });

  it('keeps a chain that already overflowed marked ~', () => {
    expect(outboundTrace(TRACE, { hops: [], overflow: true }, 'bot').tracestate).toBe('warden=~');
  });
});

describe('other vendors in tracestate', () => {
  it('passes other vendors\' members on after the updated warden member, and drops malformed ones', () => {
    const chain = parseHopChain('congo=t61rcWkgMzE, warden=a.b ,rojo=00f067aa0ba902b7,BAD KEY=x,empty=');
    expect(chain.hops).toEqual(['a', 'b']);
    expect(chain.others).toEqual(['congo=t61rcWkgMzE', 'rojo=00f067aa0ba902b7']);
    expect(outboundTrace('4bf92f3577b34da6a3ce929d0e0e4736', chain, 'c').tracestate).toBe('warden=a.b.c,congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
  });
});
