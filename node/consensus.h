// Tendermint consensus (DESIGN §5) as a pure state machine: Algorithm 1 of Buchman, Kwon, Milosevic,
// "The latest gossip on BFT consensus" (arXiv 1807.04938). Messages, timeouts and "now" go in; actions
// come out. No threads, clocks, sockets, randomness or unordered iteration inside, so the node and the
// deterministic simulator (tests/sim) drive the same code.
//
// How the node drives it (one thread owns the engine; actions are carried out IN ORDER):
//
//   Engine engine(chain, validator_key, app, timeouts, restored_sign_state);
//   run(engine.start(head.height + 1, validator_set(head.height + 1), now));
//   loop: run(engine.on_proposal(p, now)) | run(engine.on_vote(v, now)) | run(engine.on_timeout(t, now))
//         | run(engine.on_candidates_available(now))          // the mempool became non-empty
//         | every few seconds: run(engine.rebroadcast())      // gossip: re-send own messages of the round
//   run(actions): Persist  -> write the SignState durably (fsync) BEFORE the next action
//                 Broadcast-> gossip the signed proposal or vote to every peer
//                 Schedule -> call on_timeout(timeout, now) after delay_ms
//                 Decide   -> node::commit(store, block, executed, commit, set); then
//                             engine.start(height + 1, validator_set(height + 1), now)
//                 Evidence -> keep it for GET /v1/evidence
//
// Empty blocks are never made (CometBFT's create_empty_blocks = false is the model). After start(h)
// the engine idles: no proposal, no timeout. It enters round 0 when the application says candidates are
// available (on_candidates_available) or when any validly signed message of height h arrives (some
// other validator has work). A proposer whose candidates are all gone proposes nothing and stays in
// the propose step; a later on_candidates_available in that step makes it propose then. Others time
// out (L57) and move to the next round as usual, so a transaction known to a single validator is
// committed at the latest when that validator's turn comes. The cost: rounds run on timeouts while
// proposers have nothing, with timeouts growing per round.
//
// Safety across crashes: the SignState (last signed height/round/step, the lock, the own signed
// messages of that round and the own votes of the height's few rounds before it) is persisted before
// each new signature is broadcast; a restarted engine never signs at or below it, re-sends the same
// messages instead, and keeps its lock.
//
// Untrusted input: messages from unknown validators, with bad signatures, for another chain or
// height, or for rounds beyond round + max_future_rounds are dropped (the round rule L55 is counted
// from one "highest round" per validator, so huge rounds cost no memory). The first vote per
// validator per (round, type) is kept; a conflicting one becomes Evidence (see RoundState).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "crypto/json.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"
#include "ledger/block.h"
#include "ledger/state.h"
#include "ledger/store.h"
#include "ledger/transaction.h"
#include "node/block_producer.h"

namespace onebill::consensus {

using ledger::VoteType;

// ---- Signed messages (wire forms for gossip) ----

// JSON: {chain, height, round, type: "prevote"|"precommit", block: hash|null, validator, signature}
// signature: the validator's consensus key over ledger::vote_digest.
struct Vote {
  std::string chain;
  std::uint64_t height = 0;
  std::uint32_t round = 0;
  VoteType type = VoteType::prevote;
  std::optional<Hash32> block;  // nullopt: nil
  Address validator;
  Signature signature{};
  bool operator==(const Vote&) const = default;
};
json::Json to_json(const Vote& vote);
// Untrusted input: exact fields, canonical integers, round below 2^32. "wrong-type" otherwise.
Result<Vote> vote_from_json(const json::Json& json);

// JSON: {chain, height, round, pol_round: n|null, block: {header, transactions}, validator, signature}
// signature over ledger::proposal_digest(chain, height, round, pol_round, block_hash(block.header)).
struct Proposal {
  std::string chain;
  std::uint64_t height = 0;
  std::uint32_t round = 0;
  std::optional<std::uint32_t> pol_round;
  ledger::Block block;
  Address validator;
  Signature signature{};
};
json::Json to_json(const Proposal& proposal);
// json::canonical(to_json(proposal)), made without parsing the block's transactions again: the block's
// canonical text (ledger::block_jcs) is spliced in, its wire texts as they are.
std::string proposal_jcs(const Proposal& proposal);
Result<Proposal> proposal_from_json(const json::Json& json);
// Parses wire text with the reader's limits (too-large beyond limits::max_batch_bytes + 64 KiB).
Result<Vote> parse_vote(std::string_view text);
Result<Proposal> parse_proposal(std::string_view text);

// Two signed votes of one validator for the same (height, round, type) and different blocks.
// JSON: {first: vote, second: vote}
struct Evidence {
  Vote first;
  Vote second;
};
json::Json to_json(const Evidence& evidence);

// ---- Persistent signing state ----

enum class Step : std::uint8_t { propose = 0, prevote = 1, precommit = 2 };

// Earlier rounds of a height whose own votes the sign state keeps and rebroadcast re-sends (with the
// current round: the last kept_rounds rounds the validator signed in).
inline constexpr std::size_t kept_rounds = 4;

// What a validator must remember across a crash. JSON: {height, round, step, locked_round?,
// locked_block?, locked_proposal?, lock_proof?, proposal?, prevote?, precommit?, earlier_votes?}
// (the messages: own, of (height, round); earlier_votes: own, of (height, earlier rounds)).
struct SignState {
  std::uint64_t height = 0;  // 0: never signed
  std::uint32_t round = 0;
  Step step = Step::propose;
  std::optional<std::uint32_t> locked_round;  // Alg.1 lockedRound at `height`
  std::optional<Hash32> locked_block;         // Alg.1 lockedValue (its hash)
  // The locked block itself (the proposal that carried it) and the +2/3 prevotes of locked_round that
  // proved it: after a crash the validator can still re-propose its lock (L14-15, validValue) and show
  // the proof. Without them a restarted validator locked on a block no one else holds would propose
  // only fresh blocks it cannot prevote, and two such validators of four stall the height forever.
  std::optional<Proposal> locked_proposal;
  std::vector<Vote> lock_proof;
  std::optional<Proposal> proposal;  // own signed messages of (height, round)
  std::optional<Vote> prevote;
  std::optional<Vote> precommit;
  // Own votes of `height` in the last kept_rounds - 1 rounds signed before `round`, oldest first. A
  // validator that moved on and then crashed still re-sends them: a peer left in an earlier round may
  // lack its precommit there, and with it the +2/3 that lets it time out and follow (CometBFT replays
  // them from its WAL). Parsing checks: of `height`, below `round`, one signer, one per (round, type).
  std::vector<Vote> earlier_votes;
};
json::Json to_json(const SignState& state);
Result<SignState> sign_state_from_json(const json::Json& json);

// ---- Configuration ----

// Timeout of a step in round r = base + delta * r (Alg.1 timeoutPropose(r) etc.).
struct TimeoutConfig {
  std::uint64_t propose_base_ms = 3000;
  std::uint64_t propose_delta_ms = 500;
  std::uint64_t prevote_base_ms = 1000;
  std::uint64_t prevote_delta_ms = 500;
  std::uint64_t precommit_base_ms = 1000;
  std::uint64_t precommit_delta_ms = 500;
  std::uint64_t max_block_ahead_ms = 10'000;  // prevote nil on a block further ahead of our clock
  std::uint32_t max_future_rounds = 8;        // messages of rounds beyond round + this are dropped
  std::uint64_t delay_ms(Step step, std::uint32_t round) const;
};

// The application the engine serves: the node gives its mempool and store, the simulator its workload.
class Application {
 public:
  virtual ~Application() = default;
  // The committed store; its head is height - 1 while the engine runs `height`.
  virtual const ledger::Store& committed() const = 0;
  // Transactions to propose, in order (the mempool's candidates). May be empty.
  virtual std::vector<ledger::Transaction> candidates() = 0;
  // Candidates that no longer apply while proposing (the mempool evicts them).
  virtual void refused(const std::vector<node::RefusedCandidate>& refused) { (void)refused; }
  // Re-executes a proposed block on the committed store (node::execute); override to cache (the
  // simulator shares results between nodes with the same head).
  virtual Result<ledger::ExecutedBlock> execute(const ledger::Block& block) {
    return node::execute(committed(), block);
  }
  // Recovers the signer of a consensus signature; override to cache (the simulator does).
  virtual Result<Address> recover_signer(const Hash32& digest, const Signature& signature) {
    return recover_address(digest, signature);
  }
};

// ---- Actions ----

struct Timeout {
  std::uint64_t height = 0;
  std::uint32_t round = 0;
  Step step = Step::propose;
  bool operator==(const Timeout&) const = default;
};

struct Persist {  // write durably before carrying out the next action
  SignState state;
};
struct Broadcast {
  std::variant<Proposal, Vote> message;
};
struct Schedule {
  Timeout timeout;
  std::uint64_t delay_ms = 0;
};
struct Decide {  // +2/3 precommits for a valid block (Alg.1 L49): commit it, then start(height + 1)
  ledger::Block block;
  // Shared with the engine's record of the block's validity: a full block's writes are ~10,000 keys
  // and megabytes of text, not to be copied on the way to the commit.
  std::shared_ptr<const ledger::ExecutedBlock> executed;
  ledger::Commit commit;
};
struct EvidenceFound {
  Evidence evidence;
};
using Action = std::variant<Persist, Broadcast, Schedule, Decide, EvidenceFound>;

// Why a message was not used (for logs, metrics and tests); nullopt when it was taken.
struct Outcome {
  std::vector<Action> actions;
  std::optional<Problem> dropped;
  // The message was valid, of the current height, and new to the engine, which stored it: the node
  // relays it once to its other peers (gossip onwards). False for duplicates, refused messages, other
  // heights and rounds too far ahead, so each message is relayed at most once per node.
  bool fresh = false;
};

// ---- Proposer selection ----

// CometBFT's proposer priority over `set` sorted by address: each step adds every validator's power
// to its priority, picks the highest (ties: the lower address) and subtracts the total power from it;
// priorities are re-centred on their average and rescaled to a spread of at most 2 * total power.
// The schedule starts from zero priorities and is advanced (height mod total power) + round steps,
// so every node computes the same proposer from the set alone, and each validator proposes in
// proportion to its power over any window of `total power` consecutive heights.
class ProposerSchedule {
 public:
  explicit ProposerSchedule(std::vector<ledger::Validator> set);
  // The proposer of (height, round). Cost: O(n * (total power + round)) per new height, O(n) per round.
  const ledger::Validator& proposer(std::uint64_t height, std::uint32_t round);

 private:
  void advance();
  std::vector<ledger::Validator> set_;  // sorted by address
  std::vector<std::int64_t> priorities_;
  std::vector<std::int64_t> base_priorities_;  // at round 0 of height_
  std::int64_t total_power_ = 0;
  std::optional<std::uint64_t> height_;
  std::uint64_t steps_ = 0;  // steps taken since zero priorities
  std::size_t last_ = 0;
};

// ---- The engine ----

class Engine {
 public:
  // validator_key: nullopt for an observer (it follows and decides, never signs).
  Engine(std::string chain, std::optional<PrivateKey> validator_key, Application& app, TimeoutConfig timeouts,
         SignState restored = {});

  // Begins `height` with the set that signs it (ledger::validator_set(height)). The committed store's
  // head must be height - 1. Returns the re-sent own messages when the SignState is of this height.
  std::vector<Action> start(std::uint64_t height, std::vector<ledger::Validator> set, std::uint64_t now_ms);

  Outcome on_proposal(const Proposal& proposal, std::uint64_t now_ms);
  Outcome on_vote(const Vote& vote, std::uint64_t now_ms);
  std::vector<Action> on_timeout(const Timeout& timeout, std::uint64_t now_ms);
  std::vector<Action> on_candidates_available(std::uint64_t now_ms);
  // What to re-send every few seconds, since gossip is lossy: own proposal and own votes of the last
  // kept_rounds rounds (from the sign state, so the same after a restart), the current round's
  // proposal, the prevotes that prove a lock (ours, or the current proposal's pol_round), and the
  // others' votes of this round and the one before.
  std::vector<Action> rebroadcast() const;

  std::uint64_t height() const { return height_; }
  std::uint32_t round() const { return round_; }
  Step step() const { return step_; }
  bool started() const { return started_round_; }
  bool decided() const { return decided_; }
  const SignState& sign_state() const { return sign_state_; }
  std::optional<Address> own_address() const;
  // The proposer of (current height, round).
  Address proposer_of(std::uint32_t round);

 private:
  struct RoundState {
    std::vector<Proposal> proposals;      // at most 2 (a second, conflicting one is kept for its block)
    std::vector<Hash32> proposal_hashes;  // block hash of each, computed once
    // Per validator: its first vote, then up to 3 conflicting ones. A validator counts towards a
    // block if any of its votes is for it (CometBFT tracks conflicting votes per block the same way):
    // safe, since two +2/3 quorums still share a correct validator, and live, since equivocation
    // cannot hide a polka from some correct validators forever.
    std::map<Address, std::vector<Vote>> prevotes;
    std::map<Address, std::vector<Vote>> precommits;
    bool prevote_timeout_scheduled = false;    // L34 "for the first time"
    bool precommit_timeout_scheduled = false;  // L47
    bool locked_or_valid_updated = false;      // L36
  };
  struct Validity {
    Status status;
    std::shared_ptr<const ledger::ExecutedBlock> executed;  // set when status is ok
  };

  Status check_sender(const Address& validator, const Hash32& digest, const Signature& signature);
  // Both return whether the message was stored now (false: a duplicate, or beyond the bound).
  bool add_vote(const Vote& vote, std::vector<Action>& out);
  bool add_proposal(const Proposal& proposal, const Hash32& hash);
  void activate(std::uint64_t now_ms, std::vector<Action>& out);
  void start_round(std::uint32_t round, std::uint64_t now_ms, std::vector<Action>& out);
  void try_propose(std::uint64_t now_ms, std::vector<Action>& out);
  void progress(std::uint64_t now_ms, std::vector<Action>& out);
  bool progress_once(std::uint64_t now_ms, std::vector<Action>& out);
  void sign_prevote(std::optional<Hash32> block, std::vector<Action>& out);
  void sign_precommit(std::optional<Hash32> block, std::vector<Action>& out);
  bool may_sign(std::uint32_t round, Step step) const;
  void persist_and_broadcast(std::variant<Proposal, Vote> message, std::vector<Action>& out);
  const Validity& validity(const Proposal& proposal, const Hash32& hash);
  bool prevote_acceptable(const Proposal& proposal, const Hash32& hash, std::uint64_t now_ms);
  using VoteMap = std::map<Address, std::vector<Vote>>;
  std::uint64_t power_of(const VoteMap& votes, const std::optional<Hash32>& block) const;
  std::uint64_t power_of_any(const VoteMap& votes) const;
  bool two_thirds(std::uint64_t power) const { return 3 * power > 2 * total_power_; }
  bool one_third(std::uint64_t power) const { return 3 * power > total_power_; }
  const Proposal* find_proposal(std::uint32_t round, const Hash32& hash) const;
  void schedule(Step step, std::uint32_t round, std::vector<Action>& out) const;

  std::string chain_;
  std::optional<PrivateKey> key_;
  std::string key_text_;  // node::consensus_key_text(*key_), computed once
  Application& app_;
  TimeoutConfig timeouts_;
  SignState sign_state_;

  // Per height.
  std::uint64_t height_ = 0;
  std::vector<ledger::Validator> set_;
  std::map<Address, Address> key_addresses_;  // validator address -> address of its consensus key
  std::uint64_t total_power_ = 0;
  std::optional<ProposerSchedule> schedule_;
  std::optional<ledger::Validator> self_;
  bool started_round_ = false;  // round 0 entered (see "Empty blocks" above)
  bool decided_ = false;
  std::uint32_t round_ = 0;
  Step step_ = Step::propose;
  bool awaiting_candidates_ = false;
  std::optional<std::uint32_t> locked_round_;
  std::optional<Hash32> locked_block_;
  std::optional<std::uint32_t> valid_round_;
  std::optional<Proposal> valid_proposal_;  // validValue, with the proposal that carried it
  std::optional<Hash32> valid_hash_;
  std::optional<Proposal> locked_proposal_;  // with lock_proof_: see SignState
  std::vector<Vote> lock_proof_;
  std::map<std::uint32_t, RoundState> rounds_;
  std::map<Address, std::uint32_t> highest_round_;  // L55, one entry per validator
  std::map<Hash32, Validity> validity_;
  std::set<std::tuple<Address, std::uint32_t, int>> evidence_reported_;
};

}  // namespace onebill::consensus
