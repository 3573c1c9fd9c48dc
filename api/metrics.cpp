#include "api/metrics.h"

#include <cmath>
#include <cstdio>

namespace onebill::api {

std::string prometheus_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prometheus_sample(std::string_view name, std::string_view labels, double value) {
  std::string out(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  char number[64];
  if (std::isinf(value)) {
    std::snprintf(number, sizeof number, "%s", value > 0 ? "+Inf" : "-Inf");
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(number, sizeof number, "%.0f", value);
  } else {
    std::snprintf(number, sizeof number, "%.9g", value);
  }
  out.append(" ").append(number).append("\n");
  return out;
}

void ApiMetrics::observe_request(std::string_view method, std::string_view pattern,
                                 std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::lock_guard lock(mutex_);
  Histogram& histogram = requests_[{std::string(method), std::string(pattern)}];
  for (std::size_t i = 0; i < latency_buckets_seconds.size(); ++i) {
    if (seconds <= latency_buckets_seconds[i]) {
      ++histogram.buckets[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum_seconds += seconds;
}

void ApiMetrics::count_unparsed_refusal(std::string_view rule) {
  std::lock_guard lock(mutex_);
  ++unparsed_refusals_[std::string(rule)];
}

std::map<std::pair<std::string, std::string>, std::uint64_t> ApiMetrics::unparsed_refusals() const {
  std::lock_guard lock(mutex_);
  std::map<std::pair<std::string, std::string>, std::uint64_t> out;
  for (const auto& [rule, count] : unparsed_refusals_) out[{"admission", rule}] = count;
  return out;
}

std::string ApiMetrics::render_requests() const {
  // Built with append(): GCC 12 reports false array-bounds errors on chains of std::string operator+.
  const std::string name = "onebill_http_request_duration_seconds";
  const std::string bucket = name + "_bucket";
  std::string out;
  out.append("# HELP ").append(name).append(
      " Time to answer a request, by route (the registered pattern).\n");
  out.append("# TYPE ").append(name).append(" histogram\n");
  std::lock_guard lock(mutex_);
  for (const auto& [route, histogram] : requests_) {
    std::string labels;
    labels.append("method=\"").append(prometheus_label_value(route.first)).append("\",route=\"");
    labels.append(prometheus_label_value(route.second)).append("\"");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < latency_buckets_seconds.size(); ++i) {
      cumulative += histogram.buckets[i];
      char bound[32];
      std::snprintf(bound, sizeof bound, "%g", latency_buckets_seconds[i]);
      std::string with_bound = labels;
      with_bound.append(",le=\"").append(bound).append("\"");
      out.append(prometheus_sample(bucket, with_bound, static_cast<double>(cumulative)));
    }
    std::string with_inf = labels;
    with_inf.append(",le=\"+Inf\"");
    out.append(prometheus_sample(bucket, with_inf, static_cast<double>(histogram.count)));
    out.append(prometheus_sample(name + "_sum", labels, histogram.sum_seconds));
    out.append(prometheus_sample(name + "_count", labels, static_cast<double>(histogram.count)));
  }
  return out;
}

}  // namespace onebill::api
