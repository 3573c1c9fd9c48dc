#include "node/peer_link.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto/assert.h"
#include "crypto/hash.h"

namespace onebill::node {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view magic = "OneBill p2p v1\n";
constexpr std::size_t tag_bytes = 16;
constexpr auto frame_deadline = std::chrono::seconds(5);  // a started frame must finish within this

Problem peer_problem(std::string detail) {
  return invalid("peer", std::move(detail));
}

template <typename T, void (*Free)(T*)>
struct Owned {
  T* p;
  explicit Owned(T* pointer) : p(pointer) {}
  ~Owned() {
    if (p != nullptr) Free(p);
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
};
using PkeyCtx = Owned<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using Pkey = Owned<EVP_PKEY, EVP_PKEY_free>;
using CipherCtx = Owned<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

// Waits until fd is readable (or writable) or the deadline passes.
Status wait_for(int fd, short events, Clock::time_point deadline, bool timeout_is_failure) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      if (timeout_is_failure) return peer_problem("the peer did not answer in time");
      return invalid("timeout", "nothing arrived in time");
    }
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) return peer_problem(std::string("poll: ") + std::strerror(errno));
    if (ready > 0) return {};
  }
}

}  // namespace

// Bytes received but not yet read: frames that arrived together cost one recv, and a read waits (poll)
// only when nothing is buffered or waiting in the socket.
struct PeerLink::Received {
  static constexpr std::size_t capacity = 64 * 1024;
  std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(capacity);
  std::size_t begin = 0;
  std::size_t end = 0;
};

namespace {

Status read_exact(int fd, PeerLink::Received& received, std::uint8_t* out, std::size_t size,
                  Clock::time_point deadline, bool first_byte_may_time_out) {
  std::size_t done = 0;
  while (done < size) {
    if (received.begin < received.end) {
      const std::size_t n = std::min(size - done, received.end - received.begin);
      std::memcpy(out + done, received.bytes.data() + received.begin, n);
      received.begin += n;
      done += n;
      if (first_byte_may_time_out) deadline = std::max(deadline, Clock::now() + frame_deadline);
      continue;
    }
    received.begin = received.end = 0;
    // A large rest goes straight to `out`; a small one fills the buffer, with what follows it.
    const bool direct = size - done >= PeerLink::Received::capacity;
    std::uint8_t* into = direct ? out + done : received.bytes.data();
    const std::size_t room = direct ? size - done : PeerLink::Received::capacity;
    const ssize_t got = ::recv(fd, into, room, MSG_DONTWAIT);
    if (got == 0) return peer_problem("the peer closed the link");
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        ONEBILL_TRY(wait_for(fd, POLLIN, deadline, !(first_byte_may_time_out && done == 0)));
        continue;
      }
      if (errno == EINTR) continue;
      return peer_problem(std::string("recv: ") + std::strerror(errno));
    }
    if (direct) {
      done += static_cast<std::size_t>(got);
    } else {
      received.end = static_cast<std::size_t>(got);
    }
    if (first_byte_may_time_out) deadline = std::max(deadline, Clock::now() + frame_deadline);
  }
  return {};
}

Status write_all(int fd, const std::uint8_t* data, std::size_t size, Clock::time_point deadline) {
  std::size_t done = 0;
  while (done < size) {
    ONEBILL_TRY(wait_for(fd, POLLOUT, deadline, true));
    const ssize_t sent = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return peer_problem(std::string("send: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(sent);
  }
  return {};
}

void put_u32be(std::uint8_t* out, std::uint32_t value) {
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>(value & 0xff);
    value >>= 8;
  }
}

std::uint32_t get_u32be(const std::uint8_t* in) {
  return (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) | (std::uint32_t{in[2]} << 8) | in[3];
}

}  // namespace

// One direction's key and frame counter each way.
struct PeerLink::Keys {
  std::array<std::uint8_t, 32> send_key{};
  std::array<std::uint8_t, 32> receive_key{};
  std::uint64_t send_counter = 0;
  std::uint64_t receive_counter = 0;

  static std::array<std::uint8_t, 12> nonce(std::uint64_t counter) {
    std::array<std::uint8_t, 12> out{};
    for (std::size_t i = 0; i < 8; ++i) out[4 + i] = static_cast<std::uint8_t>(counter >> (8 * i));
    return out;
  }

  // ciphertext ‖ tag of `plain` under (key, counter).
  static Result<std::string> seal(const std::array<std::uint8_t, 32>& key, std::uint64_t counter,
                                  std::string_view plain) {
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    const auto iv = nonce(counter);
    std::string out(plain.size() + tag_bytes, '\0');
    int written = 0;
    int final_written = 0;
    auto* cipher_out = reinterpret_cast<unsigned char*>(out.data());
    if (ctx.p == nullptr ||
        EVP_EncryptInit_ex(ctx.p, EVP_chacha20_poly1305(), nullptr, key.data(), iv.data()) != 1 ||
        EVP_EncryptUpdate(ctx.p, cipher_out, &written, reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.p, cipher_out + written, &final_written) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.p, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tag_bytes),
                            cipher_out + plain.size()) != 1) {
      return local_fault("crypto", "ChaCha20-Poly1305 encryption failed");
    }
    return out;
  }

  static Result<std::string> open(const std::array<std::uint8_t, 32>& key, std::uint64_t counter,
                                  std::string_view sealed) {
    if (sealed.size() < tag_bytes) return peer_problem("a frame shorter than its tag");
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    const auto iv = nonce(counter);
    const std::size_t size = sealed.size() - tag_bytes;
    std::string out(size, '\0');
    std::array<std::uint8_t, tag_bytes> tag{};
    std::memcpy(tag.data(), sealed.data() + size, tag_bytes);
    int written = 0;
    int final_written = 0;
    auto* plain_out = reinterpret_cast<unsigned char*>(out.data());
    if (ctx.p == nullptr ||
        EVP_DecryptInit_ex(ctx.p, EVP_chacha20_poly1305(), nullptr, key.data(), iv.data()) != 1 ||
        EVP_DecryptUpdate(ctx.p, plain_out, &written, reinterpret_cast<const unsigned char*>(sealed.data()),
                          static_cast<int>(size)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.p, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tag_bytes), tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.p, plain_out + written, &final_written) != 1) {
      return peer_problem("a frame failed authentication");
    }
    return out;
  }
};

namespace {

// Appends the frame of `message` (length ‖ ciphertext ‖ tag) to `out`.
Status append_frame(std::string& out, PeerLink::Keys& keys, std::string_view message) {
  auto sealed = PeerLink::Keys::seal(keys.send_key, keys.send_counter, message);
  ONEBILL_TRY(sealed);
  ++keys.send_counter;
  std::array<std::uint8_t, 4> length{};
  put_u32be(length.data(), static_cast<std::uint32_t>(sealed->size()));
  out.append(reinterpret_cast<const char*>(length.data()), length.size());
  out += *sealed;
  return {};
}

Status send_frame(int fd, PeerLink::Keys& keys, std::string_view message, Clock::time_point deadline) {
  std::string frame;
  ONEBILL_TRY(append_frame(frame, keys, message));
  return write_all(fd, reinterpret_cast<const std::uint8_t*>(frame.data()), frame.size(), deadline);
}

Result<std::string> receive_frame(int fd, PeerLink::Received& received, PeerLink::Keys& keys,
                                  Clock::time_point deadline, bool may_time_out) {
  std::array<std::uint8_t, 4> length_bytes{};
  ONEBILL_TRY(read_exact(fd, received, length_bytes.data(), length_bytes.size(), deadline, may_time_out));
  const std::uint32_t length = get_u32be(length_bytes.data());
  if (length < tag_bytes || length > PeerLink::max_frame_bytes + tag_bytes)
    return peer_problem("a frame of " + std::to_string(length) + " bytes is outside the limits");
  std::string sealed(length, '\0');
  ONEBILL_TRY(read_exact(fd, received, reinterpret_cast<std::uint8_t*>(sealed.data()), sealed.size(),
                         std::max(deadline, Clock::now() + frame_deadline), false));
  auto plain = PeerLink::Keys::open(keys.receive_key, keys.receive_counter, sealed);
  ONEBILL_TRY(plain);
  ++keys.receive_counter;
  return plain;
}

Hash32 auth_digest(const Hash32& transcript) {
  return Keccak256().update("OneBill link auth v1\n").update(ByteView(transcript)).finish();
}

}  // namespace

PeerLink::PeerLink(int fd, Address peer, std::unique_ptr<Keys> keys, std::unique_ptr<Received> received)
    : fd_(fd), peer_(peer), keys_(std::move(keys)), received_(std::move(received)) {}

PeerLink::~PeerLink() {
  ::close(fd_);
}

void PeerLink::shutdown() {
  ::shutdown(fd_, SHUT_RDWR);
}

Result<std::unique_ptr<PeerLink>> PeerLink::handshake(int fd, const PrivateKey& node_key,
                                                      std::string_view chain,
                                                      std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // What the peer sends after its handshake may arrive with it: the link reads on from this buffer.
  auto received = std::make_unique<Received>();

  // 1. Ephemeral X25519 keys, exchanged in the clear after the magic.
  PkeyCtx keygen(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  EVP_PKEY* generated = nullptr;
  if (keygen.p == nullptr || EVP_PKEY_keygen_init(keygen.p) != 1 ||
      EVP_PKEY_keygen(keygen.p, &generated) != 1)
    return local_fault("crypto", "X25519 key generation failed");
  Pkey own(generated);
  std::array<std::uint8_t, 32> own_public{};
  std::size_t public_size = own_public.size();
  if (EVP_PKEY_get_raw_public_key(own.p, own_public.data(), &public_size) != 1 || public_size != 32)
    return local_fault("crypto", "X25519 public key export failed");
  std::string hello(magic);
  hello.append(reinterpret_cast<const char*>(own_public.data()), own_public.size());
  ONEBILL_TRY(write_all(fd, reinterpret_cast<const std::uint8_t*>(hello.data()), hello.size(), deadline));
  std::array<std::uint8_t, magic.size() + 32> peer_hello{};
  ONEBILL_TRY(read_exact(fd, *received, peer_hello.data(), peer_hello.size(), deadline, false));
  if (std::memcmp(peer_hello.data(), magic.data(), magic.size()) != 0)
    return peer_problem("the peer does not speak OneBill p2p v1");
  std::array<std::uint8_t, 32> peer_public{};
  std::memcpy(peer_public.data(), peer_hello.data() + magic.size(), 32);
  if (peer_public == own_public) return peer_problem("the peer echoed our ephemeral key");

  // 2. The shared secret, the transcript and the two direction keys.
  Pkey peer_key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(), peer_public.size()));
  if (peer_key.p == nullptr) return peer_problem("the peer's ephemeral key is not an X25519 key");
  PkeyCtx derive(EVP_PKEY_CTX_new(own.p, nullptr));
  std::array<std::uint8_t, 32> shared{};
  std::size_t shared_size = shared.size();
  if (derive.p == nullptr || EVP_PKEY_derive_init(derive.p) != 1 ||
      EVP_PKEY_derive_set_peer(derive.p, peer_key.p) != 1 ||
      EVP_PKEY_derive(derive.p, shared.data(), &shared_size) != 1 || shared_size != 32)
    return peer_problem("the peer's ephemeral key gives no shared secret");
  if (std::all_of(shared.begin(), shared.end(), [](std::uint8_t b) { return b == 0; }))
    return peer_problem("the peer's ephemeral key is a low-order point");
  const bool own_is_lo = own_public < peer_public;
  const auto& lo = own_is_lo ? own_public : peer_public;
  const auto& hi = own_is_lo ? peer_public : own_public;
  const Hash32 transcript = Keccak256()
                                .update("OneBill link v1\n")
                                .update(chain)
                                .update(std::string_view("\0", 1))
                                .update(ByteView(lo))
                                .update(ByteView(hi))
                                .finish();
  std::array<std::uint8_t, 64> okm{};
  {
    PkeyCtx hkdf(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
    std::size_t okm_size = okm.size();
    constexpr std::string_view info = "OneBill link keys";
    if (hkdf.p == nullptr || EVP_PKEY_derive_init(hkdf.p) != 1 ||
        EVP_PKEY_CTX_set_hkdf_md(hkdf.p, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set1_hkdf_salt(hkdf.p, transcript.data(), static_cast<int>(transcript.size())) != 1 ||
        EVP_PKEY_CTX_set1_hkdf_key(hkdf.p, shared.data(), static_cast<int>(shared.size())) != 1 ||
        EVP_PKEY_CTX_add1_hkdf_info(hkdf.p, reinterpret_cast<const unsigned char*>(info.data()),
                                    static_cast<int>(info.size())) != 1 ||
        EVP_PKEY_derive(hkdf.p, okm.data(), &okm_size) != 1 || okm_size != okm.size())
      return local_fault("crypto", "HKDF failed");
  }
  auto keys = std::make_unique<Keys>();
  std::copy_n(okm.begin() + (own_is_lo ? 0 : 32), 32, keys->send_key.begin());
  std::copy_n(okm.begin() + (own_is_lo ? 32 : 0), 32, keys->receive_key.begin());

  // 3. Each side proves its node key by signing the transcript, inside the encrypted stream.
  const Signature signature = node_key.sign_digest(auth_digest(transcript));
  ONEBILL_TRY(send_frame(fd, *keys,
                         std::string_view(reinterpret_cast<const char*>(signature.data()), signature.size()),
                         deadline));
  auto peer_signature_text = receive_frame(fd, *received, *keys, deadline, false);
  ONEBILL_TRY(peer_signature_text);
  if (peer_signature_text->size() != 65)
    return peer_problem("the peer's handshake signature is not 65 bytes");
  Signature peer_signature{};
  std::memcpy(peer_signature.data(), peer_signature_text->data(), 65);
  auto peer_address = recover_address(auth_digest(transcript), peer_signature);
  if (!peer_address) return peer_problem("the peer's handshake signature does not verify");
  return std::unique_ptr<PeerLink>(new PeerLink(fd, *peer_address, std::move(keys), std::move(received)));
}

Status PeerLink::send(std::string_view message, std::chrono::milliseconds timeout) {
  if (message.size() > max_frame_bytes)
    return invalid("too-large", "a peer message of " + std::to_string(message.size()) + " bytes");
  return send_frame(fd_, *keys_, message, Clock::now() + timeout);
}

Status PeerLink::send(const std::vector<std::string>& messages, std::chrono::milliseconds timeout) {
  std::size_t size = 0;
  for (const auto& message : messages) {
    if (message.size() > max_frame_bytes)
      return invalid("too-large", "a peer message of " + std::to_string(message.size()) + " bytes");
    size += 4 + message.size() + tag_bytes;
  }
  std::string frames;
  frames.reserve(size);
  const std::uint64_t first_counter = keys_->send_counter;
  for (const auto& message : messages) {
    const Status appended = append_frame(frames, *keys_, message);
    if (!appended) {
      keys_->send_counter = first_counter;  // nothing was written: the next frame takes the same counter
      return appended;
    }
  }
  return write_all(fd_, reinterpret_cast<const std::uint8_t*>(frames.data()), frames.size(),
                   Clock::now() + timeout);
}

Result<std::string> PeerLink::receive(std::chrono::milliseconds timeout) {
  return receive_frame(fd_, *received_, *keys_, Clock::now() + timeout, true);
}

}  // namespace onebill::node
