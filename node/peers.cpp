#include "node/peers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace onebill::node {
namespace {

using namespace std::chrono_literals;
constexpr auto handshake_timeout = 5s;
constexpr auto connect_timeout = 3s;
constexpr auto send_timeout = 5s;
constexpr auto first_backoff = 100ms;
constexpr auto max_backoff = 5000ms;
constexpr std::size_t max_handshakes = 16;  // concurrent inbound handshakes

void set_socket_options(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

std::string remote_of(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  std::uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
  ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
  port = ntohs(in6->sin6_port);
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

// A connected, non-blocking socket to `target`, or -1.
int connect_to(const HostPort& target) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string host = target.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (::getaddrinfo(host.c_str(), std::to_string(target.port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* entry = found; entry != nullptr && fd < 0; entry = entry->ai_next) {
    fd = ::socket(entry->ai_family, entry->ai_socktype | SOCK_CLOEXEC, entry->ai_protocol);
    if (fd < 0) continue;
    set_socket_options(fd);
    if (::connect(fd, entry->ai_addr, entry->ai_addrlen) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      fd = -1;
      continue;
    }
    pollfd wait{fd, POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof error;
    if (::poll(&wait, 1, static_cast<int>(connect_timeout.count() * 1000)) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

}  // namespace

struct Peers::Link {
  std::unique_ptr<PeerLink> link;
  Address node;
  std::string remote;
  bool dialed = false;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::string> queue;  // guarded by mutex
  bool closing = false;           // guarded by mutex
  int score = 0;                  // guarded by Peers::mutex_
  std::thread reader;
  std::thread writer;
  std::atomic<int> running{0};  // threads still running
};

Peers::Peers(PeersOptions options, PrivateKey node_key, OnMessage on_message)
    : options_(std::move(options)),
      node_key_(node_key),
      self_(node_key.address()),
      on_message_(std::move(on_message)) {}

Peers::~Peers() {
  stop();
}

Status Peers::start() {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  std::string host = options_.listen.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (::getaddrinfo(host.c_str(), std::to_string(options_.listen.port).c_str(), &hints, &found) != 0 ||
      found == nullptr)
    return local_fault("config", "cannot resolve the peer address " + options_.listen.to_string());
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  const int one = 1;
  if (fd >= 0) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool bound = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 64) == 0;
  ::freeaddrinfo(found);
  if (!bound) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return local_fault("config", "cannot listen for peers on " + options_.listen.to_string() + ": " + why);
  }
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  port_ = local.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port)
                                     : ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
  listen_fd_ = fd;
  std::lock_guard lock(mutex_);
  stopping_ = false;
  threads_.emplace_back([this] { accept_loop(); });
  for (const auto& target : options_.dial) threads_.emplace_back([this, target] { dial_loop(target); });
  return {};
}

void Peers::stop() {
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<Link>> links;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty() && links_.empty() && retired_.empty()) return;
    stopping_ = true;
    threads.swap(threads_);
    for (auto& [node, link] : links_) links.push_back(link);
    links_.clear();
    for (auto& link : retired_) links.push_back(link);
    retired_.clear();
  }
  stopped_.notify_all();
  for (auto& link : links) {
    {
      std::lock_guard lock(link->mutex);
      link->closing = true;
    }
    link->wake.notify_all();
    link->link->shutdown();
  }
  for (auto& thread : threads) thread.join();
  for (auto& link : links) {
    if (link->reader.joinable()) link->reader.join();
    if (link->writer.joinable()) link->writer.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

bool Peers::sleep_unless_stopping(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  return !stopped_.wait_for(lock, duration, [&] { return stopping_; });
}

void Peers::accept_loop() {
  std::vector<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> handshakes;
  auto reap = [&](bool all) {
    for (auto it = handshakes.begin(); it != handshakes.end();) {
      if (all || it->second->load()) {
        it->first.join();
        it = handshakes.erase(it);
      } else {
        ++it;
      }
    }
  };
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    reap(false);
    pollfd wait{listen_fd_, POLLIN, 0};
    if (::poll(&wait, 1, 200) != 1) continue;
    sockaddr_storage remote{};
    socklen_t length = sizeof remote;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&remote), &length, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (handshakes.size() >= max_handshakes) {  // a flood of half-open links: refuse, do not queue
      ::close(fd);
      continue;
    }
    set_socket_options(fd);
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::string from = remote_of(remote);
    handshakes.emplace_back(std::thread([this, fd, from, done] {
                              auto link =
                                  PeerLink::handshake(fd, node_key_, options_.chain, handshake_timeout);
                              if (link.ok()) {
                                adopt(std::move(*link), from, false);
                              } else {
                                spdlog::info("peer {} refused: {}", from, link.problem().detail);
                                ::close(fd);
                              }
                              done->store(true);
                            }),
                            done);
  }
  reap(true);
}

void Peers::dial_loop(HostPort target) {
  auto backoff = std::chrono::milliseconds(first_backoff);
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    std::shared_ptr<Link> kept;
    const int fd = connect_to(target);
    if (fd >= 0) {
      auto link = PeerLink::handshake(fd, node_key_, options_.chain, handshake_timeout);
      if (link.ok()) {
        const Address node = (*link)->peer();
        adopt(std::move(*link), target.to_string(), true);
        std::lock_guard lock(mutex_);
        auto found = links_.find(node);
        if (found != links_.end()) kept = found->second;
      } else {
        spdlog::debug("peer {}: handshake failed: {}", target.to_string(), link.problem().detail);
        ::close(fd);
      }
    }
    if (kept) {
      backoff = first_backoff;
      // Linked (by this dial or the peer's): wait while the link lives, then reconnect.
      for (;;) {
        {
          std::lock_guard lock(kept->mutex);
          if (kept->closing) break;
        }
        if (!sleep_unless_stopping(200ms)) return;
      }
    }
    if (!sleep_unless_stopping(backoff)) return;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(max_backoff));
  }
}

void Peers::adopt(std::unique_ptr<PeerLink> peer_link, std::string remote, bool dialed) {
  const Address node = peer_link->peer();
  const std::string shown = remote;
  auto refuse = [&](std::string_view why) {
    spdlog::info("peer {} ({}) not linked: {}", node.to_string(), shown, why);
    // The PeerLink closes its socket when peer_link goes out of scope.
  };
  if (node == self_) return refuse("it is this node");
  if (options_.allowed && !options_.allowed->contains(node)) return refuse("not an allowed node key");

  auto link = std::make_shared<Link>();
  link->link = std::move(peer_link);
  link->node = node;
  link->remote = std::move(remote);
  link->dialed = dialed;
  link->score = options_.initial_score;
  std::shared_ptr<Link> replaced;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return refuse("stopping");
    auto banned = banned_until_.find(node);
    if (banned != banned_until_.end()) {
      if (std::chrono::steady_clock::now() < banned->second) return refuse("scored down to zero recently");
      banned_until_.erase(banned);
    }
    // Join the threads of links that have ended.
    for (auto it = retired_.begin(); it != retired_.end();) {
      if ((*it)->running.load() == 0) {
        if ((*it)->reader.joinable()) (*it)->reader.join();
        if ((*it)->writer.joinable()) (*it)->writer.join();
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
    auto existing = links_.find(node);
    if (existing != links_.end()) {
      bool existing_alive = false;
      {
        std::lock_guard link_lock(existing->second->mutex);
        existing_alive = !existing->second->closing;
      }
      const Address existing_dialer = existing->second->dialed ? self_ : node;
      const Address new_dialer = dialed ? self_ : node;
      if (existing_alive && !(new_dialer < existing_dialer)) {
        if (existing_dialer == new_dialer) {
          replaced = existing->second;  // a reconnect from the same side: the new link wins
        } else {
          return refuse("already linked (the link dialed by the lower address is kept)");
        }
      } else {
        replaced = existing->second;
      }
    }
    links_[node] = link;
    if (replaced) retired_.push_back(replaced);
    link->running.store(2);
    link->reader = std::thread([this, link] {
      ::pthread_setname_np(::pthread_self(), "peer-read");
      run_reader(link);
    });
    link->writer = std::thread([this, link] {
      ::pthread_setname_np(::pthread_self(), "peer-write");
      run_writer(link);
    });
  }
  if (replaced) {
    {
      std::lock_guard lock(replaced->mutex);
      replaced->closing = true;
    }
    replaced->wake.notify_all();
    replaced->link->shutdown();
  }
  spdlog::info("peer {} linked ({}, {})", node.to_string(), link->remote, dialed ? "dialed" : "accepted");
}

void Peers::run_reader(std::shared_ptr<Link> link) {
  for (;;) {
    {
      std::lock_guard lock(link->mutex);
      if (link->closing) break;
    }
    auto message = link->link->receive(1000ms);
    if (message.ok()) {
      on_message_(link->node, std::move(*message));
      continue;
    }
    if (message.problem().rule == "timeout") continue;
    drop(link, message.problem().detail);
    break;
  }
  link->running.fetch_sub(1);
}

void Peers::run_writer(std::shared_ptr<Link> link) {
  // What queued while the last write was under way leaves together: one system call for many small
  // messages (a flood of gossiped transactions), at most max_write_bytes at a time (or one message
  // larger than that), so one write's send_timeout covers about what one large message's did.
  constexpr std::size_t max_write_bytes = 256u << 10;
  std::vector<std::string> messages;
  for (;;) {
    messages.clear();
    {
      std::unique_lock lock(link->mutex);
      link->wake.wait(lock, [&] { return link->closing || !link->queue.empty(); });
      if (link->closing) break;
      std::size_t bytes = 0;
      while (!link->queue.empty() &&
             (messages.empty() || bytes + link->queue.front().size() <= max_write_bytes)) {
        bytes += link->queue.front().size();
        messages.push_back(std::move(link->queue.front()));
        link->queue.pop_front();
      }
    }
    const Status sent = link->link->send(messages, send_timeout);
    if (!sent) {
      drop(link, sent.problem().detail);
      break;
    }
  }
  link->running.fetch_sub(1);
}

void Peers::drop(const std::shared_ptr<Link>& link, std::string_view why) {
  {
    std::lock_guard lock(link->mutex);
    if (link->closing) return;
    link->closing = true;
  }
  link->wake.notify_all();
  link->link->shutdown();
  spdlog::info("peer {} unlinked: {}", link->node.to_string(), why);
  std::lock_guard lock(mutex_);
  auto found = links_.find(link->node);
  if (found != links_.end() && found->second == link) {
    retired_.push_back(link);
    links_.erase(found);
  }
}

void Peers::broadcast(const std::string& message) {
  queue_for_all(nullptr, message);
}

void Peers::broadcast_except(const Address& except, const std::string& message) {
  queue_for_all(&except, message);
}

void Peers::queue_for_all(const Address* except, const std::string& message) {
  std::vector<std::shared_ptr<Link>> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [node, link] : links_) {
      if (except == nullptr || node != *except) targets.push_back(link);
    }
  }
  for (const auto& link : targets) {
    {
      std::lock_guard lock(link->mutex);
      if (link->closing) continue;
      if (link->queue.size() >= options_.queue_messages) link->queue.pop_front();
      link->queue.push_back(message);
    }
    link->wake.notify_one();
  }
}

bool Peers::send_to(const Address& peer, const std::string& message) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    auto found = links_.find(peer);
    if (found == links_.end()) return false;
    link = found->second;
  }
  {
    std::lock_guard lock(link->mutex);
    if (link->closing) return false;
    if (link->queue.size() >= options_.queue_messages) link->queue.pop_front();
    link->queue.push_back(message);
  }
  link->wake.notify_one();
  return true;
}

void Peers::score_down(const Address& peer, int amount, std::string_view why) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mutex_);
    auto found = links_.find(peer);
    if (found == links_.end()) return;
    found->second->score -= amount;
    if (found->second->score > 0) return;
    link = found->second;
    banned_until_[peer] = std::chrono::steady_clock::now() + options_.ban;
  }
  drop(link, "scored down to zero: " + std::string(why));
}

std::vector<PeerInfo> Peers::linked() const {
  std::vector<PeerInfo> out;
  std::lock_guard lock(mutex_);
  for (const auto& [node, link] : links_)
    out.push_back(PeerInfo{node, link->remote, link->dialed, link->score});
  return out;
}

bool Peers::any_linked() const {
  std::lock_guard lock(mutex_);
  return !links_.empty();
}

}  // namespace onebill::node
