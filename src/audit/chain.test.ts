import { describe, expect, it } from 'vitest';
import { type ChainLink, ChainVerifier, GENESIS_HASH, linkHash } from './chain.js';

const key = Buffer.alloc(32, 7);

function chain(chainId: string, count: number): ChainLink[] {
  const links: ChainLink[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const data = JSON.stringify({ id: `${chainId}-${seq}`, n: seq });
    const hash = linkHash(key, prevHash, data);
    links.push({ id: `${chainId}-${seq}`, chainId, seq, data, prevHash, hash });
    prevHash = hash;
  }
  return links;
}

function firstBreak(links: readonly ChainLink[], verifier = new ChainVerifier(key)) {
  for (const link of links) {
    const broken = verifier.push(link);
    if (broken) return broken;
  }
  return undefined;
}

describe('audit hash chain', () => {
  it('accepts intact chains, interleaved', () => {
    const a = chain('a', 5);
    const b = chain('b', 3);
    const verifier = new ChainVerifier(key);
    expect(firstBreak([a[0]!, b[0]!, a[1]!, b[1]!, b[2]!, ...a.slice(2)], verifier)).toBeUndefined();
    expect(verifier.checked).toBe(8);
    expect(verifier.checkHead('a', 5, a[4]!.hash)).toBeUndefined();
  });

  it('names the first event whose content was edited', () => {
    const links = chain('a', 5);
    links[2] = { ...links[2]!, data: links[2]!.data.replace('"n":3', '"n":4') };
    expect(firstBreak(links)).toEqual({ chainId: 'a', seq: 3, id: 'a-3', problem: 'its content or its hash was changed' });
  });

  it('finds an event taken out of the middle, and a rehashed one under another key', () => {
    const links = chain('a', 5);
    expect(firstBreak([...links.slice(0, 2), ...links.slice(3)])).toMatchObject({ seq: 4, problem: expect.stringContaining('expected event 3') });
    const forged = { ...links[1]!, data: '{"forged":true}' };
    forged.hash = linkHash(Buffer.alloc(32, 9), forged.prevHash, forged.data);
    expect(firstBreak([links[0]!, forged])).toMatchObject({ seq: 2, problem: 'its content or its hash was changed' });
  });

  it('finds events cut off the end through the chain head, and a chain that does not start at the genesis', () => {
    const links = chain('a', 5);
    const verifier = new ChainVerifier(key);
    expect(firstBreak(links.slice(0, 3), verifier)).toBeUndefined();
    expect(verifier.checkHead('a', 5, links[4]!.hash)).toMatchObject({ problem: expect.stringContaining('events after it are missing') });
    const bad = { ...links[0]!, prevHash: 'f'.repeat(64) };
    bad.hash = linkHash(key, bad.prevHash, bad.data);
    expect(firstBreak([bad])).toMatchObject({ seq: 1, problem: 'the first event of the chain does not start it' });
  });
});
