#include "crypto/hash.h"

#include <openssl/evp.h>

#include <algorithm>
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

// Rotation offsets and lane order of the combined rho and pi steps, walking the lanes from (1, 0).
constexpr unsigned kRho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                               27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr unsigned kPi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                              15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

constexpr std::uint64_t rotl(std::uint64_t x, unsigned n) {
  return (x << n) | (x >> (64 - n));
}

void keccak_f1600(std::uint64_t a[25]) {
  for (std::uint64_t round_constant : kRoundConstants) {
    // theta
    std::uint64_t c[5];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      const std::uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[y + x] ^= d;
    }
    // rho and pi
    std::uint64_t current = a[1];
    for (int i = 0; i < 24; ++i) {
      const std::uint64_t next = a[kPi[i]];
      a[kPi[i]] = rotl(current, kRho[i]);
      current = next;
    }
    // chi
    for (int y = 0; y < 25; y += 5) {
      std::uint64_t row[5];
      for (int x = 0; x < 5; ++x) row[x] = a[y + x];
      for (int x = 0; x < 5; ++x) a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
    }
    // iota
    a[0] ^= round_constant;
  }
}

constexpr std::size_t kRateBytes = 136;  // 1600 - 2 * 256 bits of capacity, in bytes

// Lanes are little-endian (FIPS 202 §B.1), whatever the host order.
void absorb_block(std::uint64_t state[25], const std::uint8_t* block) {
  for (std::size_t lane = 0; lane < kRateBytes / 8; ++lane) {
    std::uint64_t value = 0;
    for (std::size_t b = 0; b < 8; ++b) value |= std::uint64_t{block[lane * 8 + b]} << (8 * b);
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
