// Seeded random raw OpenAttestation v2 documents for tradetrust.test.js: nested objects and arrays, empty
// containers, null, booleans, integers and floats (exponents, -0, the extremes), unicode, control
// characters, quotes and backslashes in keys and values. Every document passes the v2 schema (issuers[0]
// with name, documentStore or tokenRegistry, DNS-TXT identityProof), so the library wraps it.
"use strict";

// mulberry32: small, fast, and the same sequence on every machine for a seed.
function generator(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  return { next, int, pick };
}

// Characters of keys and values; never '.', which OpenAttestation paths cannot hold, and never a lone
// surrogate, which is not UTF-8.
const PIECES = [
  "a", "b", "z", "K", "0", "7", " ", "-", "_", "$", "/", ":", "#", "@", "%",
  '"', "\\", "'", "\n", "\t", "\r", "\b", "\f", "\u0000", "\u0001", "\u001f", "\u007f",
  "é", "ü", "ß", "東", "京", "✓", "–", "\u2028", "\u2029", "\u00a0", "\ufeff", "😀", "𝄞",
  "[", "]", "{", "}", ",", "true", "null", "1e3", "uuid:", "string:",
];

function randomText(rng, maxPieces) {
  let text = "";
  const count = rng.int(maxPieces + 1);
  for (let i = 0; i < count; i += 1) text += rng.pick(PIECES);
  return text;
}

function randomKey(rng, topLevel) {
  // An empty key at the top level would flatten onto other paths (see tradetrust/hashing.h); OneBill
  // refuses that case, so the generator leaves it to the unit tests.
  for (;;) {
    const key = rng.int(6) === 0 ? rng.pick(["x", "name", "0", "12", "value", "a b"]) : randomText(rng, 5);
    if (topLevel && key === "") continue;
    if (key === "__proto__" || key === "constructor" || key === "prototype") continue;
    if (topLevel && ["issuers", "$template", "id", "recipient", "network", "attachments", "documentUrl", "version"]
      .includes(key)) continue;
    return key;
  }
}

const SPECIAL_NUMBERS = [0, -0, 1, -1, 0.1, 0.5, 1e21, 1e-7, 1.5e-7, 123456789012345680000, 2 ** 53, -(2 ** 53) - 2,
  5e-324, 1.7976931348623157e308, -1e-300, 12345678901234567890, 4.35, 0.000001, 1e20, 100];

function randomNumber(rng) {
  switch (rng.int(4)) {
    case 0: return rng.pick(SPECIAL_NUMBERS);
    case 1: return rng.int(2000001) - 1000000;
    case 2: return (rng.next() - 0.5) * 10 ** (rng.int(50) - 25);
    default: return Math.round((rng.next() - 0.5) * 2 ** 60);
  }
}

function randomValue(rng, depth) {
  const roll = rng.int(depth >= 4 ? 6 : 9);
  switch (roll) {
    case 0: case 1: return randomText(rng, 8);
    case 2: return randomNumber(rng);
    case 3: return rng.int(2) === 0;
    case 4: return null;
    case 5: return rng.pick(["", " padded ", "0x1234", "TO ORDER"]);
    case 6: case 7: {
      const object = {};
      const members = rng.int(4);
      for (let i = 0; i < members; i += 1) object[randomKey(rng, false)] = randomValue(rng, depth + 1);
      return object;
    }
    default: {
      const array = [];
      const elements = rng.int(4);
      for (let i = 0; i < elements; i += 1) array.push(randomValue(rng, depth + 1));
      return array;
    }
  }
}

function randomAddress(rng) {
  let hex = "0x";
  for (let i = 0; i < 40; i += 1) hex += "0123456789abcdef"[rng.int(16)];
  return hex;
}

function randomDocument(rng) {
  const issuer = {
    name: randomText(rng, 4) || "Issuer",
    identityProof: { type: "DNS-TXT", location: "issuer.test" },
  };
  issuer[rng.int(2) === 0 ? "documentStore" : "tokenRegistry"] = randomAddress(rng);
  const document = { issuers: [issuer] };
  const fields = 1 + rng.int(8);
  for (let i = 0; i < fields; i += 1) document[randomKey(rng, true)] = randomValue(rng, 1);
  return document;
}

module.exports = { generator, randomDocument };
