// The HTTP API of issue 5 against the real binary, one node for the whole file: searches and the event
// feed with who may see what (DESIGN §7: signed reads from a non-operator address, 127.0.0.2; a
// participant sees only its own bills; CUSTOMS and the loopback operator see all), the long-poll,
// pagination, /metrics on loopback only, every OpenAPI operation answering as documented, and the error
// table's statuses that a client can provoke.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const { ethers } = require('ethers');
const { initHome, startNode, request, Party, remoteGet, readAuthorization, signingText } = require('./lib/onebill');

let home;
let node;
let p; // parties by name
const bills = {}; // name -> {id, issue (the issue answer)}
const problemTypes = new Set();

const newId = () => '0x' + crypto.randomBytes(32).toString('hex');
const at = (hours) => new Date(Date.parse('2026-03-01T08:00:00.000Z') + hours * 3600e3).toISOString();

function ok(res, what) {
  assert.ok(res.status === 200 || res.status === 202, `${what}: ${res.status} ${res.text}`);
  return res;
}
function problem(res, status, rule, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.headers['content-type'], 'application/problem+json', what);
  if (rule) assert.equal(res.body.type, `/v1/problems/${rule}`, `${what}: ${res.text}`);
  problemTypes.add(res.body.type);
}
const ids = (res) => res.body.bills.map((bill) => bill.id);

before(async () => {
  home = initHome();
  node = await startNode(home, { blockIntervalMs: 20 });
  p = {};
  for (const name of ['carrier-rail', 'carrier-sea', 'shipper', 'consignee', 'bank', 'customs', 'admin']) {
    p[name] = new Party(node, home, name);
  }
  const issue = async (name, issuer, body) => {
    const id = newId();
    const res = ok(await p[issuer].send('bill.issue', { id, ...body }), `issue ${name}`);
    assert.equal(res.body.status, 'committed', `issue ${name}`);
    bills[name] = { id, issue: res };
  };
  const rail = p['carrier-rail'].address;
  const sea = p['carrier-sea'].address;
  // A: Chongqing -> Singapore by rail and sea, to order of the shipper, then pledged to the bank.
  await issue('A', 'carrier-sea', {
    reference: 'API-A', kind: 'BOL', to_order: true, holder: p.shipper.address, beneficiary: p.shipper.address,
    legs: [{ mode: 'RAIL', carrier: rail, from: 'CNCKG', to: 'CNQZH' }, { mode: 'SEA', carrier: sea, from: 'CNQZH', to: 'SGSIN' }],
  });
  ok(await p.shipper.send('bill.pledge', { bill: bills.A.id, bank: p.bank.address, reference: 'LOAN-1' }), 'pledge A');
  // B: a rail sea waybill to the consignee, Chongqing -> Qinzhou.
  await issue('B', 'carrier-rail', {
    reference: 'API-B', kind: 'SWB', to_order: false, holder: p.consignee.address, beneficiary: p.consignee.address,
    legs: [{ mode: 'RAIL', carrier: rail, from: 'CNCKG', to: 'CNQZH' }],
  });
  // C: Qinzhou -> Singapore by sea, to order of the consignee.
  await issue('C', 'carrier-sea', {
    reference: 'API-C', kind: 'BOL', to_order: true, holder: p.consignee.address, beneficiary: p.consignee.address,
    legs: [{ mode: 'SEA', carrier: sea, from: 'CNQZH', to: 'SGSIN' }],
  });
});

after(async () => {
  if (node) await node.stop();
  if (home) fs.rmSync(home.dir, { recursive: true, force: true });
});

test('a participant searching from another address sees only the bills it is or was party to', async () => {
  const toSingapore = '/v1/bills?to=SGSIN';
  assert.deepEqual(ids(await remoteGet(node.port, toSingapore, p.shipper.wallet)), [bills.A.id]);
  assert.deepEqual(ids(await remoteGet(node.port, toSingapore, p.consignee.wallet)), [bills.C.id]);
  assert.deepEqual(ids(await remoteGet(node.port, toSingapore, p['carrier-rail'].wallet)), [bills.A.id], 'a leg carrier');
  assert.deepEqual(ids(await remoteGet(node.port, '/v1/bills?to=CNQZH', p.shipper.wallet)), []);
  assert.deepEqual(ids(await remoteGet(node.port, `/v1/bills?holder=${p.consignee.address}`, p.shipper.wallet)), []);
  // A party it was: a nominee the beneficiary named and then cancelled is in the bill's history only.
  ok(await p.consignee.send('bill.nominate', { bill: bills.C.id, nominee: p.shipper.address }), 'nominate');
  ok(await p.consignee.send('bill.nominate', { bill: bills.C.id, nominee: null }), 'cancel nomination');
  assert.deepEqual(ids(await remoteGet(node.port, toSingapore, p.shipper.wallet)), [bills.C.id, bills.A.id]);
});

test('CUSTOMS and the loopback operator see every bill; newest issue first', async () => {
  assert.deepEqual(ids(await remoteGet(node.port, '/v1/bills?to=SGSIN', p.customs.wallet)), [bills.C.id, bills.A.id]);
  const operator = await request(node.port, 'GET', '/v1/bills?status=ISSUED');
  assert.equal(operator.status, 200);
  assert.deepEqual(ids(operator), [bills.C.id, bills.B.id, bills.A.id]);
  assert.equal(typeof operator.body.valid_at.height, 'number');
});

test('the bank finds the bills pledged to it, and searches combine', async () => {
  const pledged = await remoteGet(node.port, `/v1/bills?pledgee=${p.bank.address}`, p.bank.wallet);
  assert.deepEqual(ids(pledged), [bills.A.id]);
  assert.equal(pledged.body.bills[0].pledge.reference, 'LOAN-1');
  const issuerAndReference = await request(node.port, 'GET', `/v1/bills?issuer=${p['carrier-sea'].address}&reference=API-C`);
  assert.deepEqual(ids(issuerAndReference), [bills.C.id]);
  const combined = await request(node.port, 'GET', `/v1/bills?carrier=${p['carrier-rail'].address}&to=SGSIN`);
  assert.deepEqual(ids(combined), [bills.A.id]);
});

test('a search pages with an opaque next cursor', async () => {
  const seen = [];
  let target = '/v1/bills?status=ISSUED&limit=1';
  for (let pages = 0; pages < 10; pages++) {
    const res = await remoteGet(node.port, target, p.customs.wallet);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.bills.length <= 1);
    seen.push(...ids(res));
    if (!res.body.next) break;
    target = `/v1/bills?status=ISSUED&limit=1&after=${res.body.next}`;
  }
  assert.deepEqual(seen, [bills.C.id, bills.B.id, bills.A.id]);
  problem(await request(node.port, 'GET', '/v1/bills?status=ISSUED&after=zz'), 400, 'wrong-type', 'a forged cursor');
  problem(await request(node.port, 'GET', '/v1/bills?status=ISSUED&limit=1001'), 400, 'bad-request', 'limit > 1000');
  problem(await request(node.port, 'GET', '/v1/bills?holders=0x00'), 400, 'bad-request', 'an unknown parameter');
  problem(await request(node.port, 'GET', '/v1/bills'), 400, 'bad-request', 'no search');
  problem(await request(node.port, 'GET', '/v1/bills?status=LOST'), 400, 'wrong-type', 'an unknown status');
  problem(await request(node.port, 'GET', '/v1/bills?reference=API-C'), 400, 'bad-request', 'reference without issuer');
  const badChecksum = p.shipper.address.slice(0, 2) + p.shipper.address.slice(2).split('').map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
  if (/[a-fA-F]/.test(badChecksum.slice(2)) && badChecksum !== badChecksum.toLowerCase()) {
    problem(await request(node.port, 'GET', `/v1/bills?holder=${badChecksum}`), 400, 'address-checksum', 'bad checksum');
  }
});

test('signed reads from a non-operator address: 401 without or with a bad authorization', async () => {
  const target = `/v1/bills?holder=${p.shipper.address}`;
  problem(await remoteGet(node.port, target), 401, 'unauthorized', 'no authorization');
  const otherTarget = await readAuthorization(p.shipper.wallet, 'GET', '/v1/bills?status=ISSUED');
  problem(await remoteGet(node.port, target, null, { headers: { authorization: otherTarget } }), 401, 'unauthorized', 'signed for another target');
  const stale = await readAuthorization(p.shipper.wallet, 'GET', target, Date.now() - 120000);
  problem(await remoteGet(node.port, target, null, { headers: { authorization: stale } }), 401, 'unauthorized', 'stale');
  problem(await remoteGet(node.port, target, null, { headers: { authorization: 'Bearer x' } }), 401, 'unauthorized', 'another scheme');
  for (const route of ['/v1/events', `/v1/tx/${bills.A.issue.id}`, `/v1/participants/${p.shipper.address}`]) {
    problem(await remoteGet(node.port, route), 401, 'unauthorized', route);
  }
  // Open routes answer anyone.
  for (const route of ['/v1/status', `/v1/bills/${bills.A.id}`, `/v1/bills/${bills.A.id}/history`, `/v1/bills/${bills.A.id}/legs`,
    `/v1/bills/${bills.A.id}/control`, '/v1/openapi.json', '/v1/problems/nonce-gap']) {
    assert.equal((await remoteGet(node.port, route)).status, 200, route);
  }
});

test('a participant reads its own transactions; another one\'s is a 404; CUSTOMS reads all', async () => {
  const own = await remoteGet(node.port, `/v1/tx/${bills.B.issue.id}`, p['carrier-rail'].wallet);
  assert.equal(own.status, 200, own.text);
  assert.equal(own.body.status, 'committed');
  assert.equal(own.body.from, p['carrier-rail'].address);
  problem(await remoteGet(node.port, `/v1/tx/${bills.B.issue.id}`, p.shipper.wallet), 404, 'not-found', "another's transaction");
  assert.equal((await remoteGet(node.port, `/v1/tx/${bills.B.issue.id}`, p.customs.wallet)).status, 200);
});

test('block bodies: open headers, a participant\'s own transactions, everything for the operator', async () => {
  const height = bills.B.issue.body.height;
  const open = await remoteGet(node.port, `/v1/blocks/${height}`);
  assert.equal(open.status, 200);
  assert.equal(open.body.transactions, undefined);
  assert.ok(open.body.commit);
  const own = await remoteGet(node.port, `/v1/blocks/${height}`, p['carrier-rail'].wallet);
  assert.equal(own.body.transactions_filtered, true);
  assert.ok(own.body.transactions.length >= 1);
  assert.ok(own.body.transactions.every((tx) => tx.from === p['carrier-rail'].address));
  const stranger = await remoteGet(node.port, `/v1/blocks/${height}`, p.shipper.wallet);
  assert.deepEqual(stranger.body.transactions, []);
  const operator = await request(node.port, 'GET', `/v1/blocks/${height}`);
  assert.equal(operator.body.transactions.length, operator.body.transaction_count);
  // The operator's view holds the very transactions a participant sees of its own, signed as sent.
  for (const tx of own.body.transactions) assert.ok(operator.body.transactions.some((t) => JSON.stringify(t) === JSON.stringify(tx)));
  assert.ok(operator.body.transactions.every((tx) => /^0x[0-9a-f]{130}$/.test(tx.sig)));
  assert.equal(operator.body.hash, open.body.hash);
});

test('participant details: registered participants read the registry, a stranger only its own account', async () => {
  const read = await remoteGet(node.port, `/v1/participants/${p['carrier-sea'].address}`, p.shipper.wallet);
  assert.equal(read.status, 200);
  assert.equal(typeof read.body.pending_nonce, 'number');
  const stranger = ethers.Wallet.createRandom();
  problem(await remoteGet(node.port, `/v1/participants/${p.shipper.address}`, stranger), 403, 'not-permitted', 'stranger');
  problem(await remoteGet(node.port, `/v1/participants/${stranger.address}`, stranger), 404, 'not-found', 'own unused account');
});

test('events: a participant reads its own, CUSTOMS anyone\'s, and a long-poll wakes on a new block', async () => {
  const own = await remoteGet(node.port, '/v1/events', p.shipper.wallet);
  assert.equal(own.status, 200, own.text);
  assert.equal(own.body.party, p.shipper.address);
  const actions = own.body.events.map((event) => event.action);
  assert.ok(actions.includes('bill.issue') && actions.includes('bill.pledge'), actions.join());
  assert.ok(own.body.events.every((event) => event.signer === p.shipper.address || event.recipient === p.shipper.address ||
    JSON.stringify(event.details || {}).includes(p.shipper.address)));
  problem(await remoteGet(node.port, `/v1/events?party=${p.consignee.address}`, p.shipper.wallet), 403, 'not-permitted',
    "another party's events");
  const forCustoms = await remoteGet(node.port, `/v1/events?party=${p.shipper.address}`, p.customs.wallet);
  assert.deepEqual(forCustoms.body.events.map((e) => e.cursor), own.body.events.map((e) => e.cursor));
  problem(await request(node.port, 'GET', '/v1/events'), 400, 'bad-request', 'the operator names no party');
  problem(await request(node.port, 'GET', `/v1/events?party=${p.shipper.address}&wait_ms=30001`), 400, 'bad-request', 'wait too long');

  // Nothing new: a short wait returns empty, with the same cursor.
  const next = own.body.next;
  const started = Date.now();
  const empty = await remoteGet(node.port, `/v1/events?after=${next}&wait_ms=300`, p.shipper.wallet);
  assert.deepEqual(empty.body.events, []);
  assert.equal(empty.body.next, next);
  assert.ok(Date.now() - started >= 250, 'waited');

  // The bank releases the pledge while the shipper waits: the release names the pledgor.
  const waiting = remoteGet(node.port, `/v1/events?after=${next}&wait_ms=15000`, p.shipper.wallet);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const pollStarted = Date.now();
  ok(await p.bank.send('bill.release', { bill: bills.A.id }), 'release');
  const woke = await waiting;
  assert.equal(woke.status, 200);
  assert.deepEqual(woke.body.events.map((e) => e.action), ['bill.release']);
  assert.ok(Date.now() - pollStarted < 10000, 'the poll woke on the block, not its timeout');
});

test('at most 16 requests wait at once; the rest answer at once with the events so far', async () => {
  const party = p.admin.address; // names no event
  const started = Date.now();
  const polls = Array.from({ length: 20 }, () =>
    request(node.port, 'GET', `/v1/events?party=${party}&wait_ms=3000`).then((res) => ({ res, ms: Date.now() - started })));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const metrics = (await request(node.port, 'GET', '/metrics')).text;
  const answers = await Promise.all(polls);
  assert.ok(answers.every(({ res }) => res.status === 200 && res.body.events.length === 0));
  const atOnce = answers.filter(({ ms }) => ms < 2000).length;
  assert.equal(atOnce, 4, answers.map(({ ms }) => ms).join());
  assert.match(metrics, /^onebill_waiting_requests 16$/m);
});

test('/metrics answers the operator on loopback only, in the Prometheus text format', async () => {
  // A refused replay, so a refusal is counted.
  const replay = await request(node.port, 'POST', '/v1/tx', { body: bills.A.issue.tx });
  problem(replay, 409, 'nonce-used', 'replay');
  const res = await request(node.port, 'GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  for (const family of ['onebill_height', 'onebill_transactions_committed_total', 'onebill_mempool_transactions',
    'onebill_mempool_reapplications_total',
    'onebill_transactions_refused_total', 'onebill_waiting_requests', 'onebill_http_request_duration_seconds']) {
    assert.match(res.text, new RegExp(`^# TYPE ${family} `, 'm'), family);
  }
  const height = (await request(node.port, 'GET', '/v1/status')).body.height;
  assert.match(res.text, new RegExp(`^onebill_height ${height}$`, 'm'));
  assert.match(res.text, /^onebill_transactions_refused_total\{stage="admission",rule="nonce-used"\} [1-9]/m);
  assert.match(res.text, /^onebill_http_request_duration_seconds_bucket\{method="GET",route="\/v1\/status",le="\+Inf"\} [1-9]/m);
  problem(await remoteGet(node.port, '/metrics', p.customs.wallet), 403, 'not-permitted', 'metrics from elsewhere');
});

test('every OpenAPI operation answers as documented on a live node', async () => {
  const document = (await request(node.port, 'GET', '/v1/openapi.json')).body;
  assert.equal(document.openapi, '3.1.0');
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      let target = path;
      for (const parameter of operation.parameters || []) {
        if (parameter.in === 'path') target = target.replace(`{${parameter.name}}`, String(parameter.example));
      }
      assert.ok(!target.includes('{'), `${path}: every path parameter has an example`);
      const res = method === 'post'
        ? await request(node.port, 'POST', target, { body: {} })
        : await request(node.port, 'GET', target);
      assert.ok(Object.keys(operation.responses).includes(String(res.status)),
        `${method.toUpperCase()} ${target} answered ${res.status}, documented: ${Object.keys(operation.responses)}`);
      if (res.status >= 400) problem(res, res.status, null, `${method} ${target}`);
    }
  }
});

test('transactions refused by the error table get their status, and every problem type has a page', async () => {
  const shipper = p.shipper;
  const { chain } = home;
  const post = (body) => request(node.port, 'POST', '/v1/tx', typeof body === 'string' ? { rawBody: body } : { body });
  const nonce = shipper.nonce;
  const body = { bill: bills.C.id, to: p.consignee.address };
  const signed = async (object, wallet = shipper.wallet) => ({ ...object, sig: await wallet.signMessage(signingText(object)) });
  const base = { chain, type: 'bill.transfer_holder', nonce, from: shipper.address, body };

  problem(await post({ ...(await signed(base)), extra: 1 }), 400, 'unknown-field', 'unknown field');
  problem(await post(await signed({ ...base, chain: 'another-chain' })), 400, 'wrong-chain', 'wrong chain');
  const good = await signed(base);
  problem(await post({ ...good, sig: good.sig.toUpperCase().replace('0X', '0x') }), 400, 'signature-encoding', 'upper-case sig');
  problem(await post(JSON.stringify(good).replace(`"nonce":${nonce}`, `"nonce":${nonce}.0`)), 400, 'non-canonical-number', '1.0');
  problem(await post(await signed({ ...base, body: { bill: bills.C.id } })), 400, 'invalid-body', 'missing to');
  problem(await post(await signed(base, p.consignee.wallet)), 422, 'signer-mismatch', 'signed by another key');
  problem(await post(await signed({ ...base, nonce: nonce + 5 })), 409, 'nonce-gap', 'nonce gap');
  problem(await post(good), 403, 'not-permitted', 'a non-holder transfers');
  const release = await post(await signed({ ...base, type: 'bill.release', body: { bill: bills.B.id } }));
  assert.ok(release.status === 403 || release.status === 409, release.text);
  problem(release, release.status, null, 'release of an unpledged bill');
  problem(await request(node.port, 'GET', `/v1/tx/0x${'ab'.repeat(32)}`), 404, 'not-found', 'unknown tx');
  problem(await request(node.port, 'GET', '/v1/no-such-route'), 404, 'not-found', 'unknown route');

  for (const type of problemTypes) {
    const page = await request(node.port, 'GET', type);
    assert.equal(page.status, 200, `${type} has no page`);
    assert.equal(page.body.type, type);
  }
  assert.ok(problemTypes.size >= 12, [...problemTypes].join());
});

test('a single-bill route with query parameters answers (the route keeps its own parameter list)', async () => {
  const page = await request(node.port, 'GET', `/v1/bills/${bills.A.id}/history?from=0&limit=1`);
  assert.equal(page.status, 200, page.text);
  assert.equal(page.body.entries.length, 1);
  const unknown = await request(node.port, 'GET', `/v1/bills/${bills.A.id}/history?colour=blue`);
  assert.equal(unknown.status, 400);
});

test('evidence of conflicting votes is open to anyone and paginated; a single honest validator has none', async () => {
  const open = await remoteGet(node.port, '/v1/evidence');
  assert.equal(open.status, 200, open.text);
  assert.deepEqual(open.body.evidence, []);
  assert.equal(open.body.next, undefined);
  const bad = await request(node.port, 'GET', '/v1/evidence?after=zz');
  assert.equal(bad.status, 400);
});
