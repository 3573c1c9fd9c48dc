// Documents bound to the ledger (issue 4), through the real CLI and a real node: a OneBill-wrapped bill
// issued with `bill issue --doc` verifies VALID on all three fragments through the node, turns INVALID
// (BILL_SURRENDERED) once its surrender is accepted; a document that disagrees with the ledger is INVALID
// (LEDGER_MISMATCH); an unknown one BILL_NOT_ISSUED; a tampered one fails integrity; and bill issue --doc
// refuses a document whose issuer is not the signer.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { BIN, initHome, startNode } = require('./lib/onebill');

function cli(home, node, args) {
  const result = spawnSync(BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, ONEBILL_HOME: home.dir, ONEBILL_NODE: `http://127.0.0.1:${node.port}` },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(result, what) {
  assert.equal(result.code, 0, `${what}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

function verify(home, node, file) {
  const result = cli(home, node, ['doc', 'verify', file, '--json']);
  const line = JSON.parse(result.stdout.trim().split('\n').pop());
  const byType = {};
  for (const fragment of line.fragments) {
    if (fragment.status !== 'SKIPPED') byType[fragment.type] = fragment;
  }
  return { code: result.code, line, byType };
}

test('a wrapped bill verifies through the node, and mismatch, surrender and tampering are shown', async (t) => {
  const home = initHome();
  const node = await startNode(home, { blockIntervalMs: 50 });
  t.after(async () => {
    await node.stop();
    fs.rmSync(home.dir, { recursive: true, force: true });
  });
  const run = (args, what) => ok(cli(home, node, args), what);
  const chain = home.chain;
  const rail = run(['key', 'show', path.join(home.dir, 'keys', 'carrier-rail.json')], 'key show').trim();
  const sea = run(['key', 'show', path.join(home.dir, 'keys', 'carrier-sea.json')], 'key show').trim();
  const profile = JSON.parse(run(['participant', 'show', 'carrier-rail', '--json'], 'participant show'));

  const wrapped = (reference) => {
    const raw = path.join(home.dir, `${reference}.raw.json`);
    fs.writeFileSync(raw, run(['doc', 'template', '--chain', chain, '--issuer', rail, '--sea-carrier', sea,
      '--name', profile.name, '--domain', profile.domain, '--reference', reference], 'template'));
    const file = path.join(home.dir, `${reference}.json`);
    fs.writeFileSync(file, run(['doc', 'wrap', raw], 'wrap'));
    return { file, id: '0x' + JSON.parse(fs.readFileSync(file, 'utf8')).signature.merkleRoot };
  };

  // Issued from the document: all three fragments VALID through the node.
  const bill = wrapped('CKGSIN-E2E-1');
  run(['bill', 'issue', '--doc', bill.file, '--holder', 'shipper', '--as', 'carrier-rail'], 'issue --doc');
  let verdict = verify(home, node, bill.file);
  assert.equal(verdict.code, 0, JSON.stringify(verdict.line));
  assert.equal(verdict.byType.DOCUMENT_INTEGRITY.status, 'VALID');
  assert.equal(verdict.byType.DOCUMENT_STATUS.status, 'VALID');
  assert.equal(verdict.byType.ISSUER_IDENTITY.status, 'VALID');

  // Not on the ledger: BILL_NOT_ISSUED.
  const unknown = wrapped('CKGSIN-E2E-2');
  verdict = verify(home, node, unknown.file);
  assert.equal(verdict.code, 1);
  assert.equal(verdict.byType.DOCUMENT_STATUS.reason.codeString, 'BILL_NOT_ISSUED');

  // On the ledger with other terms than the document's onebill block: LEDGER_MISMATCH.
  const other = wrapped('CKGSIN-E2E-3');
  run(['bill', 'issue', '--id', other.id, '--reference', 'OTHER-REF', '--to-order', '--holder', 'shipper',
    '--leg', `RAIL,${rail},CNCKG,CNQZH`, '--leg', `SEA,${sea},CNQZH,SGSIN`, '--as', 'carrier-rail'], 'issue by id');
  verdict = verify(home, node, other.file);
  assert.equal(verdict.code, 1);
  assert.equal(verdict.byType.DOCUMENT_STATUS.reason.codeString, 'LEDGER_MISMATCH');

  // A changed field: integrity INVALID.
  const tampered = path.join(home.dir, 'tampered.json');
  const document = JSON.parse(fs.readFileSync(bill.file, 'utf8'));
  const text = JSON.stringify(document).replace('CKGSIN-E2E-1', 'CKGSIN-E2E-9');
  assert.notEqual(text, JSON.stringify(document));
  fs.writeFileSync(tampered, text);
  verdict = verify(home, node, tampered);
  assert.equal(verdict.code, 1);
  assert.equal(verdict.byType.DOCUMENT_INTEGRITY.status, 'INVALID');

  // Only the issuer named in the document may issue it.
  const foreign = wrapped('CKGSIN-E2E-4');
  const refused = cli(home, node, ['bill', 'issue', '--doc', foreign.file, '--holder', 'shipper', '--as', 'carrier-sea']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /not-permitted/);

  // Surrender for delivery, accepted: BILL_SURRENDERED.
  run(['bill', 'transfer-owners', bill.id, '--holder', 'consignee', '--beneficiary', 'consignee', '--as', 'shipper'], 'owners');
  run(['bill', 'surrender', bill.id, '--purpose', 'DELIVERY', '--as', 'consignee'], 'surrender');
  run(['bill', 'accept-surrender', bill.id, '--as', 'carrier-rail'], 'accept');
  verdict = verify(home, node, bill.file);
  assert.equal(verdict.code, 1);
  assert.equal(verdict.byType.DOCUMENT_STATUS.reason.codeString, 'BILL_SURRENDERED');

  // The node unreachable: integrity checked locally, the ledger's fragments ERROR, exit 2.
  await node.stop();
  verdict = verify(home, node, bill.file);
  assert.equal(verdict.code, 2);
  assert.equal(verdict.byType.DOCUMENT_INTEGRITY.status, 'VALID');
  assert.equal(verdict.byType.DOCUMENT_STATUS.status, 'ERROR');
});
