import { createHmac, type KeyObject } from 'node:crypto';

/** What the first event of a chain links to. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The link of one event: HMAC-SHA-256, under a key derived from the server's pepper (which is
 * never in the database), of the previous link and the event exactly as stored. Someone who can
 * edit the database but not read the pepper file cannot make an edited chain verify.
 */
export function linkHash(key: KeyObject | Buffer, prevHash: string, data: string): string {
  return createHmac('sha256', key).update(prevHash).update('\n').update(data).digest('hex');
}

/** The mark of a chain's head: which chain, how far, and which link it ends on. */
export function headMac(key: KeyObject | Buffer, chainId: string, seq: number, hash: string): string {
  return linkHash(key, `head ${chainId} ${seq}`, hash);
}

export interface ChainLink {
  id: string;
  chainId: string;
  seq: number;
  data: string;
  prevHash: string;
  hash: string;
}

export interface BrokenLink {
  chainId: string;
  seq: number;
  id: string;
  problem: string;
}

/**
 * Checks the links of chains, fed in order within each chain. The first event seen of a chain
 * is taken as its start (older ones may have gone with retention); every later one must follow
 * it by sequence number and link to it, and every hash must be the event's own.
 */
export class ChainVerifier {
  private readonly heads = new Map<string, { seq: number; hash: string }>();
  checked = 0;

  constructor(private readonly key: KeyObject | Buffer) {}

  push(link: ChainLink): BrokenLink | undefined {
    const at = { chainId: link.chainId, seq: link.seq, id: link.id };
    if (linkHash(this.key, link.prevHash, link.data) !== link.hash) return { ...at, problem: 'its content or its hash was changed' };
    const head = this.heads.get(link.chainId);
    if (head && link.seq !== head.seq + 1) return { ...at, problem: `expected event ${head.seq + 1} of the chain, found ${link.seq}: events are missing` };
    if (head && link.prevHash !== head.hash) return { ...at, problem: 'it does not link to the event before it' };
    if (!head && link.seq === 1 && link.prevHash !== GENESIS_HASH) return { ...at, problem: 'the first event of the chain does not start it' };
    this.heads.set(link.chainId, { seq: link.seq, hash: link.hash });
    this.checked++;
    return undefined;
  }

  /** Whether each chain ends where its recorded head says: events cut off the end are found here. */
  checkHead(chainId: string, seq: number, hash: string): BrokenLink | undefined {
    const head = this.heads.get(chainId);
    if (!head) return seq === 0 ? undefined : { chainId, seq, id: '', problem: `the chain's head names event ${seq}, and none of its events is left` };
    if (head.seq !== seq || head.hash !== hash) {
      return { chainId, seq: head.seq, id: '', problem: `the chain ends at event ${head.seq}, and its head names event ${seq}: events after it are missing` };
    }
    return undefined;
  }
}
