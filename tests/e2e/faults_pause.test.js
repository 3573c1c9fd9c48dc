// A hung validator (issue 8 item 3): kill -STOP freezes one of four validators while transactions keep
// coming. Each validator is the round-0 proposer once in any four consecutive heights (CometBFT's
// proposer priority with equal power), so over eight heights the frozen one's turn comes: the others
// time out its proposal and decide in a later round. The height advances while it is stopped; commits
// with round > 0 appear; after kill -CONT it catches up and all four agree on every block.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { request } = require('./lib/onebill');
const { Cluster, billBody } = require('./lib/cluster');

test('a paused proposer: rounds move on by timeout, the height advances, no fork after -CONT', async (t) => {
  const cluster = new Cluster({ base: 21200 });
  t.after(() => cluster.cleanup());
  cluster.startAll();
  const shipper = cluster.party('shipper');
  const carrier = cluster.party('carrier-rail', 1);
  const first = await carrier.send('bill.issue', billBody(carrier, shipper));
  assert.equal(first.status, 200, first.text);

  const paused = 0;
  cluster.pause(paused); // SIGSTOP: its sockets stay open, it answers nothing
  const before = Math.max(...(await cluster.heights([1, 2, 3])));
  const heights = [];
  for (let k = 0; k < 8; k++) {
    carrier.node = cluster.nodes[1 + (k % 3)];
    const res = await carrier.send('bill.issue', billBody(carrier, shipper));
    assert.equal(res.status, 200, `transaction ${k} with validator ${paused} stopped: ${res.text}\n${cluster.tails()}`);
    heights.push(res.body.height);
  }
  const during = Math.max(...heights);
  assert.ok(during >= before + 8, `the height advanced while validator ${paused} was stopped: ${before} -> ${during}`);
  const rounds = [];
  for (let height = before + 1; height <= during; height++) rounds.push((await cluster.block(1, height)).commit.round);
  assert.ok(rounds.some((round) => round > 0), `a commit in a round > 0 while the proposer was stopped: ${rounds}`);

  cluster.resume(paused);
  await cluster.waitHeight([paused], during, 30000);
  // It works again as a validator: more blocks that all four commit.
  const after = await carrier.send('bill.issue', billBody(carrier, shipper));
  assert.equal(after.status, 200, after.text);
  await cluster.waitHeight([0, 1, 2, 3], after.body.height, 20000);
  const agreed = await cluster.checkAgreement();
  // A validator that was merely slow signed nothing twice: no node holds evidence against anyone.
  for (const node of cluster.nodes) {
    const evidence = await request(node.port, 'GET', '/v1/evidence');
    assert.deepEqual(evidence.body.evidence, [], `node ${node.index}: ${evidence.text}`);
  }
  console.log(`faults_pause: height ${before} -> ${during} while stopped, commit rounds ${rounds.join(',')}; agreed to ${agreed.common}`);
});
