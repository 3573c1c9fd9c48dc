// A node's home and its configuration (DESIGN §7). `onebill init --dir D` writes D/nodes/i/ with
//
//   config.json          this file's JSON form (below)
//   genesis.json         a copy of D/genesis.json: a node needs nothing outside its home
//   node_key.json        the node key (peer links); plaintext demo key, mode 0600
//   validator_key.json   the validator's consensus key (validators only); plaintext demo key, mode 0600
//   data/                the LevelDB database, created on first start
//
// config.json: {"api": "127.0.0.1:18080", "peer": "127.0.0.1:19080",
//               "peers": ["NODE_ADDRESS@host:port", ...] (the only node keys allowed to link),
//               "genesis": "genesis.json", "data": "data", "node_key": "node_key.json",
//               "validator_key": "validator_key.json" (absent for an observer),
//               "block_interval_ms": 200, "mempool_max_transactions": 10000,
//               optional: "timeout_propose_ms", "timeout_vote_ms", "timeout_delta_ms" (below)}
// Relative paths are relative to the home. Unknown members are refused, so a typo is not ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crypto/address.h"
#include "crypto/json.h"
#include "crypto/result.h"

namespace onebill::node {

inline constexpr std::uint64_t default_block_interval_ms = 200;
inline constexpr std::uint64_t max_block_interval_ms = 60'000;
inline constexpr std::size_t default_mempool_max_transactions = 10'000;

struct HostPort {
  std::string host;
  std::uint16_t port = 0;  // 0: any free port
  std::string to_string() const;
};
// "host:port" with an IPv4 address, a name, or "[v6]"; port 0-65535. "config" problem otherwise.
Result<HostPort> parse_host_port(std::string_view text);

// A peer of the config: "0x<node address>@host:port". The node address is the one its handshake must
// prove (node/peer_link.h); the config's peers are the only node keys this node links with.
struct PeerEntry {
  Address node;
  HostPort address;
};
Result<PeerEntry> parse_peer(std::string_view text);
inline constexpr std::size_t max_peers = 64;

struct NodeConfig {
  std::string api = "127.0.0.1:18080";
  std::string peer = "127.0.0.1:19080";
  std::vector<std::string> peers;
  std::string genesis = "genesis.json";
  std::string data = "data";
  std::string node_key = "node_key.json";
  std::optional<std::string> validator_key = "validator_key.json";
  std::uint64_t block_interval_ms = default_block_interval_ms;
  std::size_t mempool_max_transactions = default_mempool_max_transactions;
  // Consensus timeouts (Alg.1 timeoutPropose, timeoutPrevote = timeoutPrecommit, and their growth per
  // round); absent: the engine's defaults (consensus::TimeoutConfig). Short ones suit test clusters on
  // one machine; a consortium across the corridor keeps the defaults.
  std::optional<std::uint64_t> timeout_propose_ms;
  std::optional<std::uint64_t> timeout_vote_ms;
  std::optional<std::uint64_t> timeout_delta_ms;
};
inline constexpr std::uint64_t max_timeout_ms = 60'000;

json::Json to_json(const NodeConfig& config);
// Problems are local faults "config" naming the member at fault.
Result<NodeConfig> config_from_json(const json::Json& json);

inline constexpr std::string_view config_file_name = "config.json";
// Reads and checks HOME/config.json.
Result<NodeConfig> load_config(const std::filesystem::path& home);
// A path of the config, resolved against the home.
std::filesystem::path resolve(const std::filesystem::path& home, const std::string& path);

}  // namespace onebill::node
