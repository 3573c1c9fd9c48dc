// onebill_sim: a deterministic simulator for the Tendermint engine (node/consensus.h) over the real
// ledger code. One seed = one run: 4-7 validators, each a MemoryStore + Engine + durable SignState,
// exchanging proposals and votes over a simulated network (delay, loss, duplication, reordering,
// partitions incl. one-way), with clock offsets, crashes and restarts, validator-set changes through
// governance transactions, and up to f byzantine validators (equivocation, conflicting proposals,
// forged headers, huge rounds, silence, two processes with one key, stale re-proposals) and, in about
// one seed in ten, the lock-split attack (an adversary owning the network and one validator, aiming at
// what the lock check of Alg.1 L28-33 defeats; see LockSplit). Checked after every commit:
// correct nodes agree on every block hash and state root. After the faults heal, every correct node
// must commit new heights within a bound. One std::mt19937_64 per run and a virtual clock: a seed
// replays exactly (`--seed S --trace`).
//
//   onebill_sim --from N --to M [--jobs J]    -> "seeds N..M: P passed, F failed"
//   onebill_sim --seed S [--trace]
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/json.h"
#include "crypto/secp256k1.h"
#include "ledger/block.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "ledger/memory_store.h"
#include "ledger/transaction.h"
#include "node/block_producer.h"
#include "node/consensus.h"

namespace onebill::sim {
namespace {

using consensus::Step;
using json::Json;

constexpr std::string_view chain_id = "onebill-sim";
constexpr std::uint64_t genesis_time_ms = 1'767'225'600'000;
constexpr std::uint64_t max_height = 30;
constexpr std::size_t max_block_candidates = 4;
constexpr std::uint64_t tick_ms = 1000;
constexpr std::uint64_t liveness_window_ms = 120'000;

PrivateKey key_of(const std::string& name) {
  const Hash32 secret = keccak256("onebill-sim/" + name);
  return PrivateKey::from_bytes(ByteView(secret.data(), secret.size())).value();
}

std::string compressed_key(const PrivateKey& key) {
  return node::consensus_key_text(key);
}

// ---- The workload: bills issued, endorsed and handed over; valid in this order from genesis ----

struct Parties {
  PrivateKey admin = key_of("admin");
  PrivateKey carrier = key_of("carrier");
  PrivateKey shipper = key_of("shipper");
  PrivateKey consignee = key_of("consignee");
};

ledger::Transaction make_transaction(const PrivateKey& from, const std::string& type, std::uint64_t nonce,
                                     const Json& body) {
  auto built = ledger::build_transaction(chain_id, type, nonce, from.address(), body);
  ONEBILL_ASSERT(built.ok());
  auto wire = ledger::sign_transaction(*built, from);
  ONEBILL_ASSERT(wire.ok());
  auto parsed = ledger::parse_transaction(json::canonical(*wire), chain_id);
  ONEBILL_ASSERT(parsed.ok());
  return *parsed;
}

std::vector<ledger::Transaction> make_workload(const Parties& parties, std::size_t bills) {
  std::vector<ledger::Transaction> out;
  for (std::size_t i = 0; i < bills; ++i) {
    const std::string id = hex::encode(keccak256("sim-bill/" + std::to_string(i)));
    const Json legs = Json::array({Json{{"mode", "SEA"},
                                        {"carrier", parties.carrier.address().to_string()},
                                        {"from", "CNQZH"},
                                        {"to", "SGSIN"}}});
    out.push_back(make_transaction(parties.carrier, "bill.issue", i,
                                   Json{{"id", id},
                                        {"reference", "SIM-" + std::to_string(i)},
                                        {"kind", "BOL"},
                                        {"to_order", true},
                                        {"holder", parties.shipper.address().to_string()},
                                        {"beneficiary", parties.shipper.address().to_string()},
                                        {"legs", legs}}));
    const Json to_consignee = Json{{"bill", id}, {"to", parties.consignee.address().to_string()}};
    out.push_back(make_transaction(parties.shipper, "bill.endorse", 2 * i, to_consignee));
    out.push_back(make_transaction(parties.shipper, "bill.transfer_holder", 2 * i + 1, to_consignee));
  }
  return out;
}

struct Shared {
  Parties parties;
  std::vector<ledger::Transaction> workload;
};

// ---- Network payloads ----

struct StatusMessage {
  std::uint64_t head = 0;
};
struct SyncRequest {
  std::uint64_t from_height = 0;
};
struct SyncResponse {
  std::vector<std::pair<ledger::Block, ledger::Commit>> blocks;
};
using Payload = std::variant<consensus::Proposal, consensus::Vote, StatusMessage, SyncRequest, SyncResponse>;

// stale_proposals: as proposer, re-proposes the OLDEST block it saw a polka for, with that old
// pol_round: exactly what the lock check of Alg.1 L28-33 must refuse from a validator locked later.
enum class Byzantine {
  none,
  silent,
  equivocate,
  conflicting_proposals,
  forged_header,
  huge_rounds,
  twin,
  stale_proposals,
  lock_split
};
const char* byzantine_name(Byzantine mode) {
  switch (mode) {
    case Byzantine::none:
      return "correct";
    case Byzantine::silent:
      return "silent";
    case Byzantine::equivocate:
      return "equivocating";
    case Byzantine::conflicting_proposals:
      return "conflicting-proposals";
    case Byzantine::forged_header:
      return "forged-header";
    case Byzantine::huge_rounds:
      return "huge-rounds";
    case Byzantine::twin:
      return "twin";
    case Byzantine::stale_proposals:
      return "stale-proposals";
    case Byzantine::lock_split:
      return "lock-split";
  }
  return "?";
}

class Simulation;

struct SimNode;

class SimApp final : public consensus::Application {
 public:
  SimApp(Simulation& sim, SimNode& node) : sim_(sim), node_(node) {}
  const ledger::Store& committed() const override;
  std::vector<ledger::Transaction> candidates() override;
  Result<Address> recover_signer(const Hash32& digest, const Signature& signature) override;
  Result<ledger::ExecutedBlock> execute(const ledger::Block& block) override;

 private:
  Simulation& sim_;
  SimNode& node_;
};

struct SimNode {
  std::size_t index = 0;
  PrivateKey key;
  Address address;  // of the key
  Byzantine byzantine = Byzantine::none;
  ledger::MemoryStore store;
  consensus::SignState wal;  // durable: written when a Persist action is carried out
  std::unique_ptr<SimApp> app;
  std::unique_ptr<consensus::Engine> engine;
  bool up = true;
  std::uint64_t incarnation = 0;
  std::int64_t clock_offset_ms = 0;
  std::uint64_t head = 0;
  std::uint64_t head_at_heal = 0;
  std::size_t workload_cursor = 0;  // every workload transaction before it is committed here
  // stale_proposals: prevotes and blocks seen, per (height, round).
  std::map<std::pair<std::uint64_t, std::uint32_t>, std::map<Hash32, std::set<Address>>> seen_prevotes;
  std::map<Hash32, ledger::Block> seen_blocks;
  bool correct() const { return byzantine == Byzantine::none; }
  explicit SimNode(PrivateKey k) : key(std::move(k)), address(key.address()) {}
};

enum class EventKind { deliver, timeout, tick, fault };

struct Event {
  std::uint64_t time = 0;
  std::uint64_t sequence = 0;
  EventKind kind = EventKind::tick;
  std::size_t node = 0;
  std::size_t from = 0;
  std::shared_ptr<const Payload> payload;
  consensus::Timeout timeout;
  std::uint64_t incarnation = 0;
  std::function<void()> fault;
  bool operator>(const Event& other) const {
    return std::tie(time, sequence) > std::tie(other.time, other.sequence);
  }
};

// The lock-split attack (about one seed in ten): the adversary owns the network until healing and one
// validator M, and aims at the exact schedule that the lock check of Alg.1 L28-33 exists to defeat.
// At height H, with M the proposer of round 2:
//   round 0  the proposal B is kept from one correct node V, which prevotes nil: no correct node sees
//            a polka, yet B's prevotes from the others plus M's (withheld) are one;
//   round 1  a fresh block A gets every correct prevote; all lock A; only the correct node D gets the
//            precommits and decides A; the other two (L) see each other's precommit and M's nil one;
//   round 2  M re-proposes B with pol_round 0 to the L nodes, with its round-0 prevote for B and its
//            round-2 prevote and precommit for B. Locked on A in round 1 > 0, they must prevote nil;
//            a node that skips the lock check prevotes B, and the L nodes decide B: a fork with D.
// Until healing, M's own engine is silent from H on and block sync does not reach the L nodes.
struct LockSplit {
  std::uint64_t height = 0;
  std::size_t attacker = 0, nil_voter = 0, decider = 0;
  std::vector<std::size_t> locked;  // the two correct nodes other than the decider
  std::optional<consensus::Proposal> round0;
  bool struck = false;
};

bool lock_split_seed(std::uint64_t seed) {  // independent of the run's random stream
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (z ^ (z >> 31)) % 10 == 0;
}

struct RunResult {
  bool passed = true;
  std::string reason;
  std::uint64_t heights = 0;
  std::string trace;
};

class Simulation {
 public:
  Simulation(const Shared& shared, std::uint64_t seed, bool trace)
      : shared_(shared), seed_(seed), rng_(seed) {
    trace_enabled_ = trace;
  }

  RunResult run();

  // ---- used by SimApp ----
  std::uint64_t now_of(const SimNode& node) const {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(time_) + node.clock_offset_ms);
  }
  std::vector<ledger::Transaction> candidates_for(SimNode& node);
  // Execution is deterministic in (head block, block): nodes with the same head share the result.
  Result<ledger::ExecutedBlock> execute_cached(const SimNode& node, const ledger::Block& block) {
    auto head = ledger::Ledger(node.store).head();
    if (!head || !head->has_value()) return node::execute(node.store, block);
    auto key = std::make_pair((*head)->block_hash, ledger::block_hash(block.header));
    auto found = execution_cache_.find(key);
    if (found != execution_cache_.end()) return found->second;
    auto executed = node::execute(node.store, block);
    execution_cache_.emplace(key, executed);
    return executed;
  }
  Result<Address> recover(const Hash32& digest, const Signature& signature) {
    auto key = std::make_pair(digest, signature);
    auto found = signature_cache_.find(key);
    if (found != signature_cache_.end()) return found->second;
    auto recovered = recover_address(digest, signature);
    signature_cache_.emplace(key, recovered);
    return recovered;
  }

 private:
  std::uint64_t random(std::uint64_t low, std::uint64_t high) {  // inclusive
    return std::uniform_int_distribution<std::uint64_t>(low, high)(rng_);
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p; }

  void log(const std::string& text) {
    if (!trace_enabled_) return;
    trace_ += "t=" + std::to_string(time_) + " " + text + "\n";
  }
  void fail(const std::string& reason) {
    if (!failure_) failure_ = reason;
    log("FAILURE: " + reason);
  }

  void setup();
  void schedule_faults();
  void push(Event event) {
    event.sequence = next_sequence_++;
    queue_.push(std::move(event));
  }
  void at(std::uint64_t time, std::function<void()> fault) {
    Event event;
    event.time = time;
    event.kind = EventKind::fault;
    event.fault = std::move(fault);
    push(std::move(event));
  }
  void send(std::size_t from, std::size_t to, Payload payload, bool crafted = false);
  bool lock_split_drops(std::size_t from, std::size_t to, const Payload& payload) const;
  void lock_split_setup();
  void lock_split_watch(std::size_t from, const std::variant<consensus::Proposal, consensus::Vote>& message);
  void send_to_all(std::size_t from, const Payload& payload);
  void broadcast(std::size_t from, const std::variant<consensus::Proposal, consensus::Vote>& message);
  void handle(const Event& event);
  void observe(SimNode& node, const Payload& payload) {
    if (const auto* vote = std::get_if<consensus::Vote>(&payload)) {
      if (vote->type == ledger::VoteType::prevote && vote->block && vote->height == node.head + 1)
        node.seen_prevotes[{vote->height, vote->round}][*vote->block].insert(vote->validator);
    } else if (const auto* proposal = std::get_if<consensus::Proposal>(&payload)) {
      if (proposal->height == node.head + 1)
        node.seen_blocks.emplace(ledger::block_hash(proposal->block.header), proposal->block);
    }
  }
  std::optional<consensus::Proposal> stale_proposal(SimNode& node, const consensus::Proposal& proposal) {
    const auto set = set_of(node, proposal.height);
    std::uint64_t total = 0;
    for (const auto& v : set) total += v.power;
    for (const auto& [key, blocks] : node.seen_prevotes) {
      if (key.first != proposal.height || key.second >= proposal.round) continue;
      for (const auto& [hash, voters] : blocks) {
        std::uint64_t power = 0;
        for (const auto& v : set) power += voters.contains(v.address) ? v.power : 0;
        auto block = node.seen_blocks.find(hash);
        if (3 * power <= 2 * total || block == node.seen_blocks.end()) continue;
        consensus::Proposal stale = proposal;
        stale.block = block->second;
        stale.pol_round = key.second;
        log(name(node.index) + " re-proposes a stale polka block with pol_round " +
            std::to_string(key.second));
        return sign_proposal(node.key, stale);
      }
    }
    return std::nullopt;
  }
  void deliver(std::size_t to, std::size_t from, const Payload& payload);
  void tick(std::size_t index);
  void apply(std::size_t index, const std::vector<consensus::Action>& actions);
  void commit_block(std::size_t index, const ledger::Block& block, const ledger::ExecutedBlock& executed,
                    const ledger::Commit& commit);
  void start_height(std::size_t index);
  void crash(std::size_t index);
  void restart(std::size_t index);
  std::vector<ledger::Validator> set_of(const SimNode& node, std::uint64_t height) const {
    auto set = ledger::Ledger(node.store).validator_set(height);
    ONEBILL_ASSERT(set.ok() && set->has_value());
    return **set;
  }
  std::string name(std::size_t index) const { return "n" + std::to_string(index); }
  consensus::Vote sign_vote(const PrivateKey& key, consensus::Vote vote) const {
    vote.signature =
        key.sign_digest(ledger::vote_digest(vote.chain, vote.height, vote.round, vote.type, vote.block));
    return vote;
  }
  consensus::Proposal sign_proposal(const PrivateKey& key, consensus::Proposal proposal) const {
    proposal.signature = key.sign_digest(ledger::proposal_digest(proposal.chain, proposal.height,
                                                                 proposal.round, proposal.pol_round,
                                                                 ledger::block_hash(proposal.block.header)));
    return proposal;
  }

  const Shared& shared_;
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  bool trace_enabled_ = false;
  std::string trace_;
  std::optional<std::string> failure_;

  ledger::Genesis genesis_;
  consensus::TimeoutConfig timeouts_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<PrivateKey> spare_keys_;  // validators added by governance later
  std::vector<std::pair<std::uint64_t, ledger::Transaction>> governance_;  // (release time, tx)
  std::uint64_t release_interval_ms_ = 200;
  std::uint64_t start_time_ = 0;
  std::uint64_t time_ = 0;
  std::uint64_t heal_time_ = 0;
  bool healed_ = false;
  double loss_ = 0, duplication_ = 0;
  std::uint64_t min_delay_ms_ = 1, max_delay_ms_ = 30;
  std::vector<std::vector<bool>> blocked_;  // blocked_[from][to]
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::uint64_t next_sequence_ = 0;
  std::map<std::uint64_t, std::pair<Hash32, Hash32>> decided_;  // height -> (block hash, state root)
  std::map<std::pair<Hash32, Signature>, Result<Address>> signature_cache_;
  std::map<std::pair<Hash32, Hash32>, Result<ledger::ExecutedBlock>> execution_cache_;
  std::size_t evidence_count_ = 0;
  std::size_t events_ = 0;
  std::optional<LockSplit> lock_split_;
};

const ledger::Store& SimApp::committed() const {
  return node_.store;
}
std::vector<ledger::Transaction> SimApp::candidates() {
  return sim_.candidates_for(node_);
}
Result<Address> SimApp::recover_signer(const Hash32& digest, const Signature& signature) {
  return sim_.recover(digest, signature);
}
Result<ledger::ExecutedBlock> SimApp::execute(const ledger::Block& block) {
  return sim_.execute_cached(node_, block);
}

std::vector<ledger::Transaction> Simulation::candidates_for(SimNode& node) {
  std::vector<ledger::Transaction> out;
  if (node.head >= max_height) return out;
  const ledger::Ledger ledger(node.store);
  auto committed = [&](const ledger::Transaction& transaction) {
    auto location = ledger.tx_location(transaction.id);
    return location.ok() && location->has_value();
  };
  const std::uint64_t now = time_;
  for (const auto& [release, transaction] : governance_) {
    if (release <= now && !committed(transaction) && out.size() < max_block_candidates)
      out.push_back(transaction);
  }
  const auto& workload = shared_.workload;
  while (node.workload_cursor < workload.size() && committed(workload[node.workload_cursor]))
    ++node.workload_cursor;
  for (std::size_t i = node.workload_cursor; i < workload.size() && i < node.workload_cursor + 12; ++i) {
    if (out.size() >= max_block_candidates) break;
    if (start_time_ + i * release_interval_ms_ > now) break;
    if (!committed(workload[i])) out.push_back(workload[i]);
  }
  return out;
}

void Simulation::setup() {
  const bool lock_split = lock_split_seed(seed_);
  if (lock_split) lock_split_.emplace();
  const std::size_t validators = lock_split ? 4 : static_cast<std::size_t>(random(4, 7));
  const std::size_t max_faulty = (validators - 1) / 3;
  const std::size_t faulty = lock_split ? 0 : static_cast<std::size_t>(random(0, max_faulty));
  start_time_ = genesis_time_ms + 1000;
  time_ = start_time_;
  release_interval_ms_ = random(120, 400);
  timeouts_.propose_base_ms = 800;
  timeouts_.propose_delta_ms = 300;
  timeouts_.prevote_base_ms = 400;
  timeouts_.prevote_delta_ms = 200;
  timeouts_.precommit_base_ms = 400;
  timeouts_.precommit_delta_ms = 200;
  min_delay_ms_ = random(1, 10);
  max_delay_ms_ = min_delay_ms_ + random(5, 200);

  genesis_.chain = std::string(chain_id);
  genesis_.genesis_time_ms = genesis_time_ms;
  const Parties& parties = shared_.parties;
  genesis_.participants = {
      {parties.admin.address(), "Admin", {ledger::Role::admin}, "admin.sim.test", {}},
      {parties.carrier.address(), "Carrier", {ledger::Role::carrier}, "carrier.sim.test", {}},
      {parties.shipper.address(), "Shipper", {ledger::Role::trader}, "shipper.sim.test", {}},
      {parties.consignee.address(), "Consignee", {ledger::Role::trader}, "consignee.sim.test", {}},
  };
  for (std::size_t i = 0; i < validators; ++i) {
    PrivateKey key = key_of("validator-" + std::to_string(i));
    genesis_.validators.push_back({key.address(), compressed_key(key), 1});
    nodes_.push_back(std::make_unique<SimNode>(key));
  }
  // Byzantine validators: the last `faulty` ones (their power stays below 1/3 of the total).
  for (std::size_t k = 0; k < faulty; ++k) {
    SimNode& node = *nodes_[validators - 1 - k];
    node.byzantine = static_cast<Byzantine>(random(1, 7));
    if (node.byzantine == Byzantine::twin) {
      nodes_.push_back(std::make_unique<SimNode>(node.key));
      nodes_.back()->byzantine = Byzantine::twin;
    }
  }
  // Validator-set changes through governance: a new validator (running as an observer until then)
  // and a power change of a correct validator; both keep the faulty power below 1/3.
  std::uint64_t admin_nonce = 0;
  const std::uint64_t changes = lock_split ? 0 : random(0, 2);
  for (std::uint64_t c = 0; c < changes; ++c) {
    const std::uint64_t release = start_time_ + random(0, 20'000);
    Json args;
    if (chance(0.5)) {
      PrivateKey key = key_of("spare-" + std::to_string(c));
      nodes_.push_back(std::make_unique<SimNode>(key));  // an observer until the change applies
      args =
          Json{{"address", key.address().to_string()}, {"consensus_key", compressed_key(key)}, {"power", 1u}};
    } else {
      const auto& validator =
          genesis_.validators[static_cast<std::size_t>(random(0, validators - 1 - faulty))];
      args = Json{{"address", validator.address.to_string()},
                  {"consensus_key", validator.consensus_key},
                  {"power", static_cast<std::uint64_t>(random(2, 3))}};
    }
    log("governance at t=" + std::to_string(release) + ": validator.set " + json::canonical(args));
    governance_.emplace_back(
        release,
        make_transaction(parties.admin, "gov.propose", admin_nonce++,
                         Json{{"action", "validator.set"}, {"args", args}, {"expires_height", 1000u}}));
  }
  std::sort(governance_.begin(), governance_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // Nonces must follow release order.
  for (std::size_t k = 0; k < governance_.size(); ++k) {
    auto& transaction = governance_[k].second;
    auto object =
        json::read(std::string_view(transaction.signing_text).substr(ledger::transaction_prefix.size()));
    ONEBILL_ASSERT(object.ok());
    transaction = make_transaction(parties.admin, "gov.propose", k, (*object)["body"]);
  }

  blocked_.assign(nodes_.size(), std::vector<bool>(nodes_.size(), false));
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    SimNode& node = *nodes_[i];
    node.index = i;
    node.clock_offset_ms = static_cast<std::int64_t>(random(0, 4000)) - 2000;
    if (chance(0.05) && !lock_split) node.clock_offset_ms = 15'000;  // far ahead: its blocks get nil prevotes
    ONEBILL_ASSERT(node.store.write(ledger::genesis_batch(genesis_), true).ok());
    node.app = std::make_unique<SimApp>(*this, node);
    const bool in_genesis =
        std::any_of(genesis_.validators.begin(), genesis_.validators.end(),
                    [&](const ledger::Validator& v) { return v.address == node.address; });
    log(name(i) + " " + byzantine_name(node.byzantine) + (in_genesis ? " validator " : " observer ") +
        node.address.to_string() + " clock " + std::to_string(node.clock_offset_ms));
  }
  if (lock_split) lock_split_setup();
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes_[i]->engine = std::make_unique<consensus::Engine>(genesis_.chain, nodes_[i]->key, *nodes_[i]->app,
                                                            timeouts_, nodes_[i]->wal);
    start_height(i);
    Event event;
    event.time = time_ + random(0, tick_ms);
    event.kind = EventKind::tick;
    event.node = i;
    push(std::move(event));
  }
}

void Simulation::schedule_faults() {
  if (lock_split_) {
    // The adversary's network is the only fault; it lets go at healing.
    heal_time_ = start_time_ + random(20'000, 30'000);
    at(heal_time_, [this] {
      healed_ = true;
      for (auto& node : nodes_) node->head_at_heal = node->head;
      log("healed: the adversary lets go of the network");
    });
    return;
  }
  heal_time_ = start_time_ + random(3'000, 25'000);
  const bool lossy = chance(0.7);
  if (lossy) {
    loss_ = static_cast<double>(random(0, 30)) / 100.0;
    duplication_ = static_cast<double>(random(0, 10)) / 100.0;
  }
  const std::size_t n = nodes_.size();
  // Partition episodes, one at a time.
  std::uint64_t t = start_time_ + random(0, 3000);
  while (t < heal_time_) {
    const std::uint64_t end = std::min(heal_time_, t + random(1000, 8000));
    const std::uint64_t kind = random(0, 3);
    std::vector<std::vector<bool>> pattern(n, std::vector<bool>(n, false));
    std::string what;
    if (kind == 0) {  // halves
      std::vector<bool> side(n);
      for (std::size_t i = 0; i < n; ++i) side[i] = chance(0.5);
      for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = 0; b < n; ++b) pattern[a][b] = side[a] != side[b];
      what = "partition into halves";
    } else if (kind == 1) {  // one isolated
      const auto lone = static_cast<std::size_t>(random(0, n - 1));
      for (std::size_t a = 0; a < n; ++a) pattern[a][lone] = pattern[lone][a] = a != lone;
      what = "isolate " + name(lone);
    } else if (kind == 2) {  // one-way: a node hears nobody but is heard
      const auto deaf = static_cast<std::size_t>(random(0, n - 1));
      for (std::size_t a = 0; a < n; ++a) pattern[a][deaf] = a != deaf;
      what = "one-way: " + name(deaf) + " hears nobody";
    } else {
      what = "no partition";
    }
    at(t, [this, pattern, what] {
      blocked_ = pattern;
      log(what);
    });
    t = end + random(0, 2000);
  }
  // Crashes (any node), restarted before or at healing.
  const std::uint64_t crashes = random(0, 3);
  for (std::uint64_t c = 0; c < crashes; ++c) {
    const auto victim = static_cast<std::size_t>(random(0, n - 1));
    const std::uint64_t when = start_time_ + random(0, heal_time_ - start_time_);
    const std::uint64_t back = std::min(heal_time_, when + random(200, 8000));
    at(when, [this, victim] { crash(victim); });
    at(back, [this, victim] { restart(victim); });
  }
  at(heal_time_, [this] {
    healed_ = true;
    loss_ = 0;
    duplication_ = 0;
    for (auto& row : blocked_) std::fill(row.begin(), row.end(), false);
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (!nodes_[i]->up) restart(i);
      nodes_[i]->head_at_heal = nodes_[i]->head;
    }
    log("healed: no loss, no partition, every node up");
  });
}

void Simulation::send(std::size_t from, std::size_t to, Payload payload, bool crafted) {
  if (from == to) return;
  if (blocked_[from][to]) return;
  if (!crafted && lock_split_drops(from, to, payload)) return;
  if (chance(loss_)) return;
  auto shared = std::make_shared<const Payload>(std::move(payload));
  const int copies = chance(duplication_) ? 2 : 1;
  for (int c = 0; c < copies; ++c) {
    Event event;
    event.time = time_ + random(min_delay_ms_, max_delay_ms_);  // independent delays reorder messages
    event.kind = EventKind::deliver;
    event.node = to;
    event.from = from;
    event.payload = shared;
    push(std::move(event));
  }
}

void Simulation::lock_split_setup() {
  LockSplit& attack = *lock_split_;
  consensus::ProposerSchedule schedule(genesis_.validators);
  auto index_of = [&](const Address& address) {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i]->address == address) return i;
    }
    ONEBILL_ASSERT(false && "a proposer that is no node");
    return std::size_t{0};
  };
  std::size_t proposer0 = 0, proposer1 = 0;
  for (int attempt = 0;; ++attempt) {
    ONEBILL_ASSERT(attempt < 100);
    attack.height = random(2, 6);
    proposer0 = index_of(schedule.proposer(attack.height, 0).address);
    proposer1 = index_of(schedule.proposer(attack.height, 1).address);
    attack.attacker = index_of(schedule.proposer(attack.height, 2).address);
    if (proposer0 != attack.attacker && proposer1 != attack.attacker) break;
  }
  nodes_[attack.attacker]->byzantine = Byzantine::lock_split;
  std::vector<std::size_t> correct;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (i != attack.attacker) correct.push_back(i);
  }
  do {
    attack.nil_voter = correct[static_cast<std::size_t>(random(0, correct.size() - 1))];
  } while (attack.nil_voter == proposer0);
  attack.decider = correct[static_cast<std::size_t>(random(0, correct.size() - 1))];
  for (std::size_t i : correct) {
    if (i != attack.decider) attack.locked.push_back(i);
  }
  log("lock-split attack at height " + std::to_string(attack.height) + ": attacker " + name(attack.attacker) +
      ", round-0 proposal kept from " + name(attack.nil_voter) + ", round-1 precommits only to " +
      name(attack.decider));
}

bool Simulation::lock_split_drops(std::size_t from, std::size_t to, const Payload& payload) const {
  (void)from;
  if (!lock_split_ || healed_) return false;
  const LockSplit& attack = *lock_split_;
  const Address& attacker = nodes_[attack.attacker]->address;
  const bool to_locked = std::find(attack.locked.begin(), attack.locked.end(), to) != attack.locked.end();
  if (std::holds_alternative<SyncResponse>(payload)) return to_locked;
  if (const auto* proposal = std::get_if<consensus::Proposal>(&payload)) {
    if (proposal->validator == attacker && proposal->height >= attack.height) return true;
    return proposal->height == attack.height && proposal->round == 0 && to == attack.nil_voter;
  }
  if (const auto* vote = std::get_if<consensus::Vote>(&payload)) {
    if (vote->validator == attacker && vote->height >= attack.height) return true;
    return to_locked && vote->height == attack.height && vote->round == 1 &&
           vote->type == ledger::VoteType::precommit && vote->validator == nodes_[attack.decider]->address;
  }
  return false;
}

// Sees every correct node's own messages as they leave; strikes when a locked node precommits in round 1.
void Simulation::lock_split_watch(std::size_t from,
                                  const std::variant<consensus::Proposal, consensus::Vote>& message) {
  LockSplit& attack = *lock_split_;
  if (healed_ || attack.struck || from == attack.attacker) return;
  if (const auto* proposal = std::get_if<consensus::Proposal>(&message)) {
    if (proposal->height == attack.height && proposal->round == 0 && !attack.round0) attack.round0 = *proposal;
    return;
  }
  const auto& vote = std::get<consensus::Vote>(message);
  if (!attack.round0 || vote.height != attack.height || vote.round != 1 ||
      vote.type != ledger::VoteType::precommit ||
      std::find(attack.locked.begin(), attack.locked.end(), from) == attack.locked.end())
    return;
  attack.struck = true;
  const SimNode& m = *nodes_[attack.attacker];
  const Hash32 b = ledger::block_hash(attack.round0->block.header);
  auto vote_of = [&](std::uint32_t round, ledger::VoteType type, std::optional<Hash32> block) {
    return sign_vote(m.key, consensus::Vote{genesis_.chain, attack.height, round, type, block, m.address, {}});
  };
  consensus::Proposal again = *attack.round0;
  again.round = 2;
  again.pol_round = 0;
  again.validator = m.address;
  again = sign_proposal(m.key, again);
  const std::vector<Payload> strike = {
      vote_of(1, ledger::VoteType::precommit, std::nullopt),  // lets the L nodes time out round 1
      vote_of(0, ledger::VoteType::prevote, b),               // completes the round-0 polka for B
      again,
      vote_of(2, ledger::VoteType::prevote, b),
      vote_of(2, ledger::VoteType::precommit, b),
  };
  for (std::size_t to : attack.locked) {
    for (const auto& payload : strike) send(attack.attacker, to, payload, true);
  }
  log(name(attack.attacker) + " re-proposes " + hex::encode(b).substr(0, 10) + " in round 2 with pol_round 0 to " +
      name(attack.locked[0]) + " and " + name(attack.locked[1]));
}

void Simulation::send_to_all(std::size_t from, const Payload& payload) {
  for (std::size_t to = 0; to < nodes_.size(); ++to) send(from, to, payload);
}

// A node's own proposals and votes leave through here: byzantine nodes bend them.
void Simulation::broadcast(std::size_t from,
                           const std::variant<consensus::Proposal, consensus::Vote>& message) {
  SimNode& node = *nodes_[from];
  auto as_payload = [](const auto& m) { return Payload(m); };
  if (lock_split_) lock_split_watch(from, message);
  if (node.byzantine == Byzantine::stale_proposals) {
    std::visit([&](const auto& m) { observe(node, Payload(m)); }, message);
    if (const auto* proposal = std::get_if<consensus::Proposal>(&message)) {
      if (auto stale = stale_proposal(node, *proposal)) {
        send_to_all(from, *stale);
        return;
      }
    }
    // It also withholds its precommits from all but one peer, so that one node may decide alone
    // while the others go on to later rounds, where the stale re-proposals come.
    if (const auto* vote = std::get_if<consensus::Vote>(&message);
        vote && vote->type == ledger::VoteType::precommit) {
      send(from, (from + 1) % nodes_.size(), *vote);
      return;
    }
  }
  switch (node.byzantine) {
    case Byzantine::silent:
      return;
    case Byzantine::equivocate:
      if (const auto* vote = std::get_if<consensus::Vote>(&message)) {
        consensus::Vote other = *vote;
        other.block = vote->block ? std::nullopt : std::optional<Hash32>(keccak256("equivocation"));
        other = sign_vote(node.key, other);
        for (std::size_t to = 0; to < nodes_.size(); ++to)
          send(from, to, to % 2 == 0 ? Payload(*vote) : Payload(other));
        return;
      }
      break;
    case Byzantine::conflicting_proposals:
      if (const auto* proposal = std::get_if<consensus::Proposal>(&message);
          proposal && !proposal->pol_round) {
        auto other_block = node::propose(node.store, candidates_for(node), proposal->block.header.time_ms + 1,
                                         node.key.address());
        if (other_block && other_block->block) {
          consensus::Proposal other = *proposal;
          other.block = other_block->block->block;
          other = sign_proposal(node.key, other);
          for (std::size_t to = 0; to < nodes_.size(); ++to)
            send(from, to, to % 2 == 0 ? Payload(*proposal) : Payload(other));
          return;
        }
      }
      break;
    case Byzantine::forged_header:
      if (const auto* proposal = std::get_if<consensus::Proposal>(&message)) {
        consensus::Proposal forged = *proposal;
        auto& header = forged.block.header;
        switch (random(0, 4)) {
          case 0:
            header.state_root = keccak256("forged state root");
            break;
          case 1:
            header.time_ms += 60'000;
            break;
          case 2:
            header.validators_hash = keccak256("forged set");
            break;
          case 3:
            header.prev_hash = keccak256("forged parent");
            break;
          default:
            header.proposer = shared_.parties.admin.address();
            break;
        }
        send_to_all(from, sign_proposal(node.key, forged));
        return;
      }
      break;
    default:
      break;
  }
  std::visit([&](const auto& m) { send_to_all(from, as_payload(m)); }, message);
}

void Simulation::apply(std::size_t index, const std::vector<consensus::Action>& actions) {
  for (const auto& action : actions) {
    SimNode& node = *nodes_[index];
    if (!node.up) return;
    if (const auto* persist = std::get_if<consensus::Persist>(&action)) {
      node.wal = persist->state;
    } else if (const auto* out = std::get_if<consensus::Broadcast>(&action)) {
      // The engine must have persisted every own signature before this point.
      if (const auto* vote = std::get_if<consensus::Vote>(&out->message);
          vote && vote->validator == node.address && node.byzantine != Byzantine::twin) {
        const bool persisted = node.wal.height > vote->height ||
                               (node.wal.height == vote->height && node.wal.round >= vote->round);
        if (!persisted) fail(name(index) + " broadcast a vote it had not persisted");
      }
      if (trace_enabled_) {
        if (const auto* vote = std::get_if<consensus::Vote>(&out->message)) {
          log(name(index) + " sends " + (vote->type == ledger::VoteType::prevote ? "prevote" : "precommit") +
              " h" + std::to_string(vote->height) + "/r" + std::to_string(vote->round) + " " +
              (vote->block ? hex::encode(*vote->block).substr(0, 10) : std::string("nil")));
        } else {
          const auto& proposal = std::get<consensus::Proposal>(out->message);
          log(name(index) + " sends proposal h" + std::to_string(proposal.height) + "/r" +
              std::to_string(proposal.round) + " " +
              hex::encode(ledger::block_hash(proposal.block.header)).substr(0, 10) +
              (proposal.pol_round ? " pol " + std::to_string(*proposal.pol_round) : std::string()));
        }
      }
      broadcast(index, out->message);
    } else if (const auto* schedule = std::get_if<consensus::Schedule>(&action)) {
      Event event;
      event.time = time_ + schedule->delay_ms;
      event.kind = EventKind::timeout;
      event.node = index;
      event.timeout = schedule->timeout;
      event.incarnation = node.incarnation;
      push(std::move(event));
    } else if (const auto* decide = std::get_if<consensus::Decide>(&action)) {
      commit_block(index, decide->block, *decide->executed, decide->commit);
    } else if (const auto* found = std::get_if<consensus::EvidenceFound>(&action)) {
      ++evidence_count_;
      log(name(index) + " evidence: " + found->evidence.first.validator.to_string() + " round " +
          std::to_string(found->evidence.first.round));
    }
  }
}

void Simulation::commit_block(std::size_t index, const ledger::Block& block,
                              const ledger::ExecutedBlock& executed, const ledger::Commit& commit) {
  SimNode& node = *nodes_[index];
  const std::uint64_t height = block.header.height;
  ONEBILL_ASSERT(height == node.head + 1);
  const Status written = node::commit(node.store, block, executed, commit, set_of(node, height));
  ONEBILL_ASSERT(written.ok());
  node.head = height;
  if (trace_enabled_ && index == 0 && executed.next_validators != set_of(node, height))
    log("validator set changes from height " + std::to_string(height + 1) + ": " +
        std::to_string(executed.next_validators.size()) + " validators");
  const Hash32 hash = ledger::block_hash(block.header);
  log(name(index) + " commits height " + std::to_string(height) + " round " + std::to_string(commit.round) +
      " " + hex::encode(hash).substr(0, 10) + " (" + std::to_string(block.transactions.size()) + " txs)");
  if (node.correct()) {
    auto [entry, first] = decided_.emplace(height, std::make_pair(hash, executed.state_root));
    if (!first && entry->second.first != hash)
      fail("safety: " + name(index) + " committed another block at height " + std::to_string(height));
    if (!first && entry->second.second != executed.state_root)
      fail("safety: " + name(index) + " has another state root at height " + std::to_string(height));
  }
  start_height(index);
}

void Simulation::start_height(std::size_t index) {
  SimNode& node = *nodes_[index];
  const std::uint64_t next = node.head + 1;
  apply(index, node.engine->start(next, set_of(node, next), now_of(node)));
  if (node.up && node.engine->height() == next && !candidates_for(node).empty())
    apply(index, node.engine->on_candidates_available(now_of(node)));
}

void Simulation::crash(std::size_t index) {
  SimNode& node = *nodes_[index];
  if (!node.up) return;
  node.up = false;
  node.store.crash();  // unsynced writes are lost; commits are synced
  node.engine.reset();
  ++node.incarnation;
  log(name(index) + " crashes");
}

void Simulation::restart(std::size_t index) {
  SimNode& node = *nodes_[index];
  if (node.up) return;
  node.up = true;
  auto head = ledger::Ledger(node.store).head();
  ONEBILL_ASSERT(head.ok() && head->has_value());
  node.head = (*head)->height;
  node.workload_cursor = 0;
  node.engine = std::make_unique<consensus::Engine>(genesis_.chain, node.key, *node.app, timeouts_, node.wal);
  log(name(index) + " restarts at height " + std::to_string(node.head + 1) + " (signed up to h" +
      std::to_string(node.wal.height) + "/r" + std::to_string(node.wal.round) + ")");
  start_height(index);
}

void Simulation::tick(std::size_t index) {
  SimNode& node = *nodes_[index];
  Event next;
  next.time = time_ + tick_ms;
  next.kind = EventKind::tick;
  next.node = index;
  push(std::move(next));
  if (!node.up) return;
  if (trace_enabled_ && (time_ - start_time_) / tick_ms % 10 == 0) {
    log(name(index) + " at h" + std::to_string(node.engine->height()) + "/r" +
        std::to_string(node.engine->round()) + " step " +
        std::to_string(static_cast<int>(node.engine->step())) + (node.engine->started() ? "" : " idle") +
        " candidates " + std::to_string(candidates_for(node).size()));
  }
  send_to_all(index, StatusMessage{node.head});
  apply(index, node.engine->rebroadcast());
  if (!node.up || !node.engine) return;
  if (!candidates_for(node).empty()) apply(index, node.engine->on_candidates_available(now_of(node)));
  if (node.byzantine == Byzantine::huge_rounds && node.up) {
    consensus::Vote vote{genesis_.chain,
                         node.head + 1,
                         static_cast<std::uint32_t>(random(1u << 20, UINT32_MAX)),
                         chance(0.5) ? ledger::VoteType::prevote : ledger::VoteType::precommit,
                         std::nullopt,
                         node.key.address(),
                         {}};
    send_to_all(index, sign_vote(node.key, vote));
  }
}

void Simulation::deliver(std::size_t to, std::size_t from, const Payload& payload) {
  SimNode& node = *nodes_[to];
  if (!node.up) return;
  const std::uint64_t now = now_of(node);
  if (node.byzantine == Byzantine::stale_proposals) observe(node, payload);
  if (const auto* proposal = std::get_if<consensus::Proposal>(&payload)) {
    apply(to, node.engine->on_proposal(*proposal, now).actions);
  } else if (const auto* vote = std::get_if<consensus::Vote>(&payload)) {
    apply(to, node.engine->on_vote(*vote, now).actions);
  } else if (const auto* status = std::get_if<StatusMessage>(&payload)) {
    if (status->head > node.head) send(to, from, SyncRequest{node.head + 1});
  } else if (const auto* request = std::get_if<SyncRequest>(&payload)) {
    SyncResponse response;
    const ledger::Ledger ledger(node.store);
    for (std::uint64_t h = request->from_height; h <= node.head && response.blocks.size() < 4; ++h) {
      auto block = ledger.block(h);
      auto commit = ledger.commit(h);
      ONEBILL_ASSERT(block.ok() && block->has_value() && commit.ok() && commit->has_value());
      response.blocks.emplace_back(**block, **commit);
    }
    if (!response.blocks.empty()) send(to, from, std::move(response));
  } else if (const auto* response = std::get_if<SyncResponse>(&payload)) {
    // Block sync: a block and its commit are verified against this node's own set before applying.
    for (const auto& [block, commit] : response->blocks) {
      if (!node.up || block.header.height != node.head + 1) continue;
      if (commit.height != block.header.height || commit.block_hash != ledger::block_hash(block.header))
        continue;
      if (!ledger::verify_commit(genesis_.chain, commit, set_of(node, block.header.height)).ok()) {
        fail(name(to) + " received a block whose commit does not verify");
        continue;
      }
      auto executed = node::execute(node.store, block);
      if (!executed) {
        fail(name(to) + " cannot execute a committed block: " + executed.problem().detail);
        continue;
      }
      log(name(to) + " syncs height " + std::to_string(block.header.height) + " from " + name(from));
      commit_block(to, block, *executed, commit);
    }
  }
}

void Simulation::handle(const Event& event) {
  switch (event.kind) {
    case EventKind::deliver:
      deliver(event.node, event.from, *event.payload);
      break;
    case EventKind::timeout: {
      SimNode& node = *nodes_[event.node];
      if (!node.up || node.incarnation != event.incarnation) return;
      apply(event.node, node.engine->on_timeout(event.timeout, now_of(node)));
      break;
    }
    case EventKind::tick:
      tick(event.node);
      break;
    case EventKind::fault:
      event.fault();
      break;
  }
}

RunResult Simulation::run() {
  setup();
  schedule_faults();
  const std::uint64_t end_time = heal_time_ + liveness_window_ms;
  while (!queue_.empty() && !failure_) {
    Event event = queue_.top();
    queue_.pop();
    if (event.time > end_time) break;
    time_ = std::max(time_, event.time);
    handle(event);
    ++events_;
    if (healed_) {
      bool all_done = true;
      for (const auto& node : nodes_) {
        if (node->correct() && node->head < max_height) all_done = false;
      }
      if (all_done) break;
    }
  }
  if (!failure_) {
    // Liveness: after healing, every correct node committed new heights (or reached the last one).
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const SimNode& node = *nodes_[i];
      if (!node.correct()) continue;
      if (node.head < max_height && node.head < node.head_at_heal + 2) {
        fail("liveness: " + name(i) + " went from height " + std::to_string(node.head_at_heal) + " to " +
             std::to_string(node.head) + " in " + std::to_string(liveness_window_ms / 1000) +
             " s after healing");
        break;
      }
    }
  }
  RunResult result;
  result.passed = !failure_;
  if (failure_) result.reason = *failure_;
  for (const auto& node : nodes_) result.heights = std::max(result.heights, node->head);
  log("end: " + std::to_string(events_) + " events, " + std::to_string(decided_.size()) +
      " heights decided, " + std::to_string(evidence_count_) + " evidence reports");
  result.trace = std::move(trace_);
  return result;
}

struct Options {
  std::uint64_t from = 0, to = 0;
  std::optional<std::uint64_t> seed;
  unsigned jobs = 1;
  bool trace = false;
};

int usage() {
  std::fprintf(stderr, "usage: onebill_sim --from N --to M [--jobs J] | --seed S [--trace]\n");
  return 2;
}

int main_impl(int argc, char** argv) {
  Options options;
  bool have_range = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto number = [&](std::uint64_t& out) {
      if (i + 1 >= argc) return false;
      char* end = nullptr;
      out = std::strtoull(argv[++i], &end, 10);
      return end != nullptr && *end == '\0';
    };
    std::uint64_t value = 0;
    if (arg == "--from" && number(value)) {
      options.from = value;
      have_range = true;
    } else if (arg == "--to" && number(value)) {
      options.to = value;
      have_range = true;
    } else if (arg == "--seed" && number(value)) {
      options.seed = value;
    } else if (arg == "--jobs" && number(value) && value >= 1 && value <= 64) {
      options.jobs = static_cast<unsigned>(value);
    } else if (arg == "--trace") {
      options.trace = true;
    } else {
      return usage();
    }
  }
  if (!options.seed && (!have_range || options.to < options.from)) return usage();

  Shared shared;
  shared.workload = make_workload(shared.parties, 60);

  if (options.seed) {
    Simulation simulation(shared, *options.seed, true);
    RunResult result = simulation.run();
    if (options.trace) std::fputs(result.trace.c_str(), stdout);
    std::printf("seed %llu: %s (%llu heights)%s%s\n", static_cast<unsigned long long>(*options.seed),
                result.passed ? "passed" : "FAILED", static_cast<unsigned long long>(result.heights),
                result.passed ? "" : ": ", result.reason.c_str());
    return result.passed ? 0 : 1;
  }

  std::atomic<std::uint64_t> next{options.from};
  std::mutex mutex;
  std::map<std::uint64_t, std::string> failures;
  std::uint64_t passed = 0;
  auto worker = [&] {
    for (;;) {
      const std::uint64_t seed = next.fetch_add(1);
      if (seed > options.to) return;
      Simulation simulation(shared, seed, false);
      RunResult result = simulation.run();
      std::lock_guard lock(mutex);
      if (result.passed) {
        ++passed;
      } else {
        failures[seed] = result.reason;
        std::printf("seed %llu FAILED: %s\n", static_cast<unsigned long long>(seed), result.reason.c_str());
        std::fflush(stdout);
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < options.jobs; ++j) threads.emplace_back(worker);
  for (auto& thread : threads) thread.join();
  std::printf("seeds %llu..%llu: %llu passed, %zu failed\n", static_cast<unsigned long long>(options.from),
              static_cast<unsigned long long>(options.to), static_cast<unsigned long long>(passed),
              failures.size());
  if (!failures.empty()) {
    std::printf("failed seeds:");
    for (const auto& [seed, reason] : failures) std::printf(" %llu", static_cast<unsigned long long>(seed));
    std::printf("\nreplay one with: scripts/sim --seed S --trace\n");
  }
  return failures.empty() ? 0 : 1;
}

}  // namespace
}  // namespace onebill::sim

int main(int argc, char** argv) {
  return onebill::sim::main_impl(argc, argv);
}
