// `onebill node --home D/nodes/i [--api ADDR] [--block-interval-ms N]`: runs a node (DESIGN §7).
// `--byzantine equivocate` (test chains only, node/byzantine.h) makes a validator lie, for fault tests.
// `--verify-replay` (maintenance) replays the stored blocks into memory and compares with the database.
#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "api/cli.h"
#include "api/files.h"
#include "api/http_problem.h"
#include "api/key_file.h"
#include "api/server.h"
#include "crypto/hex.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "node/byzantine.h"
#include "node/config.h"
#include "node/leveldb_store.h"
#include "node/node.h"
#include "node/peers.h"
#include "node/replay.h"

namespace onebill::api::cli {
namespace {

namespace fs = std::filesystem;

struct NodeOptions {
  std::string home;
  std::string api;
  std::uint64_t block_interval_ms = 0;
  bool verify_replay = false;
  std::string log_level = "info";
  std::string byzantine;  // test chains only (node/byzantine.h)
};

// A configuration file is local: one that cannot be read or is oversized is a local fault, not bad input.
Result<std::string> read_text_file(const fs::path& path, std::size_t max_bytes) {
  auto text = read_bounded_file(path.string(), max_bytes);
  if (!text) return local_fault("config", text.problem().detail);
  if (text->size() > max_bytes) return local_fault("config", path.string() + " is larger than expected");
  return text;
}

Result<ledger::Genesis> load_genesis(const fs::path& path) {
  auto text = read_text_file(path, 4 * 1024 * 1024);
  ONEBILL_TRY(text);
  auto genesis = ledger::parse_genesis(*text);
  if (!genesis)
    return local_fault("config",
                       path.string() + ": " + genesis.problem().rule + ": " + genesis.problem().detail);
  return genesis;
}

void warn_if_demo(node::Node& node) {
  auto admins = node.read([](const ledger::Store& store, const ledger::Head&) -> Result<std::size_t> {
    auto participants = ledger::Ledger(store).participants();
    ONEBILL_TRY(participants);
    std::size_t count = 0;
    for (const auto& participant : *participants) count += participant.active_in(ledger::Role::admin) ? 1 : 0;
    return count;
  });
  if (admins && *admins < 3) {
    spdlog::warn(
        "this consortium has {} active ADMIN(s): with fewer than 3 ADMINs it is a demo, since "
        "governance by more than 2/3 of the admins protects nothing (DESIGN §2)",
        *admins);
  }
}

int verify_replay(const node::NodeConfig& config, const fs::path& home, const ledger::Genesis& genesis) {
  node::LevelDbOptions options;
  options.create_if_missing = false;
  auto store = node::LevelDbStore::open(node::resolve(home, config.data).string(), options);
  if (!store) return report(store.problem());
  auto replay = node::verify_replay(**store, genesis);
  if (!replay) return report(replay.problem());
  std::cout << dump_json(node::to_json(*replay)) << std::endl;
  return replay->equal ? exit_ok : exit_failed;
}

int run_node(const NodeOptions& options) {
  if (auto level = spdlog::level::from_str(options.log_level);
      level != spdlog::level::off || options.log_level == "off") {
    spdlog::set_level(level);
  }
  const fs::path home(options.home);
  auto config = node::load_config(home);
  if (!config) return report(config.problem());
  if (options.block_interval_ms != 0) {
    if (options.block_interval_ms > node::max_block_interval_ms) {
      return report(local_fault(
          "config", "--block-interval-ms must be 1-" + std::to_string(node::max_block_interval_ms)));
    }
    config->block_interval_ms = options.block_interval_ms;
  }
  if (!options.api.empty()) config->api = options.api;
  auto api_address = node::parse_host_port(config->api);
  if (!api_address) return report(api_address.problem());
  auto genesis = load_genesis(node::resolve(home, config->genesis));
  if (!genesis) return report(genesis.problem());
  if (options.verify_replay) return verify_replay(*config, home, *genesis);

  std::optional<PrivateKey> validator_key;
  if (config->validator_key) {
    auto key = read_key_file(node::resolve(home, *config->validator_key));
    if (!key) return report(key.problem());
    validator_key = *key;
  }
  if (!options.byzantine.empty()) {
    auto mode = node::byzantine_mode(options.byzantine, genesis->chain);
    if (!mode) return report(mode.problem());
    if (!validator_key || config->peers.empty())
      return report(local_fault("config", "--byzantine needs a validator with peers"));
    spdlog::warn("BYZANTINE MODE ({}): this validator equivocates; test chain {} only", options.byzantine,
                 genesis->chain);
  }

  // Signals go to one thread that stops the server; block them before any other thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto store = node::LevelDbStore::open(node::resolve(home, config->data).string());
  if (!store) return report(store.problem());
  node::NodeOptions node_options;
  node_options.block_interval_ms = config->block_interval_ms;
  node_options.mempool.max_transactions = config->mempool_max_transactions;
  if (config->timeout_propose_ms) node_options.timeouts.propose_base_ms = *config->timeout_propose_ms;
  if (config->timeout_vote_ms) {
    node_options.timeouts.prevote_base_ms = *config->timeout_vote_ms;
    node_options.timeouts.precommit_base_ms = *config->timeout_vote_ms;
  }
  if (config->timeout_delta_ms) {
    node_options.timeouts.propose_delta_ms = *config->timeout_delta_ms;
    node_options.timeouts.prevote_delta_ms = *config->timeout_delta_ms;
    node_options.timeouts.precommit_delta_ms = *config->timeout_delta_ms;
  }
  auto node = node::Node::open(std::move(*store), *genesis, validator_key, node_options);
  if (!node) return report(node.problem());
  warn_if_demo(**node);

  // Peer links (DESIGN §5): only with peers configured; a lone node needs no peer port.
  std::unique_ptr<node::Peers> peers;
  std::unique_ptr<node::Equivocator> equivocator;  // --byzantine only
  if (!config->peers.empty()) {
    auto node_key = read_key_file(node::resolve(home, config->node_key));
    if (!node_key) return report(node_key.problem());
    auto listen = node::parse_host_port(config->peer);
    if (!listen) return report(listen.problem());
    node::PeersOptions peer_options;
    peer_options.chain = genesis->chain;
    peer_options.listen = *listen;
    peer_options.allowed.emplace();
    std::vector<Address> peer_nodes;  // in config order
    for (const auto& text : config->peers) {
      auto entry = node::parse_peer(text);
      if (!entry) return report(entry.problem());
      peer_nodes.push_back(entry->node);
      peer_options.dial.push_back(entry->address);
      peer_options.allowed->insert(entry->node);
    }
    node::Node& joined = **node;
    peers = std::make_unique<node::Peers>(peer_options, *node_key,
                                          [&joined, &peers](const Address& from, std::string message) {
                                            const Status taken = joined.receive(from, message);
                                            if (!taken) peers->score_down(from, 10, taken.problem().detail);
                                          });
    auto send_to = [&peers](const Address& to, const std::string& message) { peers->send_to(to, message); };
    // Others' votes and proposals pass on unchanged, even from a --byzantine node (it lies only in its own).
    auto relay = [&peers](const Address& from, const std::string& message) {
      peers->broadcast_except(from, message);
    };
    if (!options.byzantine.empty()) {
      equivocator = std::make_unique<node::Equivocator>(
          genesis->chain, *validator_key, std::move(peer_nodes),
          [&peers](const std::string& message) { peers->broadcast(message); }, send_to);
      joined.attach_network([&equivocator](const std::string& message) { equivocator->broadcast(message); },
                            send_to, relay);
    } else {
      joined.attach_network([&peers](const std::string& message) { peers->broadcast(message); }, send_to,
                            relay, [&peers] { return peers->any_linked(); });
    }
    const Status listening = peers->start();
    if (!listening) return report(listening.problem());
    spdlog::info("node {} on peer port {}; {} peers configured", node_key->address().to_string(),
                 listen->to_string(), config->peers.size());
  }

  ApiServer server(**node);
  auto port = server.bind(api_address->host, api_address->port);
  if (!port) return report(port.problem());
  (*node)->start();
  const node::HostPort bound{api_address->host, static_cast<std::uint16_t>(*port)};
  spdlog::info("chain {} at height {}; API on http://{} ; blocks every {} ms when transactions wait",
               genesis->chain, (*node)->head().height, bound.to_string(), config->block_interval_ms);
  std::cout << "listening http://" << bound.to_string() << std::endl;

  std::thread signal_thread([&server, signals] {
    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("signal {}: stopping", received);
    server.stop();
  });
  server.run();
  if (peers) peers->stop();
  (*node)->stop();
  // The signal thread waits for a signal; if the server stopped otherwise, send it one.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  spdlog::info("stopped at height {}", (*node)->head().height);
  return exit_ok;
}

}  // namespace

void add_node_command(CLI::App& root, CommandContext& context) {
  auto* command = root.add_subcommand("node", "Run a node from its home (made by onebill init)");
  auto options = std::make_shared<NodeOptions>();
  command->add_option("--home", options->home, "The node's home, e.g. D/nodes/0")->required();
  command->add_option("--api", options->api, "API address host:port (default from config; port 0: any free)");
  command->add_option("--block-interval-ms", options->block_interval_ms,
                      "Time between blocks while transactions wait");
  command->add_option("--log-level", options->log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  command->add_option("--byzantine", options->byzantine,
                      "TESTS ONLY: make this validator byzantine. Mode `equivocate`: it signs two different "
                      "votes for the same height, round and step and sends conflicting proposals to "
                      "different peers. Refused unless the chain id starts with \"test-\" (onebill init "
                      "--chain test-...), so a demo or production chain can never run it");
  command->add_flag(
      "--verify-replay", options->verify_replay,
      "Maintenance: replay the stored blocks into memory, compare with the database, print the result");
  command->callback([&context, options] { context.run = [options] { return run_node(*options); }; });
}

}  // namespace onebill::api::cli
