// RFC 8785 (JCS) canonical JSON, as DESIGN §3 signs it: object members sorted by the UTF-16 code units of
// their keys (JavaScript's default string order), no whitespace, strings and numbers as JSON.stringify
// writes them (ECMAScript Number::toString). Enough for OneBill transactions (no undefined, no cycles).
'use strict';

function canonicalize(value) {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('JCS: non-finite number');
    if (value === undefined) throw new Error('JCS: undefined');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map(canonicalize).join(',') + ']';
  const keys = Object.keys(value).sort();
  return '{' + keys.map((key) => JSON.stringify(key) + ':' + canonicalize(value[key])).join(',') + '}';
}

module.exports = { canonicalize };
