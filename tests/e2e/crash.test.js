// Crash safety (DESIGN §5, issue 3 item 4): stream transactions into the real node, kill -9 it at random
// moments (at least 20 times), restart it, and check that every transaction acknowledged as committed is
// still there, and that the database equals a replay of its stored blocks (`onebill node --verify-replay`).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { BIN, initHome, startNode, request, sleep, Party } = require('./lib/onebill');
const { billBody } = require('./lib/cluster');

const KILLS = Number(process.env.ONEBILL_CRASH_KILLS || 20);
const WINDOW = 6; // transactions a sender has in flight

function verifyReplay(home) {
  const out = execFileSync(BIN, ['node', '--home', home.nodeHome, '--verify-replay', '--log-level', 'warn'], {
    encoding: 'utf8',
  });
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return JSON.parse(line);
}

// One sender's stream: bills issued in windows of WINDOW transactions posted in nonce order, the last one
// with wait=commit, then each acknowledged by GET /v1/tx/{id} = committed. Stops at the first failure
// (the node was killed).
async function stream(party, shipper, acked, stop) {
  const res = await request(party.node.port, 'GET', `/v1/participants/${party.address}`);
  party.nonce = res.body.pending_nonce;
  while (!stop.now) {
    const ids = [];
    for (let i = 0; i < WINDOW; i++) {
      const wait = i === WINDOW - 1;
      const sent = await party.send('bill.issue', billBody(party, shipper), { wait });
      if (sent.status === 200) acked.set(sent.id, sent.body.height);
      else if (sent.status === 202) ids.push(sent.id);
      else throw new Error(`unexpected answer ${sent.status}: ${JSON.stringify(sent.body)}`);
    }
    for (const id of ids) {
      for (;;) {
        const status = await request(party.node.port, 'GET', `/v1/tx/${id}`);
        if (status.body.status === 'committed') {
          acked.set(id, status.body.height);
          break;
        }
        if (status.body.status !== 'pending') throw new Error(`tx ${id}: ${JSON.stringify(status.body)}`);
        await sleep(20);
      }
    }
  }
}

test('every transaction acknowledged as committed survives kill -9, and the state equals a replay', async (t) => {
  const home = initHome();
  t.after(() => fs.rmSync(home.dir, { recursive: true, force: true }));
  const acked = new Map(); // id -> height
  let lastHeight = 0;

  for (let round = 0; round < KILLS; round++) {
    const node = await startNode(home, { blockIntervalMs: 20 + (round % 4) * 30 });
    try {
      // Everything acknowledged before the last kill is still committed, at the same height.
      const sample = [...acked.entries()].sort(() => Math.random() - 0.5).slice(0, 60);
      for (const [id, height] of sample) {
        const status = await request(node.port, 'GET', `/v1/tx/${id}`);
        assert.equal(status.body.status, 'committed', `round ${round}: acknowledged ${id} lost`);
        assert.equal(status.body.height, height);
      }
      const head = (await request(node.port, 'GET', '/v1/status')).body.height;
      assert.ok(head >= lastHeight, `round ${round}: height went back from ${lastHeight} to ${head}`);

      const stop = { now: false };
      const rail = new Party(node, home, 'carrier-rail');
      const sea = new Party(node, home, 'carrier-sea');
      const shipper = new Party(node, home, 'shipper');
      const streams = [stream(rail, shipper, acked, stop), stream(sea, shipper, acked, stop)].map((p) =>
        p.catch((error) => error),
      );
      await sleep(150 + Math.floor(Math.random() * 900));
      await node.kill(); // kill -9 mid-stream
      stop.now = true;
      await Promise.all(streams);
      lastHeight = head;
    } finally {
      await node.kill();
    }
    if (round % 5 === 4) {
      const replay = verifyReplay(home);
      assert.equal(replay.equal, true, `round ${round}: ${JSON.stringify(replay)}`);
    }
  }

  // A last start: every acknowledged transaction is there; then a clean stop and a full replay.
  const node = await startNode(home);
  try {
    for (const [id, height] of acked) {
      const status = await request(node.port, 'GET', `/v1/tx/${id}`);
      assert.equal(status.body.status, 'committed', `acknowledged ${id} lost`);
      assert.equal(status.body.height, height);
    }
  } finally {
    await node.stop();
  }
  const replay = verifyReplay(home);
  assert.equal(replay.equal, true, JSON.stringify(replay));
  assert.ok(replay.transactions >= acked.size, `${replay.transactions} stored, ${acked.size} acknowledged`);
  assert.ok(acked.size > 50, `only ${acked.size} transactions were acknowledged`);
  console.log(`crash: ${KILLS} kills, ${acked.size} acknowledged transactions, height ${replay.height}`);
});
