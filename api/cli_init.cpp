// `onebill init --dir D [--chain ID]`: a demo consortium's home (DESIGN §7): D/genesis.json,
// D/keys/NAME.json (plaintext demo keys, marked insecure) and D/nodes/0/ (config, genesis copy, node key,
// validator key). Nothing existing is ever overwritten.
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

Status init_home(const fs::path& dir, const std::string& chain) {
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
  const fs::path node_home = dir / "nodes" / "0";
  ONEBILL_TRY(make_directory(node_home, 0700));

  ledger::Genesis genesis;
  genesis.chain = chain;
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
  const PrivateKey node_key = PrivateKey::generate();
  const PrivateKey validator_key = PrivateKey::generate();
  genesis.validators.push_back(
      ledger::Validator{validator_key.address(), node::consensus_key_text(validator_key), 1});

  // Check what we wrote the way every node will read it.
  const std::string genesis_text = ledger::to_json(genesis).dump(2) + "\n";
  auto reread = ledger::parse_genesis(genesis_text);
  ONEBILL_ASSERT(reread.ok());

  ONEBILL_TRY(write_new_file(dir / "genesis.json", genesis_text, 0644));
  ONEBILL_TRY(write_new_file(node_home / "genesis.json", genesis_text, 0644));
  ONEBILL_TRY(write_plaintext_key_file(node_home / "node_key.json", node_key));
  ONEBILL_TRY(write_plaintext_key_file(node_home / "validator_key.json", validator_key));
  node::NodeConfig config;  // api 127.0.0.1:18080, peer 127.0.0.1:19080, no peers
  ONEBILL_TRY(write_new_file(node_home / node::config_file_name, node::to_json(config).dump(2) + "\n", 0644));

  std::cout << "Initialised a demo consortium in " << dir.string() << "\n"
            << "  chain     " << chain << "\n"
            << "  genesis   " << (dir / "genesis.json").string() << "  state_root(0) "
            << hex::encode(ledger::genesis_state_root(genesis)) << "\n";
  for (std::size_t i = 0; i < demo_participants.size(); ++i) {
    std::cout << "  " << demo_participants[i].key_name
              << std::string(14 - std::strlen(demo_participants[i].key_name), ' ')
              << genesis.participants[i].address.to_string() << "  "
              << ledger::role_name(demo_participants[i].role) << "  " << demo_participants[i].domain << "\n";
  }
  std::cout << "  validator " << validator_key.address().to_string() << " (node " << node_home.string()
            << ")\n"
            << "Demo keys in " << (dir / "keys").string()
            << " are plaintext and INSECURE: anyone who reads them owns them.\n"
            << "Run the node:  onebill node --home " << node_home.string() << "\n";
  return {};
}

}  // namespace

void add_init_command(CLI::App& root, CommandContext& context) {
  auto* command = root.add_subcommand("init", "Create a demo consortium's home: genesis, demo keys, node 0");
  auto dir = std::make_shared<std::string>();
  auto chain = std::make_shared<std::string>();
  command->add_option("--dir", *dir, "The home directory to create (must not exist, or be empty)")
      ->required();
  command->add_option("--chain", *chain, "Chain id (default onebill-demo-<6 random hex>)");
  command->callback([&context, dir, chain] {
    context.run = [dir, chain]() -> int {
      const std::string chain_id = chain->empty() ? random_chain_id() : *chain;
      if (!ledger::valid_chain_id(chain_id)) {
        return report(invalid("wrong-chain", "the chain id must match ^[a-z0-9][a-z0-9-]{2,62}$"));
      }
      const Status status = init_home(*dir, chain_id);
      if (!status) return report(status.problem());
      return exit_ok;
    };
  });
}

}  // namespace onebill::api::cli
