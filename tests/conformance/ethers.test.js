// Conformance of OneBill's transactions and key files with ethers 6 (DESIGN §3, §7): transactions signed
// by ethers verify in OneBill with the id ethers computes, transactions signed by OneBill verify in ethers
// (with the very signature ethers makes: both use RFC 6979), any changed byte fails, and key files open
// both ways. Random keys and bodies; the seed is printed, ONEBILL_SEED=<seed> replays a run.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { ethers } = require('ethers');
const h = require('./ethers-helpers.js');

const SEED = h.seed();
console.log('ethers conformance seed', SEED, '(replay with ONEBILL_SEED=' + SEED + ')');
const random = h.makeRandom(SEED);

const TRANSACTIONS = 400;

test('the binary exists', () => {
  assert.ok(fs.existsSync(h.BIN), 'no onebill binary at ' + h.BIN + ' (set ONEBILL_BIN)');
});

// Transactions signed with ethers over the signing text of a JavaScript JCS, once for all the tests below.
const ethersSigned = [];
for (let i = 0; i < TRANSACTIONS; i++) {
  const wallet = h.randomWallet(random);
  const unsignedTx = h.randomUnsignedTransaction(random, wallet);
  const text = h.signingText(unsignedTx);
  const sig = wallet.signMessageSync(text);
  const wire = { ...unsignedTx, sig };
  ethersSigned.push({ wallet, unsignedTx, text, sig, wire: JSON.stringify(wire), id: ethers.keccak256(ethers.toUtf8Bytes(text)) });
}

test('transactions signed by ethers verify in OneBill with the id ethers computes', async () => {
  const verdicts = await h.verifyLines(ethersSigned.map((t) => t.wire));
  verdicts.forEach((verdict, i) => {
    const t = ethersSigned[i];
    assert.equal(verdict.valid, true, 'refused ' + t.wire + ': ' + verdict.rule + ': ' + verdict.detail);
    assert.equal(verdict.signer, t.wallet.address);
    assert.equal(verdict.id, t.id);
    assert.equal(verdict.type, t.unsignedTx.type);
    assert.equal(verdict.nonce, t.unsignedTx.nonce);
  });
});

test('onebill tx verify of one transaction prints signer and id and exits 0', async () => {
  await h.mapLimited(ethersSigned.slice(0, 8), 4, async (t) => {
    const result = await h.run(['tx', 'verify'], { input: t.wire });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'signer ' + t.wallet.address + '\nid ' + t.id + '\n');
  });
});

test('any changed byte makes a transaction fail verification', async () => {
  const mutated = ethersSigned.map((t) => {
    const bytes = Buffer.from(t.wire, 'utf8');
    // Change one ASCII byte to another printable ASCII byte (keeps one transaction per line).
    let at;
    do { at = random.int(bytes.length); } while (bytes[at] >= 0x80);
    let replacement;
    do { replacement = 0x21 + random.int(0x7e - 0x21 + 1); } while (replacement === bytes[at]);
    bytes[at] = replacement;
    return bytes.toString('utf8');
  });
  const verdicts = await h.verifyLines(mutated);
  const rules = {};
  verdicts.forEach((verdict, i) => {
    assert.equal(verdict.valid, false, 'accepted a changed transaction: ' + mutated[i]);
    rules[verdict.rule] = (rules[verdict.rule] || 0) + 1;
  });
  console.log('refusals of changed transactions by rule:', JSON.stringify(rules));
  const single = await h.run(['tx', 'verify'], { input: mutated[0] });
  assert.equal(single.code, 1);
  assert.match(single.stderr, /^invalid: [a-z-]+: /);
});

test('a high-s twin of an ethers signature is refused', async () => {
  const twins = ethersSigned.slice(0, 50).map((t) => {
    const signature = ethers.Signature.from(t.sig);
    const highS = ethers.toBeHex(ethers.N - BigInt(signature.s), 32);
    const v = signature.v === 27 ? '1c' : '1b';
    return JSON.stringify({ ...t.unsignedTx, sig: signature.r + highS.slice(2) + v });
  });
  const verdicts = await h.verifyLines(twins, 1);
  for (const verdict of verdicts) assert.equal(verdict.rule, 'signature-encoding');
});

test('transactions signed by OneBill verify in ethers with the signature ethers makes', async () => {
  const directory = h.temporaryDirectory();
  try {
    const cases = ethersSigned.slice(0, 100);
    await h.mapLimited(cases, 6, async (t, i) => {
      const keyFile = path.join(directory, 'key' + i + '.json');
      h.writePrivate(keyFile, JSON.stringify({
        address: t.wallet.address.toLowerCase(), insecure: true, private_key: t.wallet.privateKey,
      }));
      const args = ['tx', 'sign', '--key', keyFile, '--chain', t.unsignedTx.chain, '--nonce', String(t.unsignedTx.nonce),
        '--type', t.unsignedTx.type, '--body', JSON.stringify(t.unsignedTx.body)];
      if (t.unsignedTx.expires_ms !== undefined) args.push('--expires-ms', String(t.unsignedTx.expires_ms));
      const result = await h.run(args);
      assert.equal(result.code, 0, result.stderr);
      const wire = JSON.parse(result.stdout);
      assert.equal(wire.from, t.wallet.address);  // OneBill writes from as EIP-55
      const { sig, ...unsignedTx } = wire;
      const text = h.signingText(unsignedTx);
      assert.equal(ethers.verifyMessage(text, sig), t.wallet.address);
      assert.equal(sig, t.wallet.signMessageSync(text));
      assert.deepEqual(unsignedTx.body, t.unsignedTx.body);
    });
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test('tx build prints the exact signing text; a signature made elsewhere completes it with tx attach', async () => {
  await h.mapLimited(ethersSigned.slice(0, 20), 4, async (t) => {
    const content = ['--from', t.wallet.address, '--chain', t.unsignedTx.chain, '--nonce', String(t.unsignedTx.nonce),
      '--type', t.unsignedTx.type, '--body', JSON.stringify(t.unsignedTx.body)];
    if (t.unsignedTx.expires_ms !== undefined) content.push('--expires-ms', String(t.unsignedTx.expires_ms));
    const text = await h.run(['tx', 'build', ...content]);
    assert.equal(text.code, 0, text.stderr);
    const expected = h.signingText({ ...t.unsignedTx, from: t.wallet.address });
    assert.equal(text.stdout, expected);
    const object = await h.run(['tx', 'build', '--json', ...content]);
    assert.equal(object.code, 0, object.stderr);
    const sig = t.wallet.signMessageSync(text.stdout);  // the HSM's personal_sign
    const attached = await h.run(['tx', 'attach', '--sig', sig], { input: object.stdout });
    assert.equal(attached.code, 0, attached.stderr);
    const wire = JSON.parse(attached.stdout);
    assert.equal(wire.sig, sig);
    const verified = await h.run(['tx', 'verify', '--json'], { input: attached.stdout });
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(JSON.parse(verified.stdout).id, ethers.keccak256(ethers.toUtf8Bytes(expected)));
    const other = h.randomWallet(random).signMessageSync(text.stdout);
    const refused = await h.run(['tx', 'attach', '--sig', other], { input: object.stdout });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /signer-mismatch/);
  });
});

test('key files written by ethers open in OneBill', async () => {
  const directory = h.temporaryDirectory();
  try {
    const cases = Array.from({ length: 8 }, (_, i) => ({
      wallet: h.randomWallet(random),
      passphrase: i % 2 ? 'pass ' + random.hex(4) : 'Tr0ub4dor&3 ' + i,
    }));
    await h.mapLimited(cases, 4, async (c, i) => {
      const file = path.join(directory, 'ethers' + i + '.json');
      h.writePrivate(file, await ethers.encryptKeystoreJson(
        { address: c.wallet.address, privateKey: c.wallet.privateKey }, c.passphrase, { scrypt: { N: 1024 } }));
      const shown = await h.run(['key', 'show', file], { env: { ONEBILL_PASSPHRASE: c.passphrase } });
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(shown.stdout, c.wallet.address + '\n');
      const wrong = await h.run(['key', 'show', file], { env: { ONEBILL_PASSPHRASE: c.passphrase + '!' } });
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr, /wrong-passphrase/);
    });
    // ethers' default cost (scrypt n = 2^17), once.
    const wallet = h.randomWallet(random);
    const file = path.join(directory, 'ethers-default.json');
    h.writePrivate(file, await wallet.encrypt('default cost'));
    const passphraseFile = path.join(directory, 'passphrase');
    h.writePrivate(passphraseFile, 'default cost\n');
    const shown = await h.run(['key', 'show', file, '--passphrase-file', passphraseFile]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, wallet.address + '\n');
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});

test('key files written by OneBill open in ethers', async () => {
  const directory = h.temporaryDirectory();
  try {
    const created = path.join(directory, 'new.json');
    const made = await h.run(['key', 'new', '--out', created], { env: { ONEBILL_PASSPHRASE: 'onebill new' } });
    assert.equal(made.code, 0, made.stderr);
    assert.equal((fs.statSync(created).mode & 0o777), 0o600);
    const opened = await ethers.Wallet.fromEncryptedJson(fs.readFileSync(created, 'utf8'), 'onebill new');
    assert.equal(made.stdout, opened.address + '\n');

    const imported = path.join(directory, 'imported.json');
    const wallet = h.randomWallet(random);
    const made2 = await h.run(['key', 'import', '--out', imported], {
      input: wallet.privateKey.slice(2) + '\n', env: { ONEBILL_PASSPHRASE: 'onebill import ✓' },
    });
    assert.equal(made2.code, 0, made2.stderr);
    assert.equal(made2.stdout, wallet.address + '\n');
    const opened2 = await ethers.Wallet.fromEncryptedJson(fs.readFileSync(imported, 'utf8'), 'onebill import ✓');
    assert.equal(opened2.privateKey, wallet.privateKey);
    await assert.rejects(ethers.Wallet.fromEncryptedJson(fs.readFileSync(imported, 'utf8'), 'wrong'));

    const again = await h.run(['key', 'new', '--out', created], { env: { ONEBILL_PASSPHRASE: 'x' } });
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /key-file-exists/);
    fs.chmodSync(created, 0o644);
    const open = await h.run(['key', 'show', created], { env: { ONEBILL_PASSPHRASE: 'onebill new' } });
    assert.notEqual(open.code, 0);
    assert.match(open.stderr, /key-file-permissions/);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
});
