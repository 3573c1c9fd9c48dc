// Crashes of real validators (issue 8 items 1 and 2), four processes started by scripts/cluster:
// - kill -9 of a validator under a steady load of bill transactions acknowledged with wait=commit: the
//   three others go on, the killed one restarts and catches up, no acknowledged transaction is lost at
//   any node, and all agree on every block hash and state root;
// - two of four down: the two left halt without forking (no height moves while more than 1/3 of the
//   power is missing), and when one returns the chain resumes.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { sleep, request } = require('./lib/onebill');
const { Cluster, waitFor, loadStream, checkAcknowledged, billBody, roundMs } = require('./lib/cluster');

test('kill -9 of a validator under load: the chain goes on, it catches up, no acknowledged transaction is lost', async (t) => {
  const cluster = new Cluster({ base: 21100 });
  t.after(() => cluster.cleanup());
  cluster.startAll();
  const victim = 2;
  const alive = new Set([0, 1, 2, 3]);
  const targets = () => [...alive];
  const acked = new Map();
  const stop = { now: false };
  const shipper = cluster.party('shipper');
  const streams = ['carrier-rail', 'carrier-sea'].map((name) => loadStream(cluster, name, shipper, acked, stop, targets));
  try {
    await waitFor('10 acknowledged transactions', () => acked.size >= 10, { timeoutMs: 30000 });

    alive.delete(victim);
    cluster.kill(victim); // kill -9, mid-stream
    const atKill = Math.max(...(await cluster.heights([0, 1, 3])));
    const ackedAtKill = acked.size;
    // The three others go on: new blocks, new acknowledgements.
    await cluster.waitHeight([0, 1, 3], atKill + 5, 30000);
    await waitFor('acknowledgements without the victim', () => acked.size >= ackedAtKill + 5, { timeoutMs: 30000 });

    cluster.start(victim);
    alive.add(victim);
    const target = Math.max(...(await cluster.heights([0, 1, 3])));
    await cluster.waitHeight([victim], target, 30000);
    // It takes part again: more blocks with the load going to all four.
    await waitFor('acknowledgements after the restart', () => acked.size >= ackedAtKill + 15, { timeoutMs: 30000 });
  } finally {
    stop.now = true;
    await Promise.all(streams);
  }
  const tip = Math.max(...(await cluster.heights()));
  await cluster.waitHeight([0, 1, 2, 3], tip, 30000);
  const { common } = await cluster.checkAgreement();
  await checkAcknowledged(cluster, acked, [0, 1, 2, 3]);
  console.log(`faults_crash kill -9: ${acked.size} acknowledged transactions, height ${common}, all four agree`);
});

test('two of four validators down: the chain halts without forking, and resumes when one returns', async (t) => {
  const cluster = new Cluster({ base: 21150 });
  t.after(() => cluster.cleanup());
  cluster.startAll();
  const carrier = cluster.party('carrier-sea');
  const shipper = cluster.party('shipper');
  for (let k = 0; k < 3; k++) {
    const res = await carrier.send('bill.issue', billBody(carrier, shipper));
    assert.equal(res.status, 200, res.text);
  }
  cluster.kill(2);
  cluster.kill(3);
  const [h0, h1] = await cluster.heights([0, 1]);
  const halted = Math.max(h0, h1);
  await cluster.waitHeight([0, 1], halted, 10000); // the two left agree on where they stand

  // Work is pending at both nodes left, yet no block can be decided with half the power.
  const pending = await carrier.sign('bill.issue', billBody(carrier, shipper));
  for (const i of [0, 1]) {
    const res = await request(cluster.nodes[i].port, 'POST', '/v1/tx', { body: pending.tx });
    assert.ok(res.status === 202 || res.status === 200, `node ${i}: ${res.text}`);
  }
  // Halt: over five rounds' worth of timeouts, no height moves.
  const window = roundMs(0) + roundMs(1) + roundMs(2) + roundMs(3) + roundMs(4);
  const deadline = Date.now() + window;
  while (Date.now() < deadline) {
    const heights = await cluster.heights([0, 1]);
    assert.deepEqual(heights, [halted, halted], `a height moved with two of four validators down`);
    await sleep(250);
  }
  const status = await request(cluster.nodes[0].port, 'GET', `/v1/tx/${pending.id}`);
  assert.equal(status.body.status, 'pending');
  await cluster.checkAgreement([0, 1]);

  // One returns: three of four, the pending transaction commits, the chain goes on.
  cluster.start(3);
  const committed = await waitFor(
    'the pending transaction to commit once validator 3 is back',
    async () => {
      const res = await request(cluster.nodes[0].port, 'GET', `/v1/tx/${pending.id}`);
      return res.body.status === 'committed' ? res.body : null;
    },
    { timeoutMs: 40000 },
  ).catch((error) => {
    throw new Error(`${error.message}\n${cluster.tails()}`);
  });
  assert.equal(committed.height, halted + 1);
  carrier.nonce += 1;
  const more = await carrier.send('bill.issue', billBody(carrier, shipper));
  assert.equal(more.status, 200, more.text);
  await cluster.waitHeight([0, 1, 3], more.body.height, 20000);
  cluster.start(2);
  await cluster.waitHeight([0, 1, 2, 3], more.body.height, 30000);
  const { common, rounds } = await cluster.checkAgreement();
  console.log(`faults_crash two down: halted at ${halted}, resumed to ${common}; commit rounds ${rounds.join(',')}`);
});
