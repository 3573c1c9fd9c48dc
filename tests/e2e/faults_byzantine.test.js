// A byzantine validator (issue 8 item 5): one of four runs `onebill node --byzantine equivocate`
// (node/byzantine.h), a test-only mode refused outside chains whose id starts with "test-". It sends
// conflicting proposals to different peers and signs two different prevotes and precommits for the
// same height and round. With it below 1/3 of the power: no fork, the chain goes on, and every honest
// node records the equivocation and shows it at GET /v1/evidence, signed by the liar's consensus key.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { ethers } = require('ethers');
const { BIN, request, tempDir, canonicalize } = require('./lib/onebill');
const { Cluster, waitFor, billBody } = require('./lib/cluster');

test('the byzantine mode is refused on a chain that is not a test chain, and --help says so', () => {
  const help = execFileSync(BIN, ['node', '--help'], { encoding: 'utf8' });
  assert.match(help, /--byzantine/);
  assert.match(help, /test-/);
  const dir = tempDir('onebill-byzantine-');
  try {
    execFileSync(BIN, ['init', '--dir', dir], { stdio: 'pipe' });
    const run = spawnSync(BIN, ['node', '--home', path.join(dir, 'nodes', '0'), '--byzantine', 'equivocate'], {
      encoding: 'utf8',
      timeout: 20000,
    });
    assert.notEqual(run.status, 0, 'a demo chain must refuse --byzantine');
    assert.match(run.stdout + run.stderr, /test chains only/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an equivocating validator: no fork, the chain goes on, evidence at every honest node', async (t) => {
  const cluster = new Cluster({ base: 21400 });
  t.after(() => cluster.cleanup());
  const liar = 3;
  cluster.startAll({ [liar]: ['--byzantine', 'equivocate'] });
  assert.match(cluster.log(liar), /BYZANTINE MODE/);
  const honest = [0, 1, 2];
  const shipper = cluster.party('shipper');
  const carrier = cluster.party('carrier-rail');
  // Twelve heights: the liar is the round-0 proposer of at least three and votes on all.
  let height = 0;
  for (let k = 0; k < 12; k++) {
    carrier.node = cluster.nodes[honest[k % 3]];
    const res = await carrier.send('bill.issue', billBody(carrier, shipper));
    assert.equal(res.status, 200, `transaction ${k}: ${res.text}\n${cluster.tails()}`);
    height = res.body.height;
  }
  await cluster.waitHeight([0, 1, 2, 3], height, 30000);
  const { common, rounds } = await cluster.checkAgreement();

  // Evidence: two votes of the liar for the same (height, round, type) and different blocks, each
  // signed by its consensus key over DESIGN §5's vote digest.
  const liarKey = JSON.parse(fs.readFileSync(path.join(cluster.nodes[liar].home, 'validator_key.json'), 'utf8'));
  const liarKeyAddress = ethers.getAddress(liarKey.address);
  const signerOf = (vote) => {
    const digest = ethers.keccak256(
      ethers.toUtf8Bytes(
        'OneBill vote v1\n' +
          canonicalize({ chain: vote.chain, height: vote.height, round: vote.round, type: vote.type, block: vote.block }),
      ),
    );
    return ethers.recoverAddress(digest, vote.signature);
  };
  const types = new Set();
  for (const i of honest) {
    const items = await waitFor(`evidence at node ${i}`, async () => {
      const res = await request(cluster.nodes[i].port, 'GET', '/v1/evidence?limit=100');
      assert.equal(res.status, 200, res.text);
      return res.body.evidence.length > 0 ? res.body.evidence : null;
    }, { timeoutMs: 10000 });
    for (const { first, second } of items) {
      assert.equal(first.validator, second.validator);
      assert.equal(first.height, second.height);
      assert.equal(first.round, second.round);
      assert.equal(first.type, second.type);
      assert.notEqual(first.block, second.block);
      assert.equal(signerOf(first), liarKeyAddress, `node ${i}: evidence against an honest validator`);
      assert.equal(signerOf(second), liarKeyAddress);
    }
    for (const item of items) types.add(item.first.type);
  }
  // Precommits too: at some honest node (one that decides on the others' precommits first drops the
  // liar's late ones unread, so not necessarily at each).
  assert.ok(types.has('prevote') && types.has('precommit'), `evidence of ${[...types]}`);
  console.log(`faults_byzantine: ${common} heights agreed with an equivocating validator; commit rounds ${rounds.join(',')}`);
});
