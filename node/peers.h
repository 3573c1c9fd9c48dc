// The node's peer links (DESIGN §5 "Network"): it listens on its peer port, dials the peers of its
// config, and keeps one encrypted, authenticated link (node/peer_link.h) per peer node. Messages are
// opaque byte strings here; what they mean (transactions, proposals, votes, blocks) is the caller's.
//
// Threads: one accepting, one dialing per configured peer (reconnecting with backoff, 100 ms doubling
// to 5 s), and per link one reading and one writing. Each link's send queue is bounded: when a slow
// peer's queue is full, the oldest message is dropped (gossip repeats what matters). A peer whose
// messages the caller finds malformed is scored down (score_down) and cut off at zero; a cut-off peer
// is refused for `ban` (one minute by default), then may link again with a fresh score.
//
// Two links to one peer (both dialed at once): the one dialed by the lower node address is kept, the
// other closed, so both ends keep the same link.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/address.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"
#include "node/config.h"
#include "node/peer_link.h"

namespace onebill::node {

struct PeersOptions {
  std::string chain;
  HostPort listen;                           // port 0: any free port (see Peers::port())
  std::vector<HostPort> dial;                // the peers of the config
  std::optional<std::set<Address>> allowed;  // node addresses allowed to link; nullopt: any
  std::size_t queue_messages = 1024;         // per-link send queue bound
  int initial_score = 100;
  std::chrono::milliseconds ban{60'000};
};

struct PeerInfo {
  Address node;
  std::string remote;  // host:port as seen
  bool dialed = false;
  int score = 0;
};

class Peers {
 public:
  // on_message(from, message) runs on the link's reading thread; keep it short (queue the work).
  using OnMessage = std::function<void(const Address& from, std::string message)>;
  Peers(PeersOptions options, PrivateKey node_key, OnMessage on_message);
  ~Peers();
  Peers(const Peers&) = delete;
  Peers& operator=(const Peers&) = delete;

  // Binds the peer port and starts the threads. Problems: local fault "config" (cannot bind).
  Status start();
  void stop();
  std::uint16_t port() const { return port_; }

  // Queues `message` for every linked peer, or for one; false when that peer is not linked.
  void broadcast(const std::string& message);
  // Queues `message` for every linked peer but `except` (relaying what `except` sent onwards).
  void broadcast_except(const Address& except, const std::string& message);
  bool send_to(const Address& peer, const std::string& message);
  // Lowers a peer's score for a malformed or useless message; at zero or below the link is cut.
  void score_down(const Address& peer, int amount, std::string_view why);
  std::vector<PeerInfo> linked() const;
  bool any_linked() const;

 private:
  struct Link;
  void accept_loop();
  void dial_loop(HostPort target);
  // Takes a handshaken link: keeps it (starting its threads) or closes it as a duplicate.
  void adopt(std::unique_ptr<PeerLink> link, std::string remote, bool dialed);
  void run_reader(std::shared_ptr<Link> link);
  void run_writer(std::shared_ptr<Link> link);
  void drop(const std::shared_ptr<Link>& link, std::string_view why);
  void queue_for_all(const Address* except, const std::string& message);
  bool sleep_unless_stopping(std::chrono::milliseconds duration);

  const PeersOptions options_;
  const PrivateKey node_key_;
  const Address self_;
  const OnMessage on_message_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable stopped_;
  bool stopping_ = false;                           // guarded by mutex_
  std::map<Address, std::shared_ptr<Link>> links_;  // guarded by mutex_
  std::vector<std::thread> threads_;                // accept and dial threads
  std::vector<std::shared_ptr<Link>> retired_;      // links whose threads must be joined
  std::map<Address, std::chrono::steady_clock::time_point> banned_until_;  // guarded by mutex_
};

}  // namespace onebill::node
