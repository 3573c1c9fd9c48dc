// node/peer_link: the signed handshake and the AEAD stream between two nodes, over real sockets.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include "crypto/hex.h"
#include "node/peer_link.h"

namespace {

using namespace onebill;
using node::PeerLink;
using namespace std::chrono_literals;

PrivateKey key_of(std::uint8_t seed) {
  std::array<std::uint8_t, 32> secret{};
  secret.fill(seed);
  auto key = PrivateKey::from_bytes(secret);
  REQUIRE(key.ok());
  return *key;
}

// The other end's handshake on its own thread (std::async's future trips GCC 12's
// -Wfree-nonheap-object on this result type).
struct OtherEnd {
  std::unique_ptr<PeerLink> link;
  std::optional<Problem> problem;
  std::thread thread;
  OtherEnd(int fd, const PrivateKey& key, std::string chain) {
    thread = std::thread([this, fd, key, chain] {
      auto result = PeerLink::handshake(fd, key, chain, 2000ms);
      if (result.ok())
        link = std::move(*result);
      else
        problem = result.problem();
    });
  }
  void join() { thread.join(); }
};

struct Linked {
  std::unique_ptr<PeerLink> a;
  std::unique_ptr<PeerLink> b;
};

Linked link_up(const PrivateKey& key_a, const PrivateKey& key_b, std::string chain_a = "c",
               std::string chain_b = "c") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  OtherEnd other(fds[1], key_b, chain_b);
  auto mine = PeerLink::handshake(fds[0], key_a, chain_a, 2000ms);
  Linked linked;
  if (mine.ok())
    linked.a = std::move(*mine);
  else
    ::close(fds[0]);
  if (!mine.ok()) ::shutdown(fds[1], SHUT_RDWR);  // let the other end fail fast
  other.join();
  if (other.link)
    linked.b = std::move(other.link);
  else
    ::close(fds[1]);
  return linked;
}

}  // namespace

TEST_CASE("each side of a link learns the other's node address from its signature") {
  const PrivateKey a = key_of(1), b = key_of(2);
  auto linked = link_up(a, b);
  REQUIRE(linked.a);
  REQUIRE(linked.b);
  CHECK(linked.a->peer() == b.address());
  CHECK(linked.b->peer() == a.address());
}

TEST_CASE("messages cross a link both ways, in order, up to the frame limit") {
  auto linked = link_up(key_of(1), key_of(2));
  REQUIRE(linked.a);
  REQUIRE(linked.b);
  const std::string big(PeerLink::max_frame_bytes, 'x');
  bool sent = true;
  std::thread sender([&] {
    for (int i = 0; i < 50; ++i) sent = sent && linked.a->send("message " + std::to_string(i), 2000ms).ok();
    sent = sent && linked.a->send(big, 5000ms).ok();
  });
  for (int i = 0; i < 50; ++i) {
    auto got = linked.b->receive(2000ms);
    REQUIRE(got.ok());
    CHECK(*got == "message " + std::to_string(i));
  }
  auto got = linked.b->receive(5000ms);
  REQUIRE(got.ok());
  CHECK(*got == big);
  sender.join();
  CHECK(sent);
  REQUIRE(linked.b->send("back", 1000ms).ok());
  auto back = linked.a->receive(1000ms);
  REQUIRE(back.ok());
  CHECK(*back == "back");
  CHECK(linked.a->send(big + "y", 1000ms).problem().rule == "too-large");
}

TEST_CASE("messages sent together arrive one by one, in order, whatever sizes arrive in one read") {
  auto linked = link_up(key_of(1), key_of(2));
  REQUIRE(linked.a);
  REQUIRE(linked.b);
  // Small frames that share reads, a frame larger than the reader's buffer between them, an empty one.
  std::vector<std::string> batch;
  for (int i = 0; i < 300; ++i) batch.push_back("small " + std::to_string(i));
  batch.push_back(std::string(200 * 1024, 'z'));
  batch.push_back("");
  for (int i = 0; i < 3; ++i) batch.push_back("after " + std::to_string(i));
  bool sent = true;
  std::thread sender([&] {
    sent = linked.a->send(batch, 5000ms).ok();
    sent = sent && linked.a->send("single", 1000ms).ok();
  });
  for (const auto& expected : batch) {
    auto got = linked.b->receive(5000ms);
    REQUIRE(got.ok());
    CHECK(*got == expected);
  }
  auto single = linked.b->receive(1000ms);
  REQUIRE(single.ok());
  CHECK(*single == "single");
  sender.join();
  CHECK(sent);
  std::vector<std::string> too_large{"fine", std::string(PeerLink::max_frame_bytes + 1, 'x')};
  CHECK(linked.a->send(too_large, 1000ms).problem().rule == "too-large");
  // Nothing of the refused batch left: the link goes on with the next message.
  REQUIRE(linked.a->send("next", 1000ms).ok());
  auto next = linked.b->receive(1000ms);
  REQUIRE(next.ok());
  CHECK(*next == "next");
}

TEST_CASE("nodes of different chains cannot link") {
  auto linked = link_up(key_of(1), key_of(2), "chain-a", "chain-b");
  CHECK(!linked.a);
  CHECK(!linked.b);
}

TEST_CASE("a receive with nothing sent times out and leaves the link usable") {
  auto linked = link_up(key_of(1), key_of(2));
  REQUIRE(linked.a);
  auto nothing = linked.b->receive(50ms);
  REQUIRE(!nothing.ok());
  CHECK(nothing.problem().rule == "timeout");
  REQUIRE(linked.a->send("later", 1000ms).ok());
  auto later = linked.b->receive(1000ms);
  REQUIRE(later.ok());
  CHECK(*later == "later");
}

TEST_CASE("a peer that does not speak the protocol, or says nothing, is refused") {
  const PrivateKey a = key_of(1);
  {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    const std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789012345678";
    REQUIRE(::write(fds[1], junk.data(), junk.size()) == static_cast<ssize_t>(junk.size()));
    auto link = PeerLink::handshake(fds[0], a, "c", 500ms);
    REQUIRE(!link.ok());
    CHECK(link.problem().rule == "peer");
    ::close(fds[0]);
    ::close(fds[1]);
  }
  {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    auto link = PeerLink::handshake(fds[0], a, "c", 100ms);
    REQUIRE(!link.ok());
    CHECK(link.problem().rule == "peer");
    ::close(fds[0]);
    ::close(fds[1]);
  }
}

TEST_CASE("an altered frame ends the link") {
  // A relay between the two ends that flips one byte of the first frame after the handshake.
  const PrivateKey a = key_of(1), b = key_of(2);
  int left[2], right[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, left) == 0);
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, right) == 0);
  // Handshake frames: 47 bytes of hello and 4 + 65 + 16 of signature per direction.
  constexpr std::size_t handshake_bytes = 15 + 32 + 4 + 65 + 16;
  std::thread a_to_b([&] {
    std::vector<std::uint8_t> buffer(4096);
    std::size_t passed = 0;
    for (;;) {
      const ssize_t got = ::read(left[1], buffer.data(), buffer.size());
      if (got <= 0) break;
      for (ssize_t i = 0; i < got; ++i, ++passed)
        if (passed == handshake_bytes + 10) buffer[static_cast<std::size_t>(i)] ^= 1;
      if (::write(right[0], buffer.data(), static_cast<std::size_t>(got)) != got) break;
    }
    ::shutdown(right[0], SHUT_WR);
  });
  std::thread b_to_a([&] {
    std::vector<std::uint8_t> buffer(4096);
    for (;;) {
      const ssize_t got = ::read(right[0], buffer.data(), buffer.size());
      if (got <= 0) break;
      if (::write(left[1], buffer.data(), static_cast<std::size_t>(got)) != got) break;
    }
    ::shutdown(left[1], SHUT_WR);
  });
  OtherEnd other(right[1], b, "c");
  auto mine = PeerLink::handshake(left[0], a, "c", 2000ms);
  other.join();
  REQUIRE(mine.ok());
  REQUIRE(other.link);
  REQUIRE((*mine)->send("pay 100 to the carrier", 1000ms).ok());
  auto altered = other.link->receive(1000ms);
  REQUIRE(!altered.ok());
  CHECK(altered.problem().rule == "peer");
  (*mine)->shutdown();
  other.link->shutdown();
  a_to_b.join();
  b_to_a.join();
  ::close(left[1]);
  ::close(right[0]);
}

TEST_CASE("a frame announcing more than the limit ends the link before anything is read into memory") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  OtherEnd other(fds[1], key_of(2), "c");
  auto mine = PeerLink::handshake(fds[0], key_of(1), "c", 2000ms);
  other.join();
  REQUIRE(mine.ok());
  REQUIRE(other.link);
  const unsigned char huge[4] = {0xff, 0xff, 0xff, 0xff};
  REQUIRE(::write(fds[1], huge, 4) == 4);  // raw bytes on the other end's socket, as a hostile peer would
  auto got = (*mine)->receive(1000ms);
  REQUIRE(!got.ok());
  CHECK(got.problem().rule == "peer");
  CHECK(got.problem().detail.find("outside the limits") != std::string::npos);
}
