// The node's HTTP API (DESIGN §7) on the hardened server core (api/http_server.h): transactions
// (POST /v1/tx with wait=commit, POST /v1/txs, GET /v1/tx/{id}), status, blocks, bills (with history,
// legs and control), searches over the secondary indexes (GET /v1/bills), the event feed (GET
// /v1/events, long-polled), participants with their nonces, the problem pages, the OpenAPI document and
// /metrics. Errors are problem+json (api/http_problem.h). At most 16 requests wait at once (wait=commit
// and event long-polls together); the rest answer at once.
//
// Access (DESIGN §7): open routes answer anyone; signed routes need `Authorization: OneBill ...`
// (api/read_auth.h) unless the peer is loopback (the operator, who reads everything). A signed reader
// that is an active CUSTOMS participant reads everything too; any other reader sees only the bills it
// is or was party to, the events naming itself and its own transactions. /metrics answers loopback only
// (403 "not-permitted" elsewhere). Every route is in api/openapi.json; a unit test checks both ways.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "api/metrics.h"
#include "crypto/result.h"
#include "node/node.h"

namespace onebill::api {

inline constexpr std::size_t max_waiting_requests = 16;
inline constexpr std::uint64_t default_wait_timeout_ms = 5'000;
inline constexpr std::uint64_t max_wait_timeout_ms = 30'000;
// GET /v1/bills for a reader who sees only its own bills: at most this many bills are examined per
// request; a page may then hold fewer than `limit` bills and a `next` cursor to continue.
inline constexpr std::size_t max_bills_examined_per_search = 5'000;
inline constexpr std::size_t default_page_limit = 100;

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

  // Every registered route (method and pattern), for the OpenAPI test.
  std::vector<RouteInfo> routes() const { return http_.routes(); }
  // The body of GET /metrics (Prometheus text format 0.0.4).
  std::string metrics_text() const;

 private:
  // Each group registers its routes on http_; a new group (the web page) adds one call in add_routes.
  void add_routes();
  void add_transaction_routes();
  void add_chain_routes();
  void add_bill_routes();
  void add_search_routes();
  void add_participant_routes();
  void add_documentation_routes();

  node::Node& node_;
  HttpServer http_;
  ApiMetrics metrics_;
  std::atomic<std::size_t> waiting_{0};
};

}  // namespace onebill::api
