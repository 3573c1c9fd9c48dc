// Helpers of the ethers conformance test: RFC 8785 canonical JSON, random keys and transaction bodies,
// and running the onebill binary many times with bounded concurrency.
'use strict';

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ethers } = require('ethers');

const PREFIX = 'OneBill transaction v1\n';

const BIN = process.env.ONEBILL_BIN ||
  path.join(process.env.ONEBILL_SOURCE_DIR || path.join(__dirname, '..', '..'), 'build', 'api', 'onebill');

// RFC 8785: members sorted by UTF-16 code units (JavaScript's default sort), JSON.stringify for strings and
// numbers (ECMAScript Number::toString), no white space.
function canonicalize(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(canonicalize).join(',') + ']';
  return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonicalize(value[k])).join(',') + '}';
}

function signingText(unsignedTx) {
  return PREFIX + canonicalize(unsignedTx);
}

// A seeded generator (mulberry32), so a failure can be replayed with ONEBILL_SEED.
function makeRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  const bytes = (n) => Uint8Array.from({ length: n }, () => int(256));
  const hex = (n) => ethers.hexlify(bytes(n));
  return { next, int, pick, bytes, hex };
}

// A valid secret key: 32 random bytes below the group order (a random value is with overwhelming probability).
function randomWallet(random) {
  for (;;) {
    const secret = random.hex(32);
    if (BigInt(secret) > 0n && BigInt(secret) < ethers.N) return new ethers.Wallet(secret);
  }
}

// An address in one of the forms OneBill accepts: EIP-55, all lowercase, all uppercase.
function addressForm(random, address) {
  const checksummed = ethers.getAddress(address);
  switch (random.int(3)) {
    case 0: return checksummed;
    case 1: return checksummed.toLowerCase();
    default: return '0x' + checksummed.slice(2).toUpperCase();
  }
}

function randomAddress(random) {
  return addressForm(random, random.hex(20));
}

const REMARK_PIECES = ['重庆', '→', 'Singapore', '🚢', 'Qinzhou 钦州', ' ', 'B/L', '"quoted"', 'back\\slash', 'tab\there',
  'line\nbreak', 'ü', 'דּ', '😀', 'x', '0', 'é', 'Ω', '\u2028', '/'];

function randomRemark(random) {
  let remark = '';
  const pieces = 1 + random.int(6);
  for (let i = 0; i < pieces; i++) remark += random.pick(REMARK_PIECES);
  return remark;
}

const LOCODES = ['CNCKG', 'CNQZH', 'SGSIN', 'CNSHA', 'MYPKG', 'VNSGN', 'CN2K9'];

function randomLegs(random) {
  const count = 1 + random.int(4);
  const legs = [];
  let from = random.pick(LOCODES);
  for (let i = 0; i < count; i++) {
    const to = random.pick(LOCODES);
    legs.push({ mode: random.pick(['SEA', 'RAIL', 'ROAD', 'INLAND_WATERWAY', 'AIR']), carrier: randomAddress(random), from, to });
    from = to;
  }
  return legs;
}

function randomBill(random) {
  return random.hex(32);  // lowercase, as bill ids are
}

// A valid [type, body] of one of the transaction types of DESIGN §4.
function randomBody(random) {
  const bill = randomBill(random);
  const choices = [
    () => ['bill.transfer_holder', { bill, to: randomAddress(random) }],
    () => ['bill.endorse', { bill, to: randomAddress(random) }],
    () => ['bill.nominate', { bill, nominee: random.int(2) ? null : randomAddress(random) }],
    () => ['bill.transfer_owners', { bill, beneficiary: randomAddress(random), holder: randomAddress(random) }],
    () => ['bill.pledge', { bill, bank: randomAddress(random), reference: 'LOAN-' + random.int(100000) }],
    () => [random.pick(['bill.blank_endorse', 'bill.reject_transfer', 'bill.release', 'bill.enforce',
      'bill.withdraw_surrender', 'bill.accept_surrender']), { bill }],
    () => ['bill.surrender', random.int(2) ? { bill, purpose: 'DELIVERY' }
      : { bill, purpose: 'AMENDMENT', reason: random.pick(['SWTP', 'COD', 'SWI']) }],
    () => ['bill.reject_surrender', { bill, remark: randomRemark(random) }],
    () => ['leg.record', { bill, leg: random.int(16), event: random.pick(['RECEIVED', 'DEPARTED', 'ARRIVED', 'HANDED_OVER']),
      location: random.pick(LOCODES), time: new Date(1767225600000 + random.int(1e10)).toISOString(),
      conveyance: 'X80' + random.int(100) + ' 渝新欧' }],
    () => {
      const kind = random.pick(['BOL', 'SWB']);
      const body = { id: bill, reference: 'CQSG' + random.int(1e6), kind, to_order: kind === 'BOL' && random.int(2) === 1,
        holder: randomAddress(random), legs: randomLegs(random) };
      if (random.int(2)) body.beneficiary = randomAddress(random);
      return ['bill.issue', body];
    },
    () => ['gov.approve', { proposal: random.hex(32) }],
    () => ['gov.propose', { action: 'participant.suspend', args: { address: randomAddress(random) }, expires_height: random.int(1e6) }],
  ];
  const [type, body] = random.pick(choices)();
  if (type !== 'bill.reject_surrender' && random.int(3) === 0) body.remark = randomRemark(random);
  return [type, body];
}

// An object with its members in a random order (OneBill must canonicalize, not trust the order).
function shuffled(random, object) {
  const keys = Object.keys(object);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [keys[i], keys[j]] = [keys[j], keys[i]];
  }
  const out = {};
  for (const key of keys) out[key] = object[key];
  return out;
}

function randomUnsignedTransaction(random, wallet) {
  const [type, body] = randomBody(random);
  const tx = {
    chain: 'onebill-demo-' + random.hex(3).slice(2),
    type,
    nonce: random.int(2) ? random.int(100) : random.int(2 ** 31) * 4194304 + random.int(4194304),  // up to 2^53-1
    from: addressForm(random, wallet.address),
    body: shuffled(random, body),
  };
  if (random.int(3) === 0) tx.expires_ms = 1767225600000 + random.int(1e10);
  return shuffled(random, tx);
}

// Runs the binary; resolves {code, stdout, stderr}.
function run(args, { input = '', env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({
      code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'),
    }));
    child.stdin.on('error', () => {});  // the binary may exit before reading all of stdin
    child.stdin.end(input);
  });
}

// Maps `worker` over `items` with at most `limit` running at once, keeping the order of results.
async function mapLimited(items, limit, worker) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await worker(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}

// `onebill tx verify --each-line` over many wire texts, split over a few processes.
async function verifyLines(lines, processes = 4) {
  const chunk = Math.ceil(lines.length / processes);
  const chunks = [];
  for (let i = 0; i < lines.length; i += chunk) chunks.push(lines.slice(i, i + chunk));
  const outputs = await mapLimited(chunks, processes, async (part) => {
    const result = await run(['tx', 'verify', '--each-line'], { input: part.join('\n') + '\n' });
    const verdicts = result.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
    if (verdicts.length !== part.length) throw new Error('verify --each-line answered ' + verdicts.length + ' of ' + part.length + ': ' + result.stderr);
    return verdicts;
  });
  return outputs.flat();
}

function temporaryDirectory() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'onebill-ethers-'));
}

function writePrivate(file, text) {
  fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(file, 0o600);
}

function seed() {
  return process.env.ONEBILL_SEED ? Number(process.env.ONEBILL_SEED) : crypto.randomInt(2 ** 31);
}

module.exports = {
  PREFIX, BIN, canonicalize, signingText, makeRandom, randomWallet, randomAddress, randomBody, randomRemark,
  randomUnsignedTransaction, run, mapLimited, verifyLines, temporaryDirectory, writePrivate, seed,
};
