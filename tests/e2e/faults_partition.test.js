// Network partitions between real validators (issue 8 item 4): four processes started by
// scripts/cluster, each listing its peers at a relay (lib/relay.js) that sits on every link i -> j and
// can black-hole, delay and cut it one way. Scenarios, one after the other on the same chain:
//   one isolated        the other three go on; it catches up after healing
//   two halves          2 | 2: no quorum anywhere, no height moves, nothing forks
//   bridges             0 and 2 unable to see each other, 1 and 3 seeing both: the chain goes on
//   strict bridge       0 - 1 - 2 linked, 0 and 2 cut, 3 cut off from all: the three go on, as 1 relays
//                       votes and proposals onwards (node/gossip.h), each block within BRIDGE_ROUNDS rounds
//   one-way cuts        node 0 mute (sends nothing, hears all), then deaf (hears nothing, sends all)
//   slow links          150 ms on every link out of node 1
// After every heal the chain makes progress within HEAL_ROUNDS rounds: a transaction sent then is
// committed in a round <= HEAL_ROUNDS and every node reaches its height within the time those rounds
// take at most (their timeouts) plus RECONNECT_MS for the links to come back and block sync to notice.
// At the end of every scenario all nodes agree on every block hash and state root.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { sleep, request } = require('./lib/onebill');
const { Cluster, waitFor, billBody, roundMs } = require('./lib/cluster');
const { Relay } = require('./lib/relay');

const HEAL_ROUNDS = 5;
// A strict bridge loses the rounds of the cut-off proposer (3) and, now and then, one whose proposal
// reached the far node only after its propose timeout (it was still finishing the previous height).
const BRIDGE_ROUNDS = 5;
const RECONNECT_MS = 4000;
const HEAL_BOUND_MS = RECONNECT_MS + [...Array(HEAL_ROUNDS + 1).keys()].reduce((sum, r) => sum + roundMs(r), 0);

test('partitions through a relay: halves halt, the isolated and the bridged go on, one-way cuts; progress after healing', async (t) => {
  const cluster = new Cluster({ base: 21300 });
  const relay = new Relay({ size: 4, listenBase: 23300, targetPort: (j) => cluster.nodes[j].peerPort });
  t.after(async () => {
    cluster.cleanup();
    await relay.stop();
  });
  await relay.start();
  cluster.routePeers((i, j) => `127.0.0.1:${relay.port(i, j)}`);
  cluster.startAll();
  const shipper = cluster.party('shipper');
  const rail = cluster.party('carrier-rail');
  const sea = cluster.party('carrier-sea');
  const all = [0, 1, 2, 3];

  // Sends one bill through node `via` and waits (up to timeoutMs) for its commit there.
  const commitVia = async (party, via, what, timeoutMs = 40000) => {
    party.node = cluster.nodes[via];
    const res = await party.send('bill.issue', billBody(party, shipper));
    if (res.status === 200) return res.body.height;
    assert.equal(res.status, 202, `${what}: via node ${via}: ${res.text}`);
    const committed = await waitFor(`${what}: a commit via node ${via}`, async () => {
      const status = await request(cluster.nodes[via].port, 'GET', `/v1/tx/${res.id}`);
      return status.body.status === 'committed' ? status.body : null;
    }, { timeoutMs }).catch((error) => {
      throw new Error(`${error.message}\n${cluster.tails()}`);
    });
    return committed.height;
  };
  // No height of `indexes` moves during two rounds' worth of timeouts (the halt is the assertion).
  const assertHalted = async (indexes, what) => {
    const start = await cluster.heights(indexes);
    const deadline = Date.now() + roundMs(0) + roundMs(1);
    while (Date.now() < deadline) {
      assert.deepEqual(await cluster.heights(indexes), start, `${what}: a height moved without a quorum`);
      await sleep(250);
    }
    return start;
  };
  // Heals, then a transaction through `via` (a node that kept up) commits within the bound and every node,
// the cut-off ones included, reaches its height.
  const healAndProgress = async (what, via, party = rail) => {
    relay.heal();
    const healedAt = Date.now();
    party.node = cluster.nodes[via];
    const res = await party.send('bill.issue', billBody(party, shipper));
    let outcome = res.body;
    if (res.status === 202) {
      outcome = await waitFor(`${what}: the first transaction after healing`, async () => {
        const status = await request(cluster.nodes[via].port, 'GET', `/v1/tx/${res.id}`);
        return status.body.status === 'committed' ? status.body : null;
      }, { timeoutMs: HEAL_BOUND_MS });
    } else {
      assert.equal(res.status, 200, `${what}: after healing: ${res.text}`);
    }
    await cluster.waitHeight(all, outcome.height, HEAL_BOUND_MS);
    const elapsed = Date.now() - healedAt;
    const round = (await cluster.block(via, outcome.height)).commit.round;
    assert.ok(round <= HEAL_ROUNDS, `${what}: after healing the block committed in round ${round} > ${HEAL_ROUNDS}`);
    assert.ok(elapsed <= HEAL_BOUND_MS, `${what}: progress took ${elapsed} ms > ${HEAL_BOUND_MS} ms`);
    const { common } = await cluster.checkAgreement();
    console.log(`faults_partition ${what}: healed; height ${outcome.height} in round ${round} after ${elapsed} ms; agreed to ${common}`);
  };

  await commitVia(rail, 0, 'through the relay');
  await cluster.waitHeight(all, 1);

  // One isolated: the other three go on.
  relay.isolate(3);
  const [isolatedAt] = await cluster.heights([3]);
  let height = 0;
  for (let k = 0; k < 3; k++) height = await commitVia(rail, k, 'node 3 isolated');
  await cluster.waitHeight([0, 1, 2], height);
  assert.ok(height >= isolatedAt + 3, `the three went on: ${isolatedAt} -> ${height}`);
  await cluster.checkAgreement([0, 1, 2]);
  await healAndProgress('one isolated', 0);

  // Two halves: no quorum on either side; work pending on both sides.
  relay.split([0, 1], [2, 3]);
  rail.node = cluster.nodes[0];
  sea.node = cluster.nodes[2];
  const pendingLeft = await rail.send('bill.issue', billBody(rail, shipper), { wait: false });
  const pendingRight = await sea.send('bill.issue', billBody(sea, shipper), { wait: false });
  assert.equal(pendingLeft.status, 202, pendingLeft.text);
  assert.equal(pendingRight.status, 202, pendingRight.text);
  await assertHalted(all, 'two halves');
  await cluster.checkAgreement();
  await healAndProgress('two halves', 1);
  for (const [pending, i] of [[pendingLeft, 0], [pendingRight, 2]]) {
    const status = await waitFor('the transactions pending in each half', async () => {
      const res = await request(cluster.nodes[i].port, 'GET', `/v1/tx/${pending.id}`);
      return res.body.status === 'committed' ? res.body : null;
    }, { timeoutMs: HEAL_BOUND_MS });
    assert.ok(status.height > 0);
  }

  // Bridges: 0 and 2 cannot see each other; 1 and 3 see both.
  relay.split([0], [2]);
  for (let k = 0; k < 3; k++) height = await commitVia(sea, [1, 0, 2][k], 'bridge');
  await cluster.waitHeight(all, height, 30000);
  await cluster.checkAgreement();
  await healAndProgress('bridge', 2);

  // A strict bridge: 0 - 1 and 1 - 2 linked, 0 - 2 cut, 3 cut off from all. The three hold 3 of 4 votes,
  // but 0 and 2 see each other's votes and proposals only as 1 relays them onwards: the chain goes on,
  // every block within BRIDGE_ROUNDS rounds, and nothing forks.
  relay.split([0], [2]);
  relay.isolate(3);
  const [bridgeFrom] = await cluster.heights([1]);
  const bridgeMs = [];
  for (let k = 0; k < 3; k++) {
    const sentAt = Date.now();
    height = await commitVia(sea, [0, 2, 1][k], 'strict bridge');
    bridgeMs.push(Date.now() - sentAt);
  }
  await cluster.waitHeight([0, 1, 2], height, 30000);
  await cluster.checkAgreement([0, 1, 2]);
  const bridgeRounds = [];
  for (let h = bridgeFrom + 1; h <= height; h++) bridgeRounds.push((await cluster.block(1, h)).commit.round);
  console.log(`faults_partition strict bridge: heights ${bridgeFrom + 1}..${height} in rounds ${bridgeRounds}; commits took ${bridgeMs} ms`);
  assert.ok(bridgeRounds.every((round) => round <= BRIDGE_ROUNDS), `strict bridge: rounds ${bridgeRounds} > ${BRIDGE_ROUNDS}`);
  await healAndProgress('strict bridge', 1);

  // One way: node 0 mute (nothing it sends arrives); the three others go on. Node 0 is not required to
  // follow while mute: its peers close links that stay silent and a new link needs a handshake both
  // ways, so whether it still hears them depends on timing (CI run of 20:37: it did not). After healing
  // it must catch up (healAndProgress checks every node).
  for (let j = 1; j < 4; j++) relay.cut(0, j);
  for (let k = 0; k < 2; k++) height = await commitVia(rail, 1 + k, 'node 0 mute');
  await cluster.waitHeight([1, 2, 3], height, 20000);
  await healAndProgress('node 0 mute', 1);

  // One way: node 0 deaf (nothing reaches it), though what it sends arrives; the others go on.
  for (let j = 1; j < 4; j++) relay.cut(j, 0);
  const [deafAt] = await cluster.heights([0]);
  for (let k = 0; k < 2; k++) height = await commitVia(sea, 1 + k, 'node 0 deaf');
  const [deafNow] = await cluster.heights([0]);
  assert.equal(deafNow, deafAt, 'a deaf node cannot learn of new blocks');
  await cluster.checkAgreement([1, 2, 3]);
  await healAndProgress('node 0 deaf', 1, sea);

  // Slow links out of node 1: the chain goes on.
  for (const j of [0, 2, 3]) relay.delay(1, j, 150);
  for (let k = 0; k < 3; k++) height = await commitVia(rail, k, 'slow links');
  await cluster.waitHeight(all, height, 20000);
  await healAndProgress('slow links', 1);
  console.log(`faults_partition: relay forwarded ${relay.forwarded} bytes, dropped ${relay.dropped}`);
});
