// node/peers: links between real nodes' peer ports on loopback: dialing, both-way messages, one link per
// pair, allowed keys, reconnecting after a peer restarts, scoring down.
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "node/peers.h"
#include "tests/unit/node/chain_fixture.h"

namespace {

using namespace onebill;
using namespace std::chrono_literals;
using node::Peers;
using node::PeersOptions;
using node::test::eventually;

PrivateKey key_of(std::uint8_t seed) {
  std::array<std::uint8_t, 32> secret{};
  secret.fill(seed);
  auto key = PrivateKey::from_bytes(secret);
  REQUIRE(key.ok());
  return *key;
}

struct Inbox {
  std::mutex mutex;
  std::vector<std::pair<Address, std::string>> messages;
  Peers::OnMessage callback() {
    return [this](const Address& from, std::string message) {
      std::lock_guard lock(mutex);
      messages.emplace_back(from, std::move(message));
    };
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
};

PeersOptions options(std::uint16_t port = 0, std::vector<std::uint16_t> dial = {}) {
  PeersOptions out;
  out.chain = "peers-test";
  out.listen = node::HostPort{"127.0.0.1", port};
  for (auto target : dial) out.dial.push_back(node::HostPort{"127.0.0.1", target});
  return out;
}

}  // namespace

TEST_CASE("a node dials its configured peer and messages flow both ways") {
  Inbox inbox_a, inbox_b;
  Peers b(options(), key_of(2), inbox_b.callback());
  REQUIRE(b.start().ok());
  CHECK_FALSE(b.any_linked());
  Peers a(options(0, {b.port()}), key_of(1), inbox_a.callback());
  REQUIRE(a.start().ok());
  REQUIRE(eventually([&] { return a.linked().size() == 1 && b.linked().size() == 1; }));
  CHECK(a.any_linked());
  CHECK(a.linked()[0].node == key_of(2).address());
  CHECK(b.linked()[0].node == key_of(1).address());
  a.broadcast("proposal");
  REQUIRE(b.send_to(key_of(1).address(), "vote"));
  REQUIRE(eventually([&] { return inbox_a.size() == 1 && inbox_b.size() == 1; }));
  CHECK(inbox_b.messages[0] == std::make_pair(key_of(1).address(), std::string("proposal")));
  CHECK(inbox_a.messages[0] == std::make_pair(key_of(2).address(), std::string("vote")));
}

TEST_CASE("two nodes dialing each other keep one link, the same at both ends") {
  Inbox inbox_a, inbox_b;
  Peers a(options(), key_of(1), inbox_a.callback());
  REQUIRE(a.start().ok());
  Peers b(options(0, {a.port()}), key_of(2), inbox_b.callback());
  REQUIRE(b.start().ok());
  Peers a2(options(0, {b.port()}), key_of(3), inbox_a.callback());  // a third node dials b too
  REQUIRE(a2.start().ok());
  REQUIRE(eventually([&] { return b.linked().size() == 2; }));
  std::this_thread::sleep_for(300ms);
  CHECK(a.linked().size() == 1);
  CHECK(b.linked().size() == 2);
  CHECK(a2.linked().size() == 1);
}

TEST_CASE("a node key outside the allowed set is not linked") {
  Inbox inbox_a, inbox_b;
  auto allowed = options();
  allowed.allowed = std::set<Address>{key_of(9).address()};
  Peers b(allowed, key_of(2), inbox_b.callback());
  REQUIRE(b.start().ok());
  Peers a(options(0, {b.port()}), key_of(1), inbox_a.callback());
  REQUIRE(a.start().ok());
  std::this_thread::sleep_for(500ms);
  CHECK(b.linked().empty());
  CHECK_FALSE(b.any_linked());
}

TEST_CASE("a peer that restarts is linked again, and one scored down to zero is cut off and refused") {
  Inbox inbox_a, inbox_b;
  auto b = std::make_unique<Peers>(options(), key_of(2), inbox_b.callback());
  REQUIRE(b->start().ok());
  const std::uint16_t port = b->port();
  Peers a(options(0, {port}), key_of(1), inbox_a.callback());
  REQUIRE(a.start().ok());
  REQUIRE(eventually([&] { return a.linked().size() == 1; }));
  b.reset();
  REQUIRE(eventually([&] { return a.linked().empty(); }));
  b = std::make_unique<Peers>(options(port), key_of(2), inbox_b.callback());
  REQUIRE(b->start().ok());
  REQUIRE(eventually([&] { return a.linked().size() == 1 && b->linked().size() == 1; }, 10000ms));
  a.score_down(key_of(2).address(), 40, "malformed message");
  CHECK(a.linked().size() == 1);
  a.score_down(key_of(2).address(), 60, "malformed message");
  CHECK(eventually([&] { return b->linked().empty(); }));
  std::this_thread::sleep_for(500ms);  // several dial attempts later: still refused
  CHECK(a.linked().empty());
}
