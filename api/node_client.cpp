#include "api/node_client.h"

#include <chrono>

#include <httplib.h>

#include "api/read_auth.h"

namespace onebill::api {
namespace {

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t max_answer_bytes = 64 * 1024 * 1024;

}  // namespace

NodeClient::~NodeClient() = default;
NodeClient::NodeClient(NodeClient&&) noexcept = default;
NodeClient& NodeClient::operator=(NodeClient&&) noexcept = default;

Result<NodeClient> NodeClient::connect(const std::string& url) {
  if (url.rfind("http://", 0) != 0 || url.size() <= 7 || url.size() > 256) {
    return invalid("invalid-url", "the node URL must look like http://127.0.0.1:18080 (got '" + url + "')");
  }
  NodeClient client;
  client.url_ = url;
  while (!client.url_.empty() && client.url_.back() == '/') client.url_.pop_back();
  client.http_ = std::make_unique<httplib::Client>(client.url_);
  if (!client.http_->is_valid()) return invalid("invalid-url", "cannot use the node URL '" + url + "'");
  client.http_->set_tcp_nodelay(true);
  client.http_->set_connection_timeout(5, 0);
  client.http_->set_read_timeout(35, 0);
  client.http_->set_write_timeout(10, 0);
  client.http_->set_keep_alive(true);
  return client;
}

Result<NodeResponse> NodeClient::answer(int status, const std::string& body) const {
  NodeResponse response;
  response.status = status;
  if (!body.empty()) {
    auto parsed = json::read(body, {.max_bytes = max_answer_bytes, .max_depth = limits::max_json_depth});
    if (!parsed) {
      return local_fault("bad-answer", "the node at " + url_ + " answered " + std::to_string(status) +
                                           " with something that is not JSON");
    }
    response.body = std::move(*parsed);
  }
  if (status >= 200 && status < 300) return response;
  // RFC 9457 problem: type "/v1/problems/<rule>".
  std::string rule = "http-" + std::to_string(status);
  std::string detail = "the node answered HTTP " + std::to_string(status);
  if (response.body.is_object()) {
    const auto type = response.body.find("type");
    if (type != response.body.end() && type->is_string()) {
      const std::string text = type->get<std::string>();
      const auto slash = text.rfind('/');
      rule = slash == std::string::npos ? text : text.substr(slash + 1);
    }
    const auto found = response.body.find("detail");
    if (found != response.body.end() && found->is_string()) detail = found->get<std::string>();
  }
  Problem problem = invalid(rule, detail);
  if (status >= 500) problem.kind = ProblemKind::local_fault;
  return problem;
}

Result<json::Json> NodeClient::get(const std::string& target, const PrivateKey* reader) {
  auto found = get_optional(target, reader);
  if (!found) return found.problem();
  if (!found->has_value()) return invalid("not-found", "the node has no " + target);
  return std::move(**found);
}

Result<std::optional<json::Json>> NodeClient::get_optional(const std::string& target, const PrivateKey* reader) {
  httplib::Headers headers;
  if (reader != nullptr) {
    headers.emplace("Authorization", make_read_authorization(*reader, "GET", target, unix_now_ms()));
  }
  auto result = http_->Get(target.c_str(), headers);
  if (!result) {
    return local_fault("node-unreachable", "cannot reach the node at " + url_ + " (" +
                                               httplib::to_string(result.error()) +
                                               "); is it running? Start one with `onebill node`, or pass --node");
  }
  if (result->status == 404) return std::optional<json::Json>{};
  auto response = answer(result->status, result->body);
  if (!response) return response.problem();
  return std::optional<json::Json>{std::move(response->body)};
}

Result<NodeResponse> NodeClient::post(const std::string& target, const std::string& json_body, int read_timeout_s) {
  http_->set_read_timeout(read_timeout_s, 0);
  auto result = http_->Post(target.c_str(), json_body, "application/json");
  if (!result) {
    return local_fault("node-unreachable", "cannot reach the node at " + url_ + " (" +
                                               httplib::to_string(result.error()) +
                                               "); is it running? Start one with `onebill node`, or pass --node");
  }
  return answer(result->status, result->body);
}

}  // namespace onebill::api
