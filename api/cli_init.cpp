// `onebill init --dir D [--validators N] [--observers M] [--chain ID] [--base-port B]`: a demo
// consortium's home (DESIGN §7): D/genesis.json, D/keys/NAME.json (plaintext demo keys, marked insecure)
// and D/nodes/i/ for i from 0, validators first (config, genesis copy, node key, validator key), then
// observers (no validator key). Node i serves its API on 127.0.0.1:B+i and its peer port on
// 127.0.0.1:B+1000+i (B = 18080), and lists every other node as NODE_ADDRESS@host:port.
// Nothing existing is ever overwritten.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "api/cli.h"
#include "api/key_file.h"
#include "crypto/hex.h"
#include "crypto/random.h"
#include "ledger/genesis.h"
#include "node/block_producer.h"
#include "node/config.h"

namespace onebill::api::cli {
namespace {

namespace fs = std::filesystem;

struct DemoParticipant {
  const char* key_name;
  const char* name;
  const char* domain;
  ledger::Role role;
};

// The demo consortium of the China–Singapore corridor (DESIGN §7).
constexpr std::array<DemoParticipant, 7> demo_participants{{
    {"admin", "OneBill Demo Consortium", "admin.example", ledger::Role::admin},
    {"carrier-rail", "Chongqing Rail Freight (demo)", "rail.example", ledger::Role::carrier},
    {"carrier-sea", "Beibu Gulf Sea Lines (demo)", "sea.example", ledger::Role::carrier},
    {"bank", "Lion City Trade Bank (demo)", "bank.example", ledger::Role::bank},
    {"customs", "Corridor Customs (demo)", "customs.example", ledger::Role::customs},
    {"shipper", "Chongqing Exporters (demo)", "shipper.example", ledger::Role::trader},
    {"consignee", "Singapore Importers (demo)", "consignee.example", ledger::Role::trader},
}};

std::string random_chain_id() {
  std::array<std::uint8_t, 3> suffix{};
  random_bytes(suffix);
  return "onebill-demo-" + hex::encode_bare(suffix);
}

// Creates a new file with O_EXCL (never overwriting, never following a symlink).
Status write_new_file(const fs::path& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      return invalid("home-exists", path.string() + " exists; onebill init never overwrites");
    return local_fault("config", "cannot create " + path.string() + ": " + std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return local_fault("config", "cannot write " + path.string() + ": " + std::strerror(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return local_fault("config", "cannot write " + path.string());
  return {};
}

Status make_directory(const fs::path& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) {
    if (errno == EEXIST)
      return invalid("home-exists", path.string() + " exists; onebill init never overwrites");
    return local_fault("config", "cannot create " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

struct InitOptions {
  std::string chain;
  std::size_t validators = 1;
  std::size_t observers = 0;
  std::uint16_t base_port = 18080;
};
inline constexpr std::size_t max_init_nodes = 32;
inline constexpr std::uint16_t peer_port_offset = 1000;

Status init_home(const fs::path& dir, const InitOptions& options) {
  // An existing empty directory is accepted (mktemp -d); anything in it means a home may be there.
  std::error_code error;
  if (fs::exists(dir, error)) {
    if (!fs::is_directory(dir, error) || !fs::is_empty(dir, error)) {
      return invalid("home-exists", dir.string() +
                                        " exists and is not an empty directory; onebill init never "
                                        "overwrites a home");
    }
  } else {
    ONEBILL_TRY(make_directory(dir, 0755));
  }
  ONEBILL_TRY(make_directory(dir / "keys", 0700));
  ONEBILL_TRY(make_directory(dir / "nodes", 0755));

  ledger::Genesis genesis;
  genesis.chain = options.chain;
  genesis.genesis_time_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  for (const auto& demo : demo_participants) {
    const PrivateKey key = PrivateKey::generate();
    ONEBILL_TRY(write_plaintext_key_file(dir / "keys" / (std::string(demo.key_name) + ".json"), key));
    genesis.participants.push_back(ledger::GenesisParticipant{
        key.address(), demo.name, {demo.role}, demo.domain, ledger::Identifiers{}});
  }
  const std::size_t nodes = options.validators + options.observers;
  std::vector<PrivateKey> node_keys;
  std::vector<PrivateKey> validator_keys;
  for (std::size_t i = 0; i < nodes; ++i) node_keys.push_back(PrivateKey::generate());
  for (std::size_t i = 0; i < options.validators; ++i) {
    validator_keys.push_back(PrivateKey::generate());
    genesis.validators.push_back(
        ledger::Validator{validator_keys[i].address(), node::consensus_key_text(validator_keys[i]), 1});
  }

  // Check what we wrote the way every node will read it.
  const std::string genesis_text = ledger::to_json(genesis).dump(2) + "\n";
  auto reread = ledger::parse_genesis(genesis_text);
  ONEBILL_ASSERT(reread.ok());
  ONEBILL_TRY(write_new_file(dir / "genesis.json", genesis_text, 0644));

  auto port_of = [&](std::size_t i, std::uint16_t offset) {
    return static_cast<std::uint16_t>(options.base_port + offset + i);
  };
  for (std::size_t i = 0; i < nodes; ++i) {
    const fs::path node_home = dir / "nodes" / std::to_string(i);
    ONEBILL_TRY(make_directory(node_home, 0700));
    ONEBILL_TRY(write_new_file(node_home / "genesis.json", genesis_text, 0644));
    ONEBILL_TRY(write_plaintext_key_file(node_home / "node_key.json", node_keys[i]));
    node::NodeConfig config;
    config.api = node::HostPort{"127.0.0.1", port_of(i, 0)}.to_string();
    config.peer = node::HostPort{"127.0.0.1", port_of(i, peer_port_offset)}.to_string();
    for (std::size_t j = 0; j < nodes; ++j) {
      if (j == i) continue;
      config.peers.push_back(node_keys[j].address().to_string() + "@" +
                             node::HostPort{"127.0.0.1", port_of(j, peer_port_offset)}.to_string());
    }
    if (i < options.validators) {
      ONEBILL_TRY(write_plaintext_key_file(node_home / "validator_key.json", validator_keys[i]));
    } else {
      config.validator_key.reset();
    }
    ONEBILL_TRY(
        write_new_file(node_home / node::config_file_name, node::to_json(config).dump(2) + "\n", 0644));
  }

  std::cout << "Initialised a demo consortium in " << dir.string() << "\n"
            << "  chain     " << options.chain << "\n"
            << "  genesis   " << (dir / "genesis.json").string() << "  state_root(0) "
            << hex::encode(ledger::genesis_state_root(genesis)) << "\n";
  for (std::size_t i = 0; i < demo_participants.size(); ++i) {
    std::cout << "  " << demo_participants[i].key_name
              << std::string(14 - std::strlen(demo_participants[i].key_name), ' ')
              << genesis.participants[i].address.to_string() << "  "
              << ledger::role_name(demo_participants[i].role) << "  " << demo_participants[i].domain << "\n";
  }
  for (std::size_t i = 0; i < nodes; ++i) {
    std::cout << "  node " << i << (i < options.validators ? "  validator " : "  observer  ")
              << (i < options.validators ? validator_keys[i].address().to_string() : std::string(42, ' '))
              << "  API http://127.0.0.1:" << port_of(i, 0) << "  (" << (dir / "nodes" / std::to_string(i)).string()
              << ")\n";
  }
  std::cout << "Demo keys in " << (dir / "keys").string()
            << " are plaintext and INSECURE: anyone who reads them owns them.\n"
            << "Run a node:  onebill node --home " << (dir / "nodes" / "0").string() << "\n";
  if (options.validators < 4 && options.validators > 1)
    std::cout << "Note: " << options.validators
              << " validators tolerate no faulty one; 4 or more tolerate one in three.\n";
  return {};
}

}  // namespace

void add_init_command(CLI::App& root, CommandContext& context) {
  auto* command = root.add_subcommand(
      "init", "Create a demo consortium's home: genesis, demo keys, and one home per node (validators first)");
  auto options = std::make_shared<InitOptions>();
  auto dir = std::make_shared<std::string>();
  command->add_option("--dir", *dir, "The home directory to create (must not exist, or be empty)")
      ->required();
  command->add_option("--chain", options->chain, "Chain id (default onebill-demo-<6 random hex>)");
  command->add_option("--validators", options->validators, "Validator nodes, each with one vote (default 1)")
      ->check(CLI::Range(std::size_t{1}, max_init_nodes));
  command->add_option("--observers", options->observers,
                      "Observer nodes: follow and serve the chain, never vote (default 0)")
      ->check(CLI::Range(std::size_t{0}, max_init_nodes));
  command->add_option("--base-port", options->base_port,
                      "Node i serves its API on 127.0.0.1:B+i and peers on B+1000+i (default 18080)")
      ->check(CLI::Range(1, 65535 - 1000 - static_cast<int>(2 * max_init_nodes)));
  command->callback([&context, dir, options] {
    context.run = [dir, options]() -> int {
      InitOptions chosen = *options;
      if (chosen.chain.empty()) chosen.chain = random_chain_id();
      if (!ledger::valid_chain_id(chosen.chain)) {
        return report(invalid("wrong-chain", "the chain id must match ^[a-z0-9][a-z0-9-]{2,62}$"));
      }
      if (chosen.validators + chosen.observers > max_init_nodes) {
        return report(invalid("invalid-body", "at most " + std::to_string(max_init_nodes) + " nodes in all"));
      }
      const Status status = init_home(*dir, chosen);
      if (!status) return report(status.problem());
      return exit_ok;
    };
  });
}

}  // namespace onebill::api::cli
