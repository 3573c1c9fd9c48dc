// The node's HTTP API (DESIGN §7) on the hardened server core (api/http_server.h): transactions
// (POST /v1/tx with wait=commit, POST /v1/txs, GET /v1/tx/{id}), status, blocks, bills (with history,
// legs and control), participants with their nonces, and the problem pages. Errors are problem+json
// (api/http_problem.h). At most 16 requests wait at once (wait=commit); the rest answer at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "api/http_server.h"
#include "crypto/result.h"
#include "node/node.h"

namespace onebill::api {

inline constexpr std::size_t max_waiting_requests = 16;
inline constexpr std::uint64_t default_wait_timeout_ms = 5'000;
inline constexpr std::uint64_t max_wait_timeout_ms = 30'000;

class ApiServer {
 public:
  ApiServer(node::Node& node, HttpServerLimits limits = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds host:port (port 0: any free port); returns the bound port.
  Result<int> bind(const std::string& host, int port);
  void run();  // blocks until stop()
  void stop();

 private:
  void add_routes();
  node::Node& node_;
  HttpServer http_;
  std::atomic<std::size_t> waiting_{0};
};

}  // namespace onebill::api
