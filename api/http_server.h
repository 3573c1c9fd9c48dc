// The HTTP server core of DESIGN §7, on cpp-httplib 0.11 (a shared library, so its compile-time defaults
// cannot be changed): this class replaces its connection handling and task queue.
//
// - A task queue of `worker_threads` workers bounded at `max_queued_connections`; a connection beyond
//   that is answered 503 "busy" at once and closed.
// - Each connection runs on our own socket stream: TCP_NODELAY, buffered reads, read and write timeouts,
//   up to `keep_alive_max_requests` requests, and a deadline for reading a whole request (a client that
//   trickles bytes — slowloris — is cut off).
// - Idle connections do not starve new clients: while any connection waits for a worker, a connection
//   idling between requests, or still sending a request after `stall_under_pressure`, is closed.
// - Per-route payload limits: a POST whose Content-Length exceeds its route's limit is answered 413
//   "too-large" before its body is read, and the connection is closed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "crypto/result.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace onebill::api {

struct HttpServerLimits {
  std::size_t worker_threads = 32;
  std::size_t max_queued_connections = 1024;
  std::size_t keep_alive_max_requests = 10'000;
  std::chrono::milliseconds read_timeout{5'000};
  std::chrono::milliseconds write_timeout{5'000};
  std::chrono::milliseconds keep_alive_timeout{5'000};
  std::chrono::milliseconds request_deadline{10'000};
  std::chrono::milliseconds stall_under_pressure{1'000};
  std::size_t default_max_body_bytes = 64 * 1024;
};

// Counters for /metrics and tests.
struct HttpServerCounters {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused_busy{0};
  std::atomic<std::uint64_t> connections_closed_idle{0};
  std::atomic<std::uint64_t> connections_closed_stalled{0};
  std::atomic<std::uint64_t> requests{0};
};

// One registered route: its method and cpp-httplib pattern (a regular expression over the path).
struct RouteInfo {
  std::string method;
  std::string pattern;
};

class HttpServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // Called after every routed request with its route, the answer and the handler's time (for /metrics).
  using Observer = std::function<void(const RouteInfo&, const httplib::Response&, std::chrono::nanoseconds)>;

  explicit HttpServer(HttpServerLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Routes (cpp-httplib patterns, regular expressions). A POST route checks its payload limit (413) and
  // that the body is application/json (415) before calling the handler.
  void get(const std::string& pattern, Handler handler);
  void post(const std::string& pattern, std::size_t max_body_bytes, Handler handler);

  // Every route registered so far, in registration order (the OpenAPI test compares them with the
  // document). Register routes and set the observer before run().
  std::vector<RouteInfo> routes() const;
  void set_observer(Observer observer);

  // Binds host:port; port 0 picks a free port. Returns the bound port; "config" local fault if the
  // address cannot be bound.
  Result<int> bind(const std::string& host, int port);
  // Serves until stop(); blocking.
  void run();
  void stop();

  const HttpServerCounters& counters() const;
  // Connections waiting for a worker right now.
  std::size_t queued_connections() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace onebill::api
