// A relay between every pair of peer ports, for partition tests (issue 8 item 4). Node i's config lists
// peer j at port(i, j); the relay forwards what arrives there to node j's real peer port. A TCP
// connection accepted on port(i, j) was dialed by i, so its bytes from the dialer are the direction
// i -> j and the bytes back are j -> i, whichever of the two links the nodes keep (node/peers keeps one
// per pair). Peer links are authenticated and encrypted end to end (node/peer_link), so the relay only
// forwards bytes; it can drop a direction (a black hole: the link stays open and nothing arrives, as
// with a one-way network fault), delay it, and heal. Dropped bytes leave the stream cut mid-frame, so
// healing closes every connection that lost bytes: both nodes see the link end and dial again.
// Controlled in-process by the test.
'use strict';

const net = require('node:net');

class Relay {
  // size: nodes 0..size-1; listenBase: port(i, j) = listenBase + 10 * i + j; targetPort(j): j's peer port.
  constructor({ size, listenBase, targetPort }) {
    this.size = size;
    this.listenBase = listenBase;
    this.targetPort = targetPort;
    this.rules = new Map(); // "i>j" -> { drop, delayMs }
    this.servers = [];
    this.connections = new Set();
    this.forwarded = 0;
    this.dropped = 0;
  }

  port(i, j) {
    return this.listenBase + 10 * i + j;
  }
  rule(from, to) {
    return this.rules.get(`${from}>${to}`) || { drop: false, delayMs: 0 };
  }
  set(from, to, change) {
    this.rules.set(`${from}>${to}`, { ...this.rule(from, to), ...change });
  }

  // Black-holes the direction from -> to (one way).
  cut(from, to) {
    this.set(from, to, { drop: true });
  }
  // No bytes either way between every node of `left` and every node of `right`.
  split(left, right) {
    for (const a of left) {
      for (const b of right) {
        this.cut(a, b);
        this.cut(b, a);
      }
    }
  }
  isolate(i) {
    this.split([i], [...Array(this.size).keys()].filter((j) => j !== i));
  }
  delay(from, to, delayMs) {
    this.set(from, to, { delayMs });
  }
  // Every direction passes again at once; connections that lost bytes are closed (they redial).
  heal() {
    this.rules.clear();
    for (const connection of this.connections) {
      if (connection.lostBytes) connection.close();
    }
  }

  async start() {
    for (let i = 0; i < this.size; i++) {
      for (let j = 0; j < this.size; j++) {
        if (i === j) continue;
        const server = net.createServer((client) => this.accept(client, i, j));
        await new Promise((resolve, reject) => {
          server.once('error', reject);
          server.listen(this.port(i, j), '127.0.0.1', resolve);
        });
        this.servers.push(server);
      }
    }
  }

  accept(client, i, j) {
    const upstream = net.connect(this.targetPort(j), '127.0.0.1');
    const connection = {
      lostBytes: false,
      close: () => {
        client.destroy();
        upstream.destroy();
        this.connections.delete(connection);
      },
    };
    this.connections.add(connection);
    this.pipe(client, upstream, i, j, connection);
    this.pipe(upstream, client, j, i, connection);
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => connection.close());
      socket.on('close', () => connection.close());
    }
  }

  // Forwards source -> destination as the direction from -> to, in order, under the rule of the moment.
  pipe(source, destination, from, to, connection) {
    const queue = []; // [due, chunk], due times never decrease
    let timer = null;
    const pump = () => {
      timer = null;
      while (queue.length && queue[0][0] <= Date.now()) destination.write(queue.shift()[1]);
      if (queue.length) timer = setTimeout(pump, queue[0][0] - Date.now());
    };
    source.on('data', (chunk) => {
      const { drop, delayMs } = this.rule(from, to);
      if (drop) {
        connection.lostBytes = true;
        this.dropped += chunk.length;
        return;
      }
      this.forwarded += chunk.length;
      if (!delayMs && !queue.length) {
        destination.write(chunk);
        return;
      }
      const last = queue.length ? queue[queue.length - 1][0] : 0;
      queue.push([Math.max(Date.now() + delayMs, last), chunk]);
      if (!timer) timer = setTimeout(pump, Math.max(0, queue[0][0] - Date.now()));
    });
  }

  async stop() {
    for (const connection of [...this.connections]) connection.close();
    await Promise.all(this.servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

module.exports = { Relay };
