// Every `onebill` command a carrier, bank, trader, customs officer or admin uses against a node (issue 5
// item 1), run as the real binary against one node: each bill action, leg record, governance, and the
// reads with their human output and --json; errors name the broken rule and what to do.
// (issue, transfer-owners, surrender, accept-surrender, participant show, doc and key commands are also
// driven by documents.test.js and the conformance suite.)
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { execFile } = require('node:child_process');
const { ethers } = require('ethers');
const { BIN, initHome, startNode } = require('./lib/onebill');

let home;
let node;
let env;

// Runs `onebill ARGS`; resolves {code, stdout, stderr}.
function onebill(args) {
  return new Promise((resolve) => {
    execFile(BIN, args, { env, timeout: 60000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}
async function run(args) {
  const result = await onebill(args);
  assert.equal(result.code, 0, `onebill ${args.join(' ')}\n${result.stderr}${result.stdout}`);
  return result.stdout;
}
async function committed(args) {
  const out = await run(args);
  assert.match(out, / committed at height \d+/, `onebill ${args.join(' ')}: ${out}`);
  return out;
}
async function refused(args, rule) {
  const result = await onebill(args);
  assert.notEqual(result.code, 0, `onebill ${args.join(' ')} should fail`);
  assert.match(result.stderr, new RegExp(`\\b${rule}\\b`), `onebill ${args.join(' ')}: ${result.stderr}`);
  return result.stderr;
}
const newId = () => '0x' + crypto.randomBytes(32).toString('hex');
const addressOf = (name) => JSON.parse(fs.readFileSync(`${home.dir}/keys/${name}.json`, 'utf8')).address;
const x = newId();

before(async () => {
  home = initHome();
  node = await startNode(home, { blockIntervalMs: 20 });
  env = { ...process.env, ONEBILL_HOME: home.dir, ONEBILL_NODE: `http://127.0.0.1:${node.port}` };
});

after(async () => {
  if (node) await node.stop();
  if (home) fs.rmSync(home.dir, { recursive: true, force: true });
});

test('a to-order bill passes through every action of the CLI', async () => {
  await committed(['bill', 'issue', '--id', x, '--reference', 'CLI-X', '--to-order', '--holder', 'shipper',
    '--beneficiary', 'shipper', '--leg', 'RAIL,carrier-rail,CNCKG,CNQZH', '--leg', 'SEA,carrier-sea,CNQZH,SGSIN',
    '--as', 'carrier-sea']);
  await committed(['bill', 'nominate', x, '--nominee', 'consignee', '--as', 'shipper']);
  await committed(['bill', 'nominate', x, '--cancel', '--as', 'shipper']);
  await committed(['bill', 'transfer', x, '--to', 'consignee', '--as', 'shipper']);
  await committed(['bill', 'reject-transfer', x, '--as', 'consignee']);
  await committed(['bill', 'endorse', x, '--to', 'consignee', '--as', 'shipper', '--remark', 'sold FOB']);
  await committed(['bill', 'reject-transfer', x, '--as', 'consignee']);
  await committed(['bill', 'blank-endorse', x, '--as', 'shipper']);
  await committed(['bill', 'pledge', x, '--bank', 'bank', '--reference', 'LOAN-9', '--as', 'shipper']);
  const pledged = await run(['bill', 'find', '--pledgee', 'bank', '--as', 'bank']);
  assert.match(pledged, new RegExp(x));
  assert.match(pledged, /pledged to .* \(reference LOAN-9\)/);
  await committed(['bill', 'release', x, '--as', 'bank']);
  await committed(['bill', 'pledge', x, '--bank', 'bank', '--reference', 'LOAN-10', '--as', 'shipper']);
  await committed(['bill', 'enforce', x, '--as', 'bank']);
  await committed(['leg', 'record', x, '--leg', '0', '--event', 'RECEIVED', '--location', 'CNCKG',
    '--time', '2026-03-01T08:00:00.000Z', '--conveyance', 'X8012', '--as', 'carrier-rail']);
  await committed(['bill', 'surrender', x, '--purpose', 'AMENDMENT', '--reason', 'COD', '--as', 'bank']);
  await committed(['bill', 'withdraw-surrender', x, '--as', 'bank']);
  await committed(['bill', 'surrender', x, '--purpose', 'AMENDMENT', '--reason', 'COD', '--as', 'bank']);
  await committed(['bill', 'reject-surrender', x, '--remark', 'no change of destination this week', '--as', 'carrier-sea']);
  await committed(['bill', 'surrender', x, '--purpose', 'AMENDMENT', '--reason', 'COD', '--as', 'bank']);
  await committed(['bill', 'accept-surrender', x, '--as', 'carrier-sea']);
  const control = JSON.parse(await run(['bill', 'control', x, '--json']));
  assert.equal(control.status, 'VOIDED');

  // The amended bill: to Jakarta instead of Singapore, held by the bank.
  const y = newId();
  const bills = [{ id: y, reference: 'CLI-Y', kind: 'BOL', to_order: true, legs: [
    { mode: 'RAIL', carrier: addressOf('carrier-rail'), from: 'CNCKG', to: 'CNQZH' },
    { mode: 'SEA', carrier: addressOf('carrier-sea'), from: 'CNQZH', to: 'IDJKT' }] }];
  await committed(['bill', 'reissue', '--replaces', x, '--bills', JSON.stringify(bills), '--as', 'carrier-sea']);
  const shown = await run(['bill', 'show', y]);
  assert.match(shown, /reference: CLI-Y/);
  const legs = JSON.parse(await run(['bill', 'legs', y, '--json']));
  assert.equal(legs.legs[0].events[0].event, 'RECEIVED', 'the leg event was carried over');
  const history = await run(['bill', 'history', x]);
  for (const line of ['bill.issue (ISSUE)', 'bill.endorse (ENDORSE_TO_ORDER)', 'bill.blank_endorse (BLANK_ENDORSE)',
    'bill.accept_surrender (SACC)', 'bill.reject_surrender (SREJ)', 'leg.record', 'Beibu Gulf Sea Lines (demo)']) {
    assert.ok(history.includes(line), `history lacks ${line}:\n${history}`);
  }
});

test('reads: status, block, find and events, for people and with --json', async () => {
  const status = await run(['status']);
  assert.match(status, new RegExp(`chain: ${home.chain}`));
  const block = JSON.parse(await run(['block', '1', '--json']));
  assert.equal(block.height, 1);
  const arriving = await run(['bill', 'find', '--to', 'IDJKT', '--as', 'customs']);
  assert.match(arriving, /CLI-Y/);
  assert.match(arriving, /route CNCKG -RAIL-> CNQZH -SEA-> IDJKT/);
  // On the node's machine the CLI is the operator's and sees every bill (tests/e2e/api.test.js checks
  // what a participant sees from elsewhere).
  const none = await run(['bill', 'find', '--to', 'USNYC', '--as', 'shipper']);
  assert.match(none, /no bills found/);
  const found = JSON.parse(await run(['bill', 'find', '--issuer', 'carrier-sea', '--reference', 'CLI-Y', '--json']));
  assert.equal(found.bills.length, 1);
  const page = JSON.parse(await run(['bill', 'find', '--status', 'ISSUED', '--limit', '1', '--json']));
  assert.equal(page.bills.length, 1);

  const events = await run(['events', '--as', 'shipper']);
  assert.match(events, /events naming 0x/);
  assert.match(events, /bill\.pledge/);
  assert.match(events, /next: --after [0-9a-f]+/);
  const cursor = JSON.parse(await run(['events', '--as', 'shipper', '--json'])).next;
  const started = Date.now();
  const quiet = await run(['events', '--as', 'shipper', '--after', cursor, '--wait-ms', '300']);
  assert.match(quiet, /\(none new\)/);
  assert.ok(Date.now() - started >= 250);
  const forCustoms = JSON.parse(await run(['events', '--party', 'shipper', '--as', 'customs', '--json']));
  assert.ok(forCustoms.events.length > 3);
});

test('governance: an admin proposes (and with one admin, it executes) and approvals are checked', async () => {
  const newcomer = ethers.Wallet.createRandom().address;
  const args = JSON.stringify({ address: newcomer, name: 'Jakarta Forwarders', roles: ['TRADER'], domain: 'jkt.example' });
  const proposed = JSON.parse(await run(['gov', 'propose', '--action', 'participant.admit', '--args', args,
    '--expires-height', '100000', '--as', 'admin', '--json']));
  assert.equal(proposed.status, 'committed');
  const shown = JSON.parse(await run(['participant', 'show', newcomer, '--json']));
  assert.equal(shown.name, 'Jakarta Forwarders');
  const stderr = await refused(['gov', 'approve', proposed.id, '--as', 'admin'], '(already-approved|unknown-proposal|proposal-expired)');
  assert.match(stderr, /\/v1\/problems\//, 'says where the rule is explained');
});

test('errors name the broken rule and say what to do', async () => {
  const stderr = await refused(['bill', 'transfer', x, '--to', 'consignee', '--as', 'shipper'], '(bill-status|not-permitted)');
  assert.match(stderr, /^refused: bill\.transfer_holder: /m);
  assert.match(await refused(['bill', 'find', '--as', 'shipper'], 'invalid-argument'), /--holder/);
  assert.match(await refused(['bill', 'find', '--status', 'LOST', '--as', 'customs'], 'wrong-type'), /ISSUED/);
  assert.match(await refused(['bill', 'pledge', x, '--bank', 'bank', '--reference', 'L', '--as', 'nobody'], '[a-z-]+'), /nobody/);
  assert.match(await refused(['events', '--party', '0x123', '--as', 'shipper'], 'wrong-type|address-checksum'), /party/);
  const offline = await onebill(['status', '--node', 'http://127.0.0.1:1']);
  assert.notEqual(offline.code, 0);
  assert.match(offline.stderr, /node-unreachable: .*is it running\?/);
});
