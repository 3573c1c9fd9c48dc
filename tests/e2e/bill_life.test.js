// The whole life of a multimodal bill, driven over HTTP against the real binary and signed with ethers
// (issue 3 item 6): rail leg Chongqing (CNCKG) -> Qinzhou (CNQZH) by carrier-rail, sea leg Qinzhou ->
// Singapore (SGSIN) by carrier-sea, the issuer; issue to the shipper; the rail leg to HANDED_OVER and the
// sea leg to ARRIVED; pledge to the bank and release; both roles to the consignee; surrender for delivery
// and its acceptance; the sea carrier records delivery. Plus the refusals along the way.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { initHome, startNode, request, Party } = require('./lib/onebill');

const t0 = Date.parse('2026-03-01T08:00:00.000Z');
const at = (hours) => new Date(t0 + hours * 3600 * 1000).toISOString();

test('a multimodal bill lives from issue to delivery, and every broken rule is refused', async (t) => {
  const home = initHome();
  const node = await startNode(home, { blockIntervalMs: 50 });
  t.after(async () => {
    await node.stop();
    fs.rmSync(home.dir, { recursive: true, force: true });
  });

  const rail = new Party(node, home, 'carrier-rail');
  const sea = new Party(node, home, 'carrier-sea');
  const shipper = new Party(node, home, 'shipper');
  const consignee = new Party(node, home, 'consignee');
  const bank = new Party(node, home, 'bank');

  const status = await request(node.port, 'GET', '/v1/status');
  assert.equal(status.status, 200);
  assert.equal(status.body.chain, home.chain);
  assert.equal(status.body.rules_version, 1);
  assert.equal(status.body.height, 0);
  assert.match(status.body.registry, /^0x[0-9a-fA-F]{40}$/);
  assert.equal(status.body.validators.length, 1);

  const billId = '0x' + crypto.randomBytes(32).toString('hex');
  const committed = (res, what) => {
    assert.equal(res.status, 200, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.status, 'committed', what);
    assert.ok(res.body.height >= 1, what);
    assert.match(res.body.block_hash, /^0x[0-9a-f]{64}$/, what);
  };
  const refused = (res, statusCode, rule, what) => {
    assert.equal(res.status, statusCode, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.headers['content-type'], 'application/problem+json', what);
    assert.equal(res.body.type, `/v1/problems/${rule}`, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.status, statusCode, what);
  };
  const control = async () => (await request(node.port, 'GET', `/v1/bills/${billId}/control`)).body;

  // Issue: carrier-sea issues a to-order BOL to the shipper, covering rail and sea.
  const issue = await sea.send('bill.issue', {
    id: billId,
    reference: 'OB-CKG-SIN-0001',
    kind: 'BOL',
    to_order: true,
    holder: shipper.address,
    beneficiary: shipper.address,
    legs: [
      { mode: 'RAIL', carrier: rail.address, from: 'CNCKG', to: 'CNQZH' },
      { mode: 'SEA', carrier: sea.address, from: 'CNQZH', to: 'SGSIN' },
    ],
  });
  committed(issue, 'issue');
  let bill = (await request(node.port, 'GET', `/v1/bills/${billId}`)).body;
  assert.equal(bill.status, 'ISSUED');
  assert.equal(bill.issuer, sea.address);
  assert.equal(bill.holder, shipper.address);

  // The transaction is found by id, committed, with its block.
  const byId = await request(node.port, 'GET', `/v1/tx/${issue.id}`);
  assert.equal(byId.status, 200);
  assert.equal(byId.body.status, 'committed');
  assert.equal(byId.body.height, issue.body.height);
  const block = await request(node.port, 'GET', `/v1/blocks/${issue.body.height}`);
  assert.equal(block.status, 200);
  assert.equal(block.body.hash, issue.body.block_hash);
  assert.equal(block.body.commit.precommits.length, 1);

  // Rail leg to HANDED_OVER by carrier-rail.
  const leg = (party, index, event, location, hours) =>
    party.send('leg.record', { bill: billId, leg: index, event, location, time: at(hours), conveyance: index === 0 ? 'X8012' : 'MV BEIBU STAR 026E' });
  committed(await leg(rail, 0, 'RECEIVED', 'CNCKG', 0), 'rail RECEIVED');
  committed(await leg(rail, 0, 'DEPARTED', 'CNCKG', 2), 'rail DEPARTED');
  committed(await leg(rail, 0, 'ARRIVED', 'CNQZH', 40), 'rail ARRIVED');
  committed(await leg(rail, 0, 'HANDED_OVER', 'CNQZH', 42), 'rail HANDED_OVER');
  // Sea leg to ARRIVED by carrier-sea.
  committed(await leg(sea, 1, 'RECEIVED', 'CNQZH', 43), 'sea RECEIVED');
  committed(await leg(sea, 1, 'DEPARTED', 'CNQZH', 50), 'sea DEPARTED');
  committed(await leg(sea, 1, 'ARRIVED', 'SGSIN', 170), 'sea ARRIVED');
  const legs = (await request(node.port, 'GET', `/v1/bills/${billId}/legs`)).body.legs;
  assert.deepEqual(legs[0].events.map((e) => e.event), ['RECEIVED', 'DEPARTED', 'ARRIVED', 'HANDED_OVER']);
  assert.deepEqual(legs[1].events.map((e) => e.event), ['RECEIVED', 'DEPARTED', 'ARRIVED']);

  // Delivery before surrender is refused.
  refused(await leg(sea, 1, 'HANDED_OVER', 'SGSIN', 172), 409, 'not-surrendered', 'delivery before surrender');

  // Pledge to the bank.
  committed(await shipper.send('bill.pledge', { bill: billId, bank: bank.address, reference: 'LC-2026-0042' }), 'pledge');
  let c = await control();
  assert.equal(c.possessor, bank.address);
  assert.equal(c.pledge.bank, bank.address);
  assert.equal(c.pledge.pledgor, shipper.address);
  assert.ok(c.height >= 1);
  assert.match(c.block_hash, /^0x[0-9a-f]{64}$/);

  // Refusals while pledged: a second pledge, a transfer by a non-holder, a transfer while pledged.
  const second = await bank.send('bill.pledge', { bill: billId, bank: bank.address, reference: 'LC-2026-0043' });
  assert.equal(second.status, 409, `second pledge: ${JSON.stringify(second.body)}`);
  assert.ok(['bill-pledged', 'not-entitled', 'same-party'].includes(second.body.rule), `second pledge: ${second.body.rule}`);
  refused(await shipper.send('bill.transfer_holder', { bill: billId, to: consignee.address }), 403, 'not-permitted',
    'transfer by a non-holder');
  refused(await bank.send('bill.transfer_holder', { bill: billId, to: consignee.address }), 409, 'bill-pledged',
    'transfer while pledged');
  c = await control();
  assert.equal(c.possessor, bank.address, 'refusals change nothing');

  // Release; then both roles to the consignee.
  committed(await bank.send('bill.release', { bill: billId }), 'release');
  c = await control();
  assert.equal(c.possessor, shipper.address);
  assert.equal(c.pledge, undefined);
  committed(await shipper.send('bill.transfer_owners', { bill: billId, beneficiary: consignee.address, holder: consignee.address }),
    'transfer of both roles');
  c = await control();
  assert.equal(c.possessor, consignee.address);
  assert.equal(c.title_holder, consignee.address);

  // Surrender for delivery and its acceptance by the issuer.
  committed(await consignee.send('bill.surrender', { bill: billId, purpose: 'DELIVERY' }), 'surrender');
  assert.equal((await control()).status, 'PENDING_SURRENDER');
  committed(await sea.send('bill.accept_surrender', { bill: billId }), 'accept surrender');
  assert.equal((await control()).status, 'SURRENDERED');

  // Any bill.* action after acceptance is refused.
  const after = await consignee.send('bill.transfer_holder', { bill: billId, to: shipper.address });
  assert.equal(after.status, 409, `bill.* after acceptance: ${JSON.stringify(after.body)}`);
  assert.equal(after.body.rule, 'bill-status');
  const afterSurrender = await consignee.send('bill.surrender', { bill: billId, purpose: 'DELIVERY' });
  assert.equal(afterSurrender.status, 409);

  // The sea carrier records delivery: accepted after the surrender.
  committed(await leg(sea, 1, 'HANDED_OVER', 'SGSIN', 172), 'delivery');

  // A replayed transaction is refused and changes nothing.
  const heightBefore = (await request(node.port, 'GET', '/v1/status')).body.height;
  const replay = await request(node.port, 'POST', '/v1/tx?wait=commit', { body: issue.tx });
  refused(replay, 409, 'nonce-used', 'replayed transaction');
  assert.equal(replay.body.stage, 'admission');
  assert.equal((await request(node.port, 'GET', '/v1/status')).body.height, heightBefore);

  // The history tells the story in order, with registered names.
  const history = (await request(node.port, 'GET', `/v1/bills/${billId}/history`)).body.entries;
  const actions = history.map((e) => e.action);
  assert.equal(actions[0], 'bill.issue');
  for (const action of ['bill.pledge', 'bill.release', 'bill.transfer_owners', 'bill.surrender', 'bill.accept_surrender']) {
    assert.ok(actions.includes(action), `history has ${action}: ${actions.join(', ')}`);
  }
  assert.ok(history.every((e) => typeof e.signer_name === 'string'));
  bill = (await request(node.port, 'GET', `/v1/bills/${billId}`)).body;
  assert.equal(bill.status, 'SURRENDERED');
  assert.equal(bill.legs[1].events.at(-1).event, 'HANDED_OVER');

  // Nonces: committed and pending agree when nothing waits.
  const participant = await request(node.port, 'GET', `/v1/participants/${sea.address}`);
  assert.equal(participant.status, 200);
  assert.equal(participant.body.next_nonce, sea.nonce);
  assert.equal(participant.body.pending_nonce, sea.nonce);
  assert.equal((await request(node.port, 'GET', `/v1/tx/0x${'ab'.repeat(32)}`)).status, 404);
});
