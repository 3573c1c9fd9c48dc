// GET /metrics's text (Prometheus text format 0.0.4): every line is a comment or a sample, the families
// the issue names are there, and the latency histogram is cumulative.
#include <doctest/doctest.h>

#include <regex>
#include <sstream>
#include <string>

#include "api/metrics.h"

using onebill::api::ApiMetrics;

TEST_CASE("the latency histogram is cumulative and ends with +Inf, _sum and _count") {
  ApiMetrics metrics;
  metrics.observe_request("GET", "/v1/status", std::chrono::microseconds(200));
  metrics.observe_request("GET", "/v1/status", std::chrono::milliseconds(3));
  metrics.observe_request("GET", "/v1/status", std::chrono::seconds(40));
  const std::string text = metrics.render_requests();
  const std::string labels = R"(method="GET",route="/v1/status")";
  CHECK(text.find("onebill_http_request_duration_seconds_bucket{" + labels + R"(,le="0.0005"} 1)") !=
        std::string::npos);
  CHECK(text.find("onebill_http_request_duration_seconds_bucket{" + labels + R"(,le="0.005"} 2)") !=
        std::string::npos);
  CHECK(text.find("onebill_http_request_duration_seconds_bucket{" + labels + R"(,le="30"} 2)") !=
        std::string::npos);
  CHECK(text.find("onebill_http_request_duration_seconds_bucket{" + labels + R"(,le="+Inf"} 3)") !=
        std::string::npos);
  CHECK(text.find("onebill_http_request_duration_seconds_count{" + labels + "} 3") != std::string::npos);
}

TEST_CASE("every metrics line is a comment or a well-formed sample") {
  ApiMetrics metrics;
  metrics.observe_request("GET", R"(/v1/bills/([^/]+))", std::chrono::milliseconds(1));
  metrics.count_unparsed_refusal("malformed-json");
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? [-+0-9.eE]+(Inf)?$)");
  std::istringstream lines(metrics.render_requests());
  int samples = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# ", 0) == 0) continue;
    CHECK_MESSAGE(std::regex_match(line, sample), line);
    ++samples;
  }
  CHECK(samples == 17);  // 14 buckets, +Inf, _sum, _count
  CHECK(metrics.unparsed_refusals().at({"admission", "malformed-json"}) == 1);
}

TEST_CASE("label values are escaped") {
  CHECK(onebill::api::prometheus_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
}
