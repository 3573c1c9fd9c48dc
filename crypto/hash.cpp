#include "crypto/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "crypto/assert.h"

namespace onebill {
namespace {

// Keccak-f[1600] (FIPS 202 §3, the permutation shared by Keccak and SHA-3).
constexpr std::uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// The permutation with the 25 lanes in local variables (aXY is lane x + 5y), so that the compiler
// keeps them in registers; each iteration runs two rounds, from a into e and back. Written out in
// full: the loop-and-table form kept the state in memory and was a quarter of the simulator's time.
// Rotation offsets: FIPS 202 Table 2; pi moves lane (x, y) to (y, 2x + 3y).
void keccak_f1600(std::uint64_t a[25]) {
  std::uint64_t a00 = a[0];
  std::uint64_t a10 = a[1];
  std::uint64_t a20 = a[2];
  std::uint64_t a30 = a[3];
  std::uint64_t a40 = a[4];
  std::uint64_t a01 = a[5];
  std::uint64_t a11 = a[6];
  std::uint64_t a21 = a[7];
  std::uint64_t a31 = a[8];
  std::uint64_t a41 = a[9];
  std::uint64_t a02 = a[10];
  std::uint64_t a12 = a[11];
  std::uint64_t a22 = a[12];
  std::uint64_t a32 = a[13];
  std::uint64_t a42 = a[14];
  std::uint64_t a03 = a[15];
  std::uint64_t a13 = a[16];
  std::uint64_t a23 = a[17];
  std::uint64_t a33 = a[18];
  std::uint64_t a43 = a[19];
  std::uint64_t a04 = a[20];
  std::uint64_t a14 = a[21];
  std::uint64_t a24 = a[22];
  std::uint64_t a34 = a[23];
  std::uint64_t a44 = a[24];
  std::uint64_t e00, e10, e20, e30, e40, e01, e11, e21, e31, e41, e02, e12, e22, e32, e42, e03, e13, e23, e33,
      e43, e04, e14, e24, e34, e44;
  std::uint64_t b0, b1, b2, b3, b4, c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
  for (std::size_t round = 0; round < 24; round += 2) {
    c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04;
    c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14;
    c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24;
    c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34;
    c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44;
    d0 = c4 ^ std::rotl(c1, 1);
    d1 = c0 ^ std::rotl(c2, 1);
    d2 = c1 ^ std::rotl(c3, 1);
    d3 = c2 ^ std::rotl(c4, 1);
    d4 = c3 ^ std::rotl(c0, 1);
    b0 = a00 ^ d0;
    b1 = std::rotl(a11 ^ d1, 44);
    b2 = std::rotl(a22 ^ d2, 43);
    b3 = std::rotl(a33 ^ d3, 21);
    b4 = std::rotl(a44 ^ d4, 14);
    e00 = b0 ^ (~b1 & b2) ^ kRoundConstants[round];
    e10 = b1 ^ (~b2 & b3);
    e20 = b2 ^ (~b3 & b4);
    e30 = b3 ^ (~b4 & b0);
    e40 = b4 ^ (~b0 & b1);
    b0 = std::rotl(a30 ^ d3, 28);
    b1 = std::rotl(a41 ^ d4, 20);
    b2 = std::rotl(a02 ^ d0, 3);
    b3 = std::rotl(a13 ^ d1, 45);
    b4 = std::rotl(a24 ^ d2, 61);
    e01 = b0 ^ (~b1 & b2);
    e11 = b1 ^ (~b2 & b3);
    e21 = b2 ^ (~b3 & b4);
    e31 = b3 ^ (~b4 & b0);
    e41 = b4 ^ (~b0 & b1);
    b0 = std::rotl(a10 ^ d1, 1);
    b1 = std::rotl(a21 ^ d2, 6);
    b2 = std::rotl(a32 ^ d3, 25);
    b3 = std::rotl(a43 ^ d4, 8);
    b4 = std::rotl(a04 ^ d0, 18);
    e02 = b0 ^ (~b1 & b2);
    e12 = b1 ^ (~b2 & b3);
    e22 = b2 ^ (~b3 & b4);
    e32 = b3 ^ (~b4 & b0);
    e42 = b4 ^ (~b0 & b1);
    b0 = std::rotl(a40 ^ d4, 27);
    b1 = std::rotl(a01 ^ d0, 36);
    b2 = std::rotl(a12 ^ d1, 10);
    b3 = std::rotl(a23 ^ d2, 15);
    b4 = std::rotl(a34 ^ d3, 56);
    e03 = b0 ^ (~b1 & b2);
    e13 = b1 ^ (~b2 & b3);
    e23 = b2 ^ (~b3 & b4);
    e33 = b3 ^ (~b4 & b0);
    e43 = b4 ^ (~b0 & b1);
    b0 = std::rotl(a20 ^ d2, 62);
    b1 = std::rotl(a31 ^ d3, 55);
    b2 = std::rotl(a42 ^ d4, 39);
    b3 = std::rotl(a03 ^ d0, 41);
    b4 = std::rotl(a14 ^ d1, 2);
    e04 = b0 ^ (~b1 & b2);
    e14 = b1 ^ (~b2 & b3);
    e24 = b2 ^ (~b3 & b4);
    e34 = b3 ^ (~b4 & b0);
    e44 = b4 ^ (~b0 & b1);
    c0 = e00 ^ e01 ^ e02 ^ e03 ^ e04;
    c1 = e10 ^ e11 ^ e12 ^ e13 ^ e14;
    c2 = e20 ^ e21 ^ e22 ^ e23 ^ e24;
    c3 = e30 ^ e31 ^ e32 ^ e33 ^ e34;
    c4 = e40 ^ e41 ^ e42 ^ e43 ^ e44;
    d0 = c4 ^ std::rotl(c1, 1);
    d1 = c0 ^ std::rotl(c2, 1);
    d2 = c1 ^ std::rotl(c3, 1);
    d3 = c2 ^ std::rotl(c4, 1);
    d4 = c3 ^ std::rotl(c0, 1);
    b0 = e00 ^ d0;
    b1 = std::rotl(e11 ^ d1, 44);
    b2 = std::rotl(e22 ^ d2, 43);
    b3 = std::rotl(e33 ^ d3, 21);
    b4 = std::rotl(e44 ^ d4, 14);
    a00 = b0 ^ (~b1 & b2) ^ kRoundConstants[round + 1];
    a10 = b1 ^ (~b2 & b3);
    a20 = b2 ^ (~b3 & b4);
    a30 = b3 ^ (~b4 & b0);
    a40 = b4 ^ (~b0 & b1);
    b0 = std::rotl(e30 ^ d3, 28);
    b1 = std::rotl(e41 ^ d4, 20);
    b2 = std::rotl(e02 ^ d0, 3);
    b3 = std::rotl(e13 ^ d1, 45);
    b4 = std::rotl(e24 ^ d2, 61);
    a01 = b0 ^ (~b1 & b2);
    a11 = b1 ^ (~b2 & b3);
    a21 = b2 ^ (~b3 & b4);
    a31 = b3 ^ (~b4 & b0);
    a41 = b4 ^ (~b0 & b1);
    b0 = std::rotl(e10 ^ d1, 1);
    b1 = std::rotl(e21 ^ d2, 6);
    b2 = std::rotl(e32 ^ d3, 25);
    b3 = std::rotl(e43 ^ d4, 8);
    b4 = std::rotl(e04 ^ d0, 18);
    a02 = b0 ^ (~b1 & b2);
    a12 = b1 ^ (~b2 & b3);
    a22 = b2 ^ (~b3 & b4);
    a32 = b3 ^ (~b4 & b0);
    a42 = b4 ^ (~b0 & b1);
    b0 = std::rotl(e40 ^ d4, 27);
    b1 = std::rotl(e01 ^ d0, 36);
    b2 = std::rotl(e12 ^ d1, 10);
    b3 = std::rotl(e23 ^ d2, 15);
    b4 = std::rotl(e34 ^ d3, 56);
    a03 = b0 ^ (~b1 & b2);
    a13 = b1 ^ (~b2 & b3);
    a23 = b2 ^ (~b3 & b4);
    a33 = b3 ^ (~b4 & b0);
    a43 = b4 ^ (~b0 & b1);
    b0 = std::rotl(e20 ^ d2, 62);
    b1 = std::rotl(e31 ^ d3, 55);
    b2 = std::rotl(e42 ^ d4, 39);
    b3 = std::rotl(e03 ^ d0, 41);
    b4 = std::rotl(e14 ^ d1, 2);
    a04 = b0 ^ (~b1 & b2);
    a14 = b1 ^ (~b2 & b3);
    a24 = b2 ^ (~b3 & b4);
    a34 = b3 ^ (~b4 & b0);
    a44 = b4 ^ (~b0 & b1);
  }
  a[0] = a00;
  a[1] = a10;
  a[2] = a20;
  a[3] = a30;
  a[4] = a40;
  a[5] = a01;
  a[6] = a11;
  a[7] = a21;
  a[8] = a31;
  a[9] = a41;
  a[10] = a02;
  a[11] = a12;
  a[12] = a22;
  a[13] = a32;
  a[14] = a42;
  a[15] = a03;
  a[16] = a13;
  a[17] = a23;
  a[18] = a33;
  a[19] = a43;
  a[20] = a04;
  a[21] = a14;
  a[22] = a24;
  a[23] = a34;
  a[24] = a44;
}

constexpr std::size_t kRateBytes = 136;  // 1600 - 2 * 256 bits of capacity, in bytes

// Lanes are little-endian (FIPS 202 §B.1), whatever the host order.
void absorb_block(std::uint64_t state[25], const std::uint8_t* block) {
  for (std::size_t lane = 0; lane < kRateBytes / 8; ++lane) {
    std::uint64_t value = 0;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(&value, block + lane * 8, 8);
    } else {
      for (std::size_t b = 0; b < 8; ++b) value |= std::uint64_t{block[lane * 8 + b]} << (8 * b);
    }
    state[lane] ^= value;
  }
  keccak_f1600(state);
}

}  // namespace

Keccak256::Keccak256() {
  std::memset(state_, 0, sizeof state_);
  std::memset(buffer_, 0, sizeof buffer_);
}

Keccak256& Keccak256::update(ByteView data) {
  ONEBILL_ASSERT(buffered_ < kRateBytes);
  std::size_t offset = 0;
  if (buffered_ > 0) {
    const std::size_t take = std::min(kRateBytes - buffered_, data.size());
    std::memcpy(buffer_ + buffered_, data.data(), take);
    buffered_ += take;
    offset = take;
    if (buffered_ < kRateBytes) return *this;
    absorb_block(state_, buffer_);
    buffered_ = 0;
  }
  while (data.size() - offset >= kRateBytes) {
    absorb_block(state_, data.data() + offset);
    offset += kRateBytes;
  }
  const std::size_t rest = data.size() - offset;
  if (rest > 0) std::memcpy(buffer_, data.data() + offset, rest);
  buffered_ = rest;
  return *this;
}

Hash32 Keccak256::finish() {
  ONEBILL_ASSERT(buffered_ < kRateBytes);
  // Keccak's original multi-rate padding: 0x01 ... 0x80 (NIST SHA3 uses 0x06 instead).
  std::memset(buffer_ + buffered_, 0, kRateBytes - buffered_);
  buffer_[buffered_] ^= 0x01;
  buffer_[kRateBytes - 1] ^= 0x80;
  absorb_block(state_, buffer_);
  Hash32 out;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(state_[i / 8] >> (8 * (i % 8)));
  // Leave the object as new, so a second finish() hashes the empty input rather than garbage.
  *this = Keccak256();
  return out;
}

Hash32 keccak256(ByteView data) {
  return Keccak256().update(data).finish();
}

Hash32 sha256(ByteView data) {
  Hash32 out;
  unsigned int length = 0;
  // EVP_Digest fails only when OpenSSL itself is broken (no SHA-256 provider): a local fault we
  // cannot hash around.
  const int ok = EVP_Digest(data.data(), data.size(), out.data(), &length, EVP_sha256(), nullptr);
  ONEBILL_ASSERT(ok == 1 && length == out.size());
  return out;
}

}  // namespace onebill
