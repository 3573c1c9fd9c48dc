// The API's own counters for GET /metrics (DESIGN §7), and the Prometheus text format 0.0.4 they are
// printed in. Counters live where they are counted: request latencies and refusals of unparsable
// transactions here (the API sees them), committed transactions and mempool refusals in the node, the
// connection counters in the HTTP server. ApiServer owns one ApiMetrics; nothing is global.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace onebill::api {

// Upper bounds (seconds) of the request-latency histogram's buckets; +Inf is implied.
inline constexpr std::array<double, 14> latency_buckets_seconds{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0};

class ApiMetrics {
 public:
  // One answered request of `route` ("GET /v1/bills/([^/]+)", the registered pattern).
  void observe_request(std::string_view method, std::string_view pattern, std::chrono::nanoseconds elapsed);
  // A transaction refused before the mempool saw it (it did not parse): counted by rule.
  void count_unparsed_refusal(std::string_view rule);

  // The histogram and refusal families, in the text format.
  std::string render_requests() const;
  std::map<std::pair<std::string, std::string>, std::uint64_t> unparsed_refusals() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, latency_buckets_seconds.size()> buckets{};  // non-cumulative
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  mutable std::mutex mutex_;
  // (method, pattern) -> histogram; bounded by the fixed set of routes.
  std::map<std::pair<std::string, std::string>, Histogram> requests_;
  // rule -> count; bounded by the fixed set of parse rules.
  std::map<std::string, std::uint64_t> unparsed_refusals_;
};

// Prometheus text-format helpers: a label value escaped (\\, \", \n) and a sample line.
std::string prometheus_label_value(std::string_view value);
std::string prometheus_sample(std::string_view name, std::string_view labels, double value);

}  // namespace onebill::api
