// A consortium of real processes for the fault tests (issue 8): homes written and nodes started with
// scripts/cluster, as an operator would, configs shortened for tests (block interval, consensus timeouts),
// optionally wired through a relay (lib/relay.js). Helpers poll with deadlines; the checks at the end of
// every scenario compare block hashes and state roots at every common height.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { BIN, request, Party, sleep } = require('./onebill');

const SCRIPT = path.join(process.env.ONEBILL_SOURCE_DIR, 'scripts', 'cluster');

// Short timeouts for 4 validators on one machine: a round lasts at most
// propose + 2 * vote + 3 * delta * round milliseconds.
const TEST_TIMEOUTS = { timeout_propose_ms: 1000, timeout_vote_ms: 400, timeout_delta_ms: 250 };
function roundMs(round) {
  return TEST_TIMEOUTS.timeout_propose_ms + 2 * TEST_TIMEOUTS.timeout_vote_ms + 3 * TEST_TIMEOUTS.timeout_delta_ms * round;
}

// Polls `probe` (async; a truthy result ends the wait) until `timeoutMs`; fails naming `what`.
async function waitFor(what, probe, { timeoutMs = 30000, everyMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
    await sleep(everyMs);
  }
}

class Cluster {
  // validators: how many; base: API ports base+i, peer ports base+1000+i (fixed per suite so suites
  // never clash; below the cluster test's random 24000-32004 and the kernel's ephemeral ports).
  constructor({ validators = 4, base, chain, blockIntervalMs = 50 }) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onebill-faults-'));
    this.base = base;
    this.size = validators;
    this.chain = chain || `test-faults-${crypto.randomBytes(3).toString('hex')}`;
    this.cluster('init', String(validators), '--base-port', String(base), '--chain', this.chain);
    this.genesis = JSON.parse(fs.readFileSync(path.join(this.dir, 'genesis.json'), 'utf8'));
    this.nodes = [];
    for (let i = 0; i < validators; i++) {
      const home = path.join(this.dir, 'nodes', String(i));
      const nodeKey = JSON.parse(fs.readFileSync(path.join(home, 'node_key.json'), 'utf8'));
      this.nodes.push({ index: i, home, port: base + i, peerPort: base + 1000 + i, nodeAddress: nodeKey.address });
    }
    this.configure((config) => Object.assign(config, TEST_TIMEOUTS, { block_interval_ms: blockIntervalMs }));
  }

  // scripts/cluster with this build's binary.
  cluster(...args) {
    const [command, ...rest] = args;
    const dashes = rest.indexOf('--');
    const before = dashes < 0 ? rest : rest.slice(0, dashes);
    const after = dashes < 0 ? [] : rest.slice(dashes);
    return execFileSync(SCRIPT, [command, ...before, '--dir', this.dir, ...after], {
      env: { ...process.env, ONEBILL_BIN: BIN },
      stdio: 'pipe',
      timeout: 60000,
    }).toString();
  }

  configPath(i) {
    return path.join(this.nodes[i].home, 'config.json');
  }

  // Rewrites every node's config.json through mutate(config, node).
  configure(mutate) {
    for (const node of this.nodes) {
      const config = JSON.parse(fs.readFileSync(this.configPath(node.index), 'utf8'));
      mutate(config, node);
      fs.writeFileSync(this.configPath(node.index), JSON.stringify(config, null, 2));
    }
  }

  // Node i lists peer j at peerAddress(i, j) (a relay's port for the link i -> j).
  routePeers(peerAddress) {
    this.configure((config, node) => {
      config.peers = this.nodes
        .filter((other) => other.index !== node.index)
        .map((other) => `${other.nodeAddress}@${peerAddress(node.index, other.index)}`);
    });
  }

  start(i, nodeArgs = []) {
    this.cluster('restart', String(i), ...(nodeArgs.length ? ['--', ...nodeArgs] : []));
  }
  startAll(nodeArgs = {}) {
    for (const node of this.nodes) this.start(node.index, nodeArgs[node.index] || []);
  }
  kill(i) {
    this.cluster('kill', String(i));
  }
  pause(i) {
    this.cluster('pause', String(i));
  }
  resume(i) {
    this.cluster('resume', String(i));
  }
  down() {
    for (const node of this.nodes) {
      try {
        this.cluster('resume', String(node.index)); // a stopped process would not see SIGTERM
      } catch (_) {}
    }
    try {
      this.cluster('down');
    } catch (_) {}
  }
  // Stops every node and removes the homes, unless the test failed and ONEBILL_KEEP_FAULTS is set.
  cleanup() {
    this.down();
    if (!process.env.ONEBILL_KEEP_FAULTS) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  log(i) {
    try {
      return fs.readFileSync(path.join(this.nodes[i].home, 'node.log'), 'utf8');
    } catch (_) {
      return '';
    }
  }
  // The last lines of each node's log, for assertion messages.
  tails(lines = 15) {
    return this.nodes
      .map((node) => `--- node ${node.index}:\n` + this.log(node.index).trim().split('\n').slice(-lines).join('\n'))
      .join('\n');
  }

  // GET /v1/status of node i, or null when it does not answer within a second.
  async status(i) {
    try {
      const res = await request(this.nodes[i].port, 'GET', '/v1/status', { timeoutMs: 1000 });
      return res.status === 200 ? res.body : null;
    } catch (_) {
      return null;
    }
  }
  async heights(indexes = this.nodes.map((n) => n.index)) {
    return Promise.all(indexes.map(async (i) => (await this.status(i))?.height ?? null));
  }
  async block(i, height) {
    const res = await request(this.nodes[i].port, 'GET', `/v1/blocks/${height}`, { timeoutMs: 5000 });
    assert.equal(res.status, 200, `node ${i} block ${height}: ${res.text}`);
    return res.body;
  }

  // Waits until every node of `indexes` has reached `height`.
  async waitHeight(indexes, height, timeoutMs = 30000) {
    return waitFor(
      `nodes ${indexes} at height ${height}`,
      async () => (await this.heights(indexes)).every((h) => h !== null && h >= height),
      { timeoutMs },
    ).catch((error) => {
      throw new Error(`${error.message}\n${this.tails()}`);
    });
  }

  // The check at the end of every scenario: the nodes agree on the block hash and state root at
  // every height they all have, and every commit holds more than 2/3 of the four validators' power.
  // Returns the common height and the commits' rounds.
  async checkAgreement(indexes = this.nodes.map((n) => n.index)) {
    const heights = await this.heights(indexes);
    assert.ok(heights.every((h) => h !== null), `a node does not answer: ${heights}`);
    const common = Math.min(...heights);
    const rounds = [];
    for (let height = 1; height <= common; height++) {
      const blocks = await Promise.all(indexes.map((i) => this.block(i, height)));
      const hashes = new Set(blocks.map((b) => b.hash));
      const roots = new Set(blocks.map((b) => b.state_root));
      assert.equal(hashes.size, 1, `height ${height}: block hashes differ: ${[...hashes]}`);
      assert.equal(roots.size, 1, `height ${height}: state roots differ: ${[...roots]}`);
      for (const b of blocks) {
        assert.ok(3 * b.commit.precommits.length > 2 * this.size, `height ${height}: ${b.commit.precommits.length} precommits`);
      }
      rounds.push(blocks[0].commit.round);
    }
    return { common, rounds };
  }

  party(name, nodeIndex = 0) {
    return new Party(this.nodes[nodeIndex], { dir: this.dir, chain: this.chain }, name);
  }
}

// A new bill of lading from `carrier` to `shipper`, as a bill.issue body.
function billBody(carrier, shipper) {
  return {
    id: '0x' + crypto.randomBytes(32).toString('hex'),
    reference: 'F-' + crypto.randomBytes(8).toString('hex'),
    kind: 'BOL',
    to_order: true,
    holder: shipper.address,
    legs: [{ mode: 'SEA', carrier: carrier.address, from: 'CNQZH', to: 'SGSIN' }],
  };
}

// Records the transaction as acknowledged when node i answers GET /v1/tx/{id} with committed.
async function committedAt(cluster, i, id, acked) {
  try {
    const res = await request(cluster.nodes[i].port, 'GET', `/v1/tx/${id}`, { timeoutMs: 2000 });
    if (res.body.status !== 'committed') return false;
    acked.set(id, res.body.height);
    return true;
  } catch (_) {
    return false;
  }
}

// A steady stream of bill transactions from one carrier, each posted with wait=commit to the next
// live node (round robin over `targets()`); a transaction is acknowledged when a node answers 200
// committed, and recorded in `acked` (id -> height). A failed post (the node died, or a commit slower
// than the wait) is retried with the same signed transaction elsewhere, so nonces never skip.
// Runs until stop.now; returns the count of answers that were not acknowledgements.
async function loadStream(cluster, carrierName, shipper, acked, stop, targets) {
  const carrier = cluster.party(carrierName);
  let next = 0;
  let misses = 0;
  // The nonce after this carrier's committed and pending transactions, from any live node.
  const syncNonce = async () => {
    for (const i of targets()) {
      try {
        const res = await request(cluster.nodes[i].port, 'GET', `/v1/participants/${carrier.address}`, { timeoutMs: 2000 });
        if (res.status === 200) {
          carrier.nonce = res.body.pending_nonce;
          return;
        }
      } catch (_) {}
    }
  };
  await syncNonce();
  let signed = null;
  while (!stop.now) {
    if (!signed) signed = await carrier.sign('bill.issue', billBody(carrier, shipper));
    const live = targets();
    const i = live[next++ % live.length];
    let res;
    try {
      res = await request(cluster.nodes[i].port, 'POST', '/v1/tx?wait=commit&timeout_ms=5000', { body: signed.tx, timeoutMs: 8000 });
    } catch (_) {
      misses += 1;
      await sleep(50);
      continue;
    }
    if (res.status === 200 && res.body.status === 'committed') {
      acked.set(signed.id, res.body.height);
      carrier.nonce += 1;
      signed = null;
    } else if (res.status === 202) {
      misses += 1;  // admitted, not yet committed: ask again (the same transaction is already pending)
    } else if (await committedAt(cluster, i, signed.id, acked)) {
      carrier.nonce += 1;  // committed meanwhile (a retry after a lost answer): GET /v1/tx acknowledged it
      signed = null;
    } else {
      misses += 1;  // refused here (e.g. its nonce was taken meanwhile): start again from the chain's nonce
      await syncNonce();
      signed = null;
      await sleep(50);
    }
  }
  return misses;
}

// Every acknowledged transaction is committed at every node of `indexes`, at the acknowledged height.
async function checkAcknowledged(cluster, acked, indexes) {
  for (const i of indexes) {
    for (const [id, height] of acked) {
      const res = await request(cluster.nodes[i].port, 'GET', `/v1/tx/${id}`, { timeoutMs: 5000 });
      assert.equal(res.body.status, 'committed', `node ${i}: acknowledged ${id} lost: ${res.text}`);
      assert.equal(res.body.height, height, `node ${i}: ${id} moved from height ${height}`);
    }
  }
}

module.exports = { Cluster, waitFor, loadStream, checkAcknowledged, billBody, roundMs, TEST_TIMEOUTS };
