// Helpers for end-to-end tests: make a home with the real binary, run `onebill node` on a free port,
// talk HTTP to it, and sign transactions with ethers exactly as DESIGN §3 says.
'use strict';

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { ethers } = require('ethers');
const { canonicalize } = require('./canonicalize');

const BIN = process.env.ONEBILL_BIN;
if (!BIN) throw new Error('ONEBILL_BIN must name the onebill binary');

const SIGNING_PREFIX = 'OneBill transaction v1\n';

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// `onebill init` into a fresh directory; returns {dir, chain, nodeHome}.
function initHome(chain) {
  const dir = tempDir('onebill-e2e-');
  const args = ['init', '--dir', dir];
  if (chain) args.push('--chain', chain);
  execFileSync(BIN, args, { stdio: 'pipe' });
  const genesis = JSON.parse(fs.readFileSync(path.join(dir, 'genesis.json'), 'utf8'));
  return { dir, chain: genesis.chain, genesis, nodeHome: path.join(dir, 'nodes', '0') };
}

function loadWallet(home, name) {
  const file = JSON.parse(fs.readFileSync(path.join(home.dir, 'keys', `${name}.json`), 'utf8'));
  const wallet = new ethers.Wallet(file.private_key);
  if (wallet.address.toLowerCase() !== file.address.toLowerCase()) throw new Error(`key ${name}: address mismatch`);
  return wallet;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

// One HTTP request; resolves {status, headers, body (parsed JSON or the text), text}. `localAddress`
// binds the client's source address: 127.0.0.2 is not the operator (DESIGN §7 treats only 127.0.0.1 and
// ::1 as the node's operator).
function request(port, method, target, { body, headers = {}, timeoutMs = 40000, rawBody, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const payload = rawBody !== undefined ? rawBody : body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: target,
        agent,
        ...(localAddress ? { localAddress } : {}),
        headers: {
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch (_) {}
          resolve({ status: res.statusCode, headers: res.headers, body: parsed, text });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${target} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Runs `onebill node` and waits until /v1/status answers.
async function startNode(home, { port, blockIntervalMs = 50, extraArgs = [] } = {}) {
  const apiPort = port || (await freePort());
  const logs = [];
  const child = spawn(
    BIN,
    ['node', '--home', home.nodeHome, '--api', `127.0.0.1:${apiPort}`, '--block-interval-ms', String(blockIntervalMs), ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d) => logs.push(d.toString()));
  child.stderr.on('data', (d) => logs.push(d.toString()));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`onebill node exited early:\n${logs.join('')}`);
    }
    try {
      const status = await request(apiPort, 'GET', '/v1/status', { timeoutMs: 2000 });
      if (status.status === 200) break;
    } catch (_) {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`onebill node did not answer:\n${logs.join('')}`);
    }
    await sleep(50);
  }
  return {
    port: apiPort,
    child,
    logs,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

// The Authorization header of a signed read (DESIGN §7): EIP-191 over
// "OneBill read v1\n" + method + " " + target + "\n" + unix_ms.
async function readAuthorization(wallet, method, target, unixMs = Date.now()) {
  const sig = await wallet.signMessage(`OneBill read v1\n${method} ${target}\n${unixMs}`);
  return `OneBill ${wallet.address}:${unixMs}:${sig}`;
}

// A GET from a non-operator address (127.0.0.2), signed by `wallet` when one is given.
async function remoteGet(port, target, wallet, options = {}) {
  const headers = wallet ? { authorization: await readAuthorization(wallet, 'GET', target) } : {};
  return request(port, 'GET', target, { ...options, headers: { ...headers, ...(options.headers || {}) }, localAddress: '127.0.0.2' });
}

// The unsigned object, its signing text and id (DESIGN §3).
function signingText(object) {
  return SIGNING_PREFIX + canonicalize(object);
}

async function signTransaction(wallet, chain, type, nonce, body, extra = {}) {
  const object = { chain, type, nonce, from: wallet.address, body, ...extra };
  const text = signingText(object);
  const sig = await wallet.signMessage(text);
  const id = ethers.keccak256(ethers.toUtf8Bytes(text));
  return { tx: { ...object, sig }, id, text };
}

// A participant that signs and submits, tracking its own nonce.
class Party {
  constructor(node, home, name) {
    this.node = node;
    this.chain = home.chain;
    this.name = name;
    this.wallet = loadWallet(home, name);
    this.address = this.wallet.address;
    this.nonce = 0;
  }

  async sign(type, body, nonce = this.nonce) {
    return signTransaction(this.wallet, this.chain, type, nonce, body);
  }

  // Signs with the next nonce and posts with wait=commit. The nonce advances only if the node admitted it.
  async send(type, body, { wait = true } = {}) {
    const signed = await this.sign(type, body);
    const target = wait ? '/v1/tx?wait=commit&timeout_ms=10000' : '/v1/tx';
    const res = await request(this.node.port, 'POST', target, { body: signed.tx });
    if (res.status === 200 || res.status === 202) this.nonce += 1;
    return { ...res, id: signed.id, tx: signed.tx };
  }
}

module.exports = {
  BIN,
  initHome,
  loadWallet,
  freePort,
  request,
  sleep,
  startNode,
  signingText,
  signTransaction,
  Party,
  readAuthorization,
  remoteGet,
  canonicalize,
  tempDir,
};
