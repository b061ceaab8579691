// Checks a receipt of the node's verifiable log in the browser (docs/transparency.md), with
// nothing but WebCrypto (SHA-256, Ed25519) and the node's public key:
//   1. the receipt is for the envelope asked about and comes from this node: its
//      node_public_key is the key the node publishes, whose SHA-256 is sth.node_id;
//   2. sth.signature is Ed25519 by that key over the RFC 8785 canonical JSON of
//      {tree_size, root_hash, timestamp, node_id};
//   3. leaf_hash = SHA-256(0x00 || canonical envelope);
//   4. the inclusion proof leads from that leaf at leaf_index to sth.root_hash for
//      sth.tree_size leaves (RFC 9162 section 2.1.3.2).
// Optionally, the envelope's own `sig` by its author organisation's key.
//
// Self-contained (no imports) so that the unit test can run it in node.

export interface TreeHead {
  tree_size: number;
  root_hash: string;
  timestamp: number;
  node_id: string;
  signature: string;
}

export interface Receipt {
  envelope: Record<string, unknown>;
  leaf_index: number;
  leaf_hash: string;
  inclusion_proof: string[];
  sth: TreeHead;
  node_public_key: string;
}

// Why a receipt is not valid; the console has a message for each.
export type Failure =
  | 'malformed'
  | 'other_envelope'
  | 'other_node'
  | 'node_id'
  | 'sth_signature'
  | 'leaf_hash'
  | 'inclusion'
  | 'no_ed25519';

export interface Verdict {
  valid: boolean;
  failure?: Failure;
  leaf_index?: number;
  tree_size?: number;
  root_hash?: string;
  timestamp?: number;
  // The author organisation's signature on the envelope: checked only when
  // its key was given.
  author_signature?: 'valid' | 'invalid' | 'unchecked';
}

// RFC 8785 (JSON Canonicalization Scheme): members sorted by the UTF-16 code
// units of their names, no whitespace, numbers as ECMAScript serializes them,
// strings as JSON.stringify escapes them.
export function canonicalize(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new Error('JSON numbers are finite');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalize).join(',')}]`;
      const obj = value as Record<string, unknown>;
      // Array.prototype.sort compares UTF-16 code units, as RFC 8785 asks.
      const keys = Object.keys(obj).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(obj[k])}`).join(',')}}`;
    }
    default:
      throw new Error(`not JSON: ${typeof value}`);
  }
}

const utf8 = (s: string) => new TextEncoder().encode(s);

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error('not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all as BufferSource));
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export const leafHash = (data: Uint8Array) => sha256(Uint8Array.of(0), data);
const nodeHash = (l: Uint8Array, r: Uint8Array) => sha256(Uint8Array.of(1), l, r);

// RFC 9162 2.1.3.2. Sizes up to 2^53 - 1: BigInt, since JavaScript's bit
// operators work on 32 bits.
export async function rootFromInclusion(leaf: Uint8Array, index: number, size: number, proof: Uint8Array[]): Promise<Uint8Array | null> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

async function ed25519Verify(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  const key = await crypto.subtle.importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature as BufferSource, message as BufferSource);
}

function wellFormed(r: any): r is Receipt {
  const hex64 = (s: unknown) => typeof s === 'string' && /^[0-9a-fA-F]{64}$/.test(s);
  const int = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  return (
    r !== null &&
    typeof r === 'object' &&
    r.envelope !== null &&
    typeof r.envelope === 'object' &&
    !Array.isArray(r.envelope) &&
    typeof r.envelope.id === 'string' &&
    typeof r.envelope.sig === 'string' &&
    int(r.leaf_index) &&
    hex64(r.leaf_hash) &&
    Array.isArray(r.inclusion_proof) &&
    r.inclusion_proof.length <= 64 &&
    r.inclusion_proof.every(hex64) &&
    r.sth !== null &&
    typeof r.sth === 'object' &&
    int(r.sth.tree_size) &&
    hex64(r.sth.root_hash) &&
    int(r.sth.timestamp) &&
    typeof r.sth.node_id === 'string' &&
    typeof r.sth.signature === 'string' &&
    typeof r.node_public_key === 'string'
  );
}

// `nodeKey`: the node's Ed25519 public key (base64url) as GET /api/v1/node
// publishes it. `envelopeId`: the envelope the receipt must be for.
// `authorKey`: the author organisation's signing key (base64url), if known.
export async function verifyReceipt(receipt: unknown, nodeKey: string, envelopeId: string, authorKey?: string): Promise<Verdict> {
  if (!wellFormed(receipt)) return { valid: false, failure: 'malformed' };
  const r = receipt;
  const facts = { leaf_index: r.leaf_index, tree_size: r.sth.tree_size, root_hash: r.sth.root_hash.toLowerCase(), timestamp: r.sth.timestamp };
  const fail = (failure: Failure): Verdict => ({ valid: false, failure, ...facts });
  if (r.envelope.id !== envelopeId) return fail('other_envelope');
  let key: Uint8Array;
  let signature: Uint8Array;
  try {
    key = fromBase64Url(r.node_public_key);
    signature = fromBase64Url(r.sth.signature);
  } catch {
    return fail('malformed');
  }
  if (r.node_public_key !== nodeKey || key.length !== 32) return fail('other_node');
  if (toHex(await sha256(key)) !== r.sth.node_id.toLowerCase()) return fail('node_id');
  const head = { tree_size: r.sth.tree_size, root_hash: r.sth.root_hash, timestamp: r.sth.timestamp, node_id: r.sth.node_id };
  try {
    if (!(await ed25519Verify(key, signature, utf8(canonicalize(head))))) return fail('sth_signature');
  } catch (e) {
    // A browser without WebCrypto Ed25519 cannot decide; a bad key or
    // signature length is simply invalid.
    if (e instanceof Error && e.name === 'NotSupportedError') return fail('no_ed25519');
    return fail('sth_signature');
  }
  let envelopeBytes: Uint8Array;
  try {
    envelopeBytes = utf8(canonicalize(r.envelope));
  } catch {
    return fail('malformed');
  }
  const leaf = await leafHash(envelopeBytes);
  if (toHex(leaf) !== r.leaf_hash.toLowerCase()) return fail('leaf_hash');
  const root = await rootFromInclusion(leaf, r.leaf_index, r.sth.tree_size, r.inclusion_proof.map(fromHex));
  if (!root || !equal(root, fromHex(r.sth.root_hash))) return fail('inclusion');

  let author_signature: Verdict['author_signature'] = 'unchecked';
  if (authorKey) {
    try {
      const { sig, ...unsigned } = r.envelope;
      const ok = await ed25519Verify(fromBase64Url(authorKey), fromBase64Url(sig as string), utf8(canonicalize(unsigned)));
      author_signature = ok ? 'valid' : 'invalid';
    } catch (e) {
      author_signature = e instanceof Error && e.name === 'NotSupportedError' ? 'unchecked' : 'invalid';
    }
  }
  return { valid: true, ...facts, author_signature };
}
