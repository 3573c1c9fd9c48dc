#include "node/config.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace onebill::node {
namespace {

Problem config_problem(std::string detail) {
  return local_fault("config", std::move(detail));
}

Result<std::string> string_member(const json::Json& json, const char* name) {
  const auto& value = json.at(name);
  if (!value.is_string())
    return config_problem(std::string("config member \"") + name + "\" must be a string");
  return value.get<std::string>();
}

Result<std::uint64_t> integer_member(const json::Json& json, const char* name) {
  const auto& value = json.at(name);
  if (!value.is_number_unsigned()) {
    return config_problem(std::string("config member \"") + name + "\" must be a non-negative integer");
  }
  return value.get<std::uint64_t>();
}

}  // namespace

std::string HostPort::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<PeerEntry> parse_peer(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos)
    return config_problem("peer \"" + std::string(text) + "\" is not NODE_ADDRESS@host:port");
  auto node = Address::parse(text.substr(0, at));
  if (!node) return config_problem("peer \"" + std::string(text) + "\": " + node.problem().detail);
  auto address = parse_host_port(text.substr(at + 1));
  ONEBILL_TRY(address);
  return PeerEntry{*node, *address};
}

Result<HostPort> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return config_problem("\"" + std::string(text) + "\" is not host:port");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']')
      return config_problem("\"" + std::string(text) + "\": bad [IPv6]");
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return config_problem("\"" + std::string(text) + "\": the port must be 0-65535");
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(port)};
}

json::Json to_json(const NodeConfig& config) {
  json::Json json = {{"api", config.api},
                     {"peer", config.peer},
                     {"peers", config.peers},
                     {"genesis", config.genesis},
                     {"data", config.data},
                     {"node_key", config.node_key},
                     {"block_interval_ms", config.block_interval_ms},
                     {"mempool_max_transactions", config.mempool_max_transactions}};
  if (config.validator_key) json["validator_key"] = *config.validator_key;
  if (config.timeout_propose_ms) json["timeout_propose_ms"] = *config.timeout_propose_ms;
  if (config.timeout_vote_ms) json["timeout_vote_ms"] = *config.timeout_vote_ms;
  if (config.timeout_delta_ms) json["timeout_delta_ms"] = *config.timeout_delta_ms;
  return json;
}

Result<NodeConfig> config_from_json(const json::Json& json) {
  if (!json.is_object()) return config_problem("the config must be a JSON object");
  NodeConfig config;
  config.validator_key.reset();
  for (const auto& [key, value] : json.items()) {
    if (key == "api") {
      auto text = string_member(json, "api");
      ONEBILL_TRY(text);
      ONEBILL_TRY(parse_host_port(*text));
      config.api = *text;
    } else if (key == "peer") {
      auto text = string_member(json, "peer");
      ONEBILL_TRY(text);
      ONEBILL_TRY(parse_host_port(*text));
      config.peer = *text;
    } else if (key == "peers") {
      if (!value.is_array())
        return config_problem("config member \"peers\" must be an array of NODE_ADDRESS@host:port");
      if (value.size() > max_peers)
        return config_problem("config member \"peers\" lists more than " + std::to_string(max_peers));
      for (const auto& peer : value) {
        if (!peer.is_string())
          return config_problem("config member \"peers\" must be an array of NODE_ADDRESS@host:port");
        ONEBILL_TRY(parse_peer(peer.get<std::string>()));
        config.peers.push_back(peer.get<std::string>());
      }
    } else if (key == "genesis" || key == "data" || key == "node_key" || key == "validator_key") {
      auto text = string_member(json, key.c_str());
      ONEBILL_TRY(text);
      if (text->empty()) return config_problem("config member \"" + key + "\" must not be empty");
      if (key == "genesis") config.genesis = *text;
      if (key == "data") config.data = *text;
      if (key == "node_key") config.node_key = *text;
      if (key == "validator_key") config.validator_key = *text;
    } else if (key == "block_interval_ms") {
      auto interval = integer_member(json, "block_interval_ms");
      ONEBILL_TRY(interval);
      if (*interval < 1 || *interval > max_block_interval_ms) {
        return config_problem("block_interval_ms must be 1-" + std::to_string(max_block_interval_ms));
      }
      config.block_interval_ms = *interval;
    } else if (key == "mempool_max_transactions") {
      auto size = integer_member(json, "mempool_max_transactions");
      ONEBILL_TRY(size);
      if (*size < 1 || *size > 1'000'000) return config_problem("mempool_max_transactions must be 1-1000000");
      config.mempool_max_transactions = static_cast<std::size_t>(*size);
    } else if (key == "timeout_propose_ms" || key == "timeout_vote_ms" || key == "timeout_delta_ms") {
      auto timeout = integer_member(json, key.c_str());
      ONEBILL_TRY(timeout);
      if (*timeout < 1 || *timeout > max_timeout_ms)
        return config_problem(key + " must be 1-" + std::to_string(max_timeout_ms));
      if (key == "timeout_propose_ms") config.timeout_propose_ms = *timeout;
      if (key == "timeout_vote_ms") config.timeout_vote_ms = *timeout;
      if (key == "timeout_delta_ms") config.timeout_delta_ms = *timeout;
    } else {
      return config_problem("unknown config member \"" + key + "\"");
    }
  }
  return config;
}

Result<NodeConfig> load_config(const std::filesystem::path& home) {
  const auto path = home / config_file_name;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return config_problem("cannot read " + path.string() + " (is --home a node home made by onebill init?)");
  std::ostringstream text;
  text << in.rdbuf();
  json::ReadOptions options;
  options.max_bytes = 1024 * 1024;
  auto json = json::read(text.str(), options);
  if (!json) return config_problem(path.string() + ": " + json.problem().detail);
  auto config = config_from_json(*json);
  if (!config) return config_problem(path.string() + ": " + config.problem().detail);
  return config;
}

std::filesystem::path resolve(const std::filesystem::path& home, const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : home / p;
}

}  // namespace onebill::node
