// The encrypted, authenticated link between two nodes (DESIGN §5 "Network"): a signed handshake and an
// AEAD stream, as Tendermint's SecretConnection does. TLS 1.3 is not used because its signature
// algorithms exclude secp256k1, and node keys are secp256k1 keys like every other OneBill key.
//
// Handshake (both sides send, then read; the same steps on each side):
//   1. "OneBill p2p v1\n" ‖ X25519 ephemeral public key (32 bytes), in the clear.
//   2. shared = X25519(own ephemeral, peer's ephemeral); refused when all zero (a low-order point).
//      lo, hi = the two ephemeral keys in byte order; transcript = keccak256("OneBill link v1\n" ‖ chain ‖
//      0x00 ‖ lo ‖ hi). Keys: HKDF-SHA256(ikm = shared, salt = transcript, info = "OneBill link keys")
//      → 64 bytes: the first 32 encrypt what lo's owner sends, the last 32 what hi's owner sends.
//   3. Each side sends, as its first encrypted frame, its node key's signature (65 bytes, low-s) of
//      keccak256("OneBill link auth v1\n" ‖ transcript); the peer's address is recovered from it. A
//      man in the middle cannot sign both transcripts, and a replayed signature names another transcript.
// Frames: u32be(length of ciphertext) ‖ ciphertext ‖ 16-byte Poly1305 tag; ChaCha20-Poly1305 with the
// direction's key and nonce = 4 zero bytes ‖ u64le(frame counter), so a dropped, replayed, reordered or
// altered frame fails authentication and ends the link.
//
// Untrusted input: a wrong magic, a frame longer than the limit, a failed tag or a bad signature end
// the handshake or link with a Problem ("peer"); nothing of it reaches the node.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"

namespace onebill::node {

class PeerLink {
 public:
  // Runs the handshake on a connected socket, blocking until done or `timeout`. On success the link
  // owns `fd` (closed by the destructor); on failure the caller still owns it.
  static Result<std::unique_ptr<PeerLink>> handshake(int fd, const PrivateKey& node_key,
                                                     std::string_view chain,
                                                     std::chrono::milliseconds timeout);
  ~PeerLink();
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  // The peer's node address, proven by its signature of this link's transcript.
  const Address& peer() const { return peer_; }

  // Sends one message (at most max_frame_bytes); blocks until written or `timeout`.
  Status send(std::string_view message, std::chrono::milliseconds timeout);
  // Sends these messages in order, their frames written together (one system call when the socket takes
  // them); the same frames as one send each.
  Status send(const std::vector<std::string>& messages, std::chrono::milliseconds timeout);
  // Receives one message; blocks until one arrives or `timeout` ("timeout" problem, link still good)
  // or the link fails ("peer": closed, oversized, failed tag).
  Result<std::string> receive(std::chrono::milliseconds timeout);
  // Ends the link for both directions (a blocked receive returns "peer").
  void shutdown();

  static constexpr std::size_t max_frame_bytes = (1u << 20) + (64u << 10);  // a full block + its proposal

  struct Keys;      // the two direction keys and frame counters (peer_link.cpp)
  struct Received;  // bytes received and not yet read (peer_link.cpp)

 private:
  PeerLink(int fd, Address peer, std::unique_ptr<Keys> keys, std::unique_ptr<Received> received);
  int fd_;
  Address peer_;
  std::unique_ptr<Keys> keys_;
  std::unique_ptr<Received> received_;
};

}  // namespace onebill::node
