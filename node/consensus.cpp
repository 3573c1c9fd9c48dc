#include "node/consensus.h"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <tuple>

#include "crypto/hex.h"
#include "crypto/limits.h"

namespace onebill::consensus {

using json::Json;

namespace {

// ---- Reading untrusted JSON: any mismatch throws ParseError, turned into "wrong-type" at once ----

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const Json& member(const Json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end()) throw ParseError(std::string("missing field ") + key);
  return *found;
}

void expect_fields(const Json& object, std::initializer_list<const char*> allowed) {
  if (!object.is_object()) throw ParseError("not an object");
  for (const auto& [key, value] : object.items()) {
    (void)value;
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* name) { return key == name; }))
      throw ParseError("unknown field " + key);
  }
}

std::uint64_t read_u64(const Json& object, const char* key) {
  const Json& value = member(object, key);
  if (!value.is_number_unsigned()) throw ParseError(std::string(key) + ": not a non-negative integer");
  const auto number = value.get<std::uint64_t>();
  if (number > limits::max_canonical_integer) throw ParseError(std::string(key) + ": too large");
  return number;
}

std::uint32_t read_round(const Json& value, const char* key) {
  if (!value.is_number_unsigned()) throw ParseError(std::string(key) + ": not a non-negative integer");
  const auto number = value.get<std::uint64_t>();
  if (number > UINT32_MAX) throw ParseError(std::string(key) + ": too large");
  return static_cast<std::uint32_t>(number);
}

const std::string& read_string(const Json& object, const char* key) {
  const Json& value = member(object, key);
  if (!value.is_string()) throw ParseError(std::string(key) + ": not a string");
  return value.get_ref<const std::string&>();
}

Hash32 read_hash(const Json& value, const char* key) {
  if (!value.is_string()) throw ParseError(std::string(key) + ": not a hash");
  auto hash = ledger::parse_hash(value.get_ref<const std::string&>());
  if (!hash) throw ParseError(std::string(key) + ": not a hash");
  return *hash;
}

Address read_address(const Json& object, const char* key) {
  auto address = Address::parse(read_string(object, key));
  if (!address) throw ParseError(std::string(key) + ": " + address.problem().detail);
  return *address;
}

Signature read_signature(const Json& object, const char* key) {
  auto signature = parse_signature(read_string(object, key));
  if (!signature) throw ParseError(std::string(key) + ": " + signature.problem().detail);
  return *signature;
}

template <typename T, typename Decode>
Result<T> decode(std::string_view what, Decode decode_fn) {
  try {
    return decode_fn();
  } catch (const ParseError& error) {
    return invalid("wrong-type", std::string(what) + ": " + error.what());
  }
}

const char* step_name(Step step) {
  switch (step) {
    case Step::propose:
      return "propose";
    case Step::prevote:
      return "prevote";
    case Step::precommit:
      return "precommit";
  }
  return "propose";
}

Step read_step(const std::string& text) {
  if (text == "propose") return Step::propose;
  if (text == "prevote") return Step::prevote;
  if (text == "precommit") return Step::precommit;
  throw ParseError("step: unknown value " + text);
}

Hash32 proposal_hash(const Proposal& proposal) {
  return ledger::block_hash(proposal.block.header);
}

Hash32 digest_of(const Vote& vote) {
  return ledger::vote_digest(vote.chain, vote.height, vote.round, vote.type, vote.block);
}

Hash32 digest_of(const Proposal& proposal, const Hash32& hash) {
  return ledger::proposal_digest(proposal.chain, proposal.height, proposal.round, proposal.pol_round, hash);
}

Problem dropped(std::string rule, std::string detail) {
  return invalid(std::move(rule), std::move(detail));
}

// Messages of this size or less are read; a proposal carries a whole block (limits::max_batch_bytes).
constexpr std::size_t max_message_bytes = limits::max_batch_bytes + 64 * 1024;

// The proposer schedule starts from zero priorities at (height mod cycle): a bounded amount of work.
constexpr std::int64_t max_schedule_cycle = 1 << 16;

}  // namespace

// ---- Wire forms ----

Json to_json(const Vote& vote) {
  return {{"chain", vote.chain},
          {"height", vote.height},
          {"round", vote.round},
          {"type", vote.type == VoteType::prevote ? "prevote" : "precommit"},
          {"block", vote.block ? Json(ledger::hash_text(*vote.block)) : Json(nullptr)},
          {"validator", ledger::address_text(vote.validator)},
          {"signature", signature_to_string(vote.signature)}};
}

Result<Vote> vote_from_json(const Json& json) {
  return decode<Vote>("vote", [&] {
    expect_fields(json, {"chain", "height", "round", "type", "block", "validator", "signature"});
    Vote vote;
    vote.chain = read_string(json, "chain");
    vote.height = read_u64(json, "height");
    vote.round = read_round(member(json, "round"), "round");
    const std::string& type = read_string(json, "type");
    if (type == "prevote") {
      vote.type = VoteType::prevote;
    } else if (type == "precommit") {
      vote.type = VoteType::precommit;
    } else {
      throw ParseError("type: expected prevote or precommit");
    }
    const Json& block = member(json, "block");
    if (!block.is_null()) vote.block = read_hash(block, "block");
    vote.validator = read_address(json, "validator");
    vote.signature = read_signature(json, "signature");
    return vote;
  });
}

namespace {

// A proposal's members but its block.
Json proposal_members(const Proposal& proposal) {
  return {{"chain", proposal.chain},
          {"height", proposal.height},
          {"round", proposal.round},
          {"pol_round", proposal.pol_round ? Json(*proposal.pol_round) : Json(nullptr)},
          {"validator", ledger::address_text(proposal.validator)},
          {"signature", signature_to_string(proposal.signature)}};
}

}  // namespace

Json to_json(const Proposal& proposal) {
  Json out = proposal_members(proposal);
  out["block"] = ledger::to_json(proposal.block);
  return out;
}

std::string proposal_jcs(const Proposal& proposal) {
  const std::string members = json::canonical(proposal_members(proposal));  // {"chain":...,"validator":...}
  ONEBILL_ASSERT(members.size() > 2 && members.front() == '{');
  // JCS orders members by code unit: "block" comes before every other member of a proposal.
  const std::string block = ledger::block_jcs(proposal.block);
  std::string out;
  out.reserve(block.size() + members.size() + 16);
  out += "{\"block\":";
  out += block;
  out += ',';
  out.append(members, 1);
  return out;
}

Result<Proposal> proposal_from_json(const Json& json) {
  auto fields = decode<Proposal>("proposal", [&] {
    expect_fields(json, {"chain", "height", "round", "pol_round", "block", "validator", "signature"});
    Proposal proposal;
    proposal.chain = read_string(json, "chain");
    proposal.height = read_u64(json, "height");
    proposal.round = read_round(member(json, "round"), "round");
    const Json& pol_round = member(json, "pol_round");
    if (!pol_round.is_null()) proposal.pol_round = read_round(pol_round, "pol_round");
    proposal.validator = read_address(json, "validator");
    proposal.signature = read_signature(json, "signature");
    member(json, "block");
    return proposal;
  });
  ONEBILL_TRY(fields);
  auto block = ledger::block_from_json(json["block"]);
  ONEBILL_TRY(block);
  for (const auto& text : block->transactions) {
    if (text.size() > limits::max_transaction_bytes)
      return invalid("too-large", "proposal: a transaction is over the size limit");
  }
  Proposal proposal = std::move(*fields);
  proposal.block = std::move(*block);
  return proposal;
}

Result<Vote> parse_vote(std::string_view text) {
  auto json = json::read(text, {max_message_bytes, limits::max_json_depth});
  ONEBILL_TRY(json);
  return vote_from_json(*json);
}

Result<Proposal> parse_proposal(std::string_view text) {
  auto json = json::read(text, {max_message_bytes, limits::max_json_depth});
  ONEBILL_TRY(json);
  return proposal_from_json(*json);
}

Json to_json(const Evidence& evidence) {
  return {{"first", to_json(evidence.first)}, {"second", to_json(evidence.second)}};
}

Json to_json(const SignState& state) {
  Json out = {{"height", state.height}, {"round", state.round}, {"step", step_name(state.step)}};
  if (state.locked_round) out["locked_round"] = *state.locked_round;
  if (state.locked_block) out["locked_block"] = ledger::hash_text(*state.locked_block);
  if (state.locked_proposal) out["locked_proposal"] = to_json(*state.locked_proposal);
  if (!state.lock_proof.empty()) {
    Json proof = Json::array();
    for (const auto& vote : state.lock_proof) proof.push_back(to_json(vote));
    out["lock_proof"] = std::move(proof);
  }
  if (state.proposal) out["proposal"] = to_json(*state.proposal);
  if (state.prevote) out["prevote"] = to_json(*state.prevote);
  if (state.precommit) out["precommit"] = to_json(*state.precommit);
  if (!state.earlier_votes.empty()) {
    Json earlier = Json::array();
    for (const auto& vote : state.earlier_votes) earlier.push_back(to_json(vote));
    out["earlier_votes"] = std::move(earlier);
  }
  return out;
}

Result<SignState> sign_state_from_json(const Json& json) {
  auto state = decode<SignState>("sign state", [&] {
    expect_fields(json, {"height", "round", "step", "locked_round", "locked_block", "locked_proposal",
                         "lock_proof", "proposal", "prevote", "precommit", "earlier_votes"});
    SignState out;
    out.height = read_u64(json, "height");
    out.round = read_round(member(json, "round"), "round");
    out.step = read_step(read_string(json, "step"));
    if (json.contains("locked_round")) out.locked_round = read_round(json["locked_round"], "locked_round");
    if (json.contains("locked_block")) out.locked_block = read_hash(json["locked_block"], "locked_block");
    if (out.locked_round.has_value() != out.locked_block.has_value())
      throw ParseError("locked_round and locked_block go together");
    return out;
  });
  ONEBILL_TRY(state);
  if (json.contains("proposal")) {
    auto proposal = proposal_from_json(json["proposal"]);
    ONEBILL_TRY(proposal);
    state->proposal = std::move(*proposal);
  }
  for (const char* key : {"prevote", "precommit"}) {
    if (!json.contains(key)) continue;
    auto vote = vote_from_json(json[key]);
    ONEBILL_TRY(vote);
    (std::string_view(key) == "prevote" ? state->prevote : state->precommit) = *vote;
  }
  if (json.contains("locked_proposal")) {
    auto proposal = proposal_from_json(json["locked_proposal"]);
    ONEBILL_TRY(proposal);
    if (!state->locked_block || ledger::block_hash(proposal->block.header) != *state->locked_block ||
        proposal->height != state->height)
      return invalid("wrong-type", "sign state: the locked proposal does not carry the locked block");
    state->locked_proposal = std::move(*proposal);
  }
  if (json.contains("lock_proof")) {
    const Json& proof = json["lock_proof"];
    if (!proof.is_array() || !state->locked_proposal)
      return invalid("wrong-type", "sign state: lock_proof is not a list beside a locked proposal");
    for (const auto& item : proof) {
      auto vote = vote_from_json(item);
      ONEBILL_TRY(vote);
      if (vote->type != VoteType::prevote || vote->height != state->height ||
          vote->round != *state->locked_round || vote->block != state->locked_block)
        return invalid("wrong-type", "sign state: a lock_proof vote is not a prevote for the lock");
      state->lock_proof.push_back(std::move(*vote));
    }
  }
  if (json.contains("earlier_votes")) {
    const Json& earlier = json["earlier_votes"];
    if (!earlier.is_array() || earlier.size() > 2 * (kept_rounds - 1))
      return invalid("wrong-type", "sign state: earlier_votes is not a list of at most " +
                                       std::to_string(2 * (kept_rounds - 1)) + " votes");
    std::set<std::uint32_t> rounds;
    for (const auto& item : earlier) {
      auto vote = vote_from_json(item);
      ONEBILL_TRY(vote);
      const auto& kept = state->earlier_votes;
      const bool same_slot = !kept.empty() && kept.back().round == vote->round &&
                             (kept.back().type == vote->type || vote->type == VoteType::prevote);
      if (vote->height != state->height || vote->round >= state->round ||
          (!kept.empty() &&
           (vote->validator != kept.front().validator || vote->round < kept.back().round || same_slot)))
        return invalid("wrong-type",
                       "sign state: earlier_votes are not one validator's votes of this height's earlier "
                       "rounds, oldest first, one per round and type");
      rounds.insert(vote->round);
      state->earlier_votes.push_back(std::move(*vote));
    }
    if (rounds.size() > kept_rounds - 1)
      return invalid("wrong-type", "sign state: earlier_votes span more than " +
                                       std::to_string(kept_rounds - 1) + " rounds");
  }
  return state;
}

// ---- Timeouts ----

std::uint64_t TimeoutConfig::delay_ms(Step step, std::uint32_t round) const {
  switch (step) {
    case Step::propose:
      return propose_base_ms + propose_delta_ms * round;
    case Step::prevote:
      return prevote_base_ms + prevote_delta_ms * round;
    case Step::precommit:
      return precommit_base_ms + precommit_delta_ms * round;
  }
  return propose_base_ms;
}

// ---- Proposer selection (CometBFT's proposer priority) ----

ProposerSchedule::ProposerSchedule(std::vector<ledger::Validator> set) : set_(std::move(set)) {
  ONEBILL_ASSERT(!set_.empty());
  std::sort(set_.begin(), set_.end(),
            [](const ledger::Validator& a, const ledger::Validator& b) { return a.address < b.address; });
  for (const auto& validator : set_) {
    ONEBILL_ASSERT(validator.power > 0 && validator.power <= limits::max_canonical_integer);
    total_power_ += static_cast<std::int64_t>(validator.power);
    ONEBILL_ASSERT(total_power_ <= static_cast<std::int64_t>(limits::max_canonical_integer));
  }
  priorities_.assign(set_.size(), 0);
}

void ProposerSchedule::advance() {
  // Rescale so that the spread stays within 2 * total power (CometBFT RescalePriorities).
  const auto [low, high] = std::minmax_element(priorities_.begin(), priorities_.end());
  const std::int64_t spread = *high - *low;
  const std::int64_t window = 2 * total_power_;
  if (spread > window) {
    const std::int64_t ratio = (spread + window - 1) / window;
    for (auto& priority : priorities_) priority /= ratio;
  }
  // Centre on the average (floor division, as big.Int.Div does for a positive divisor).
  std::int64_t sum = 0;
  for (const auto priority : priorities_) sum += priority;
  const auto count = static_cast<std::int64_t>(priorities_.size());
  std::int64_t average = sum / count;
  if (sum % count != 0 && sum < 0) average -= 1;
  for (auto& priority : priorities_) priority -= average;
  // Increment by power; the highest priority proposes (ties: the lower address, i.e. the earlier).
  std::size_t best = 0;
  for (std::size_t i = 0; i < set_.size(); ++i) {
    priorities_[i] += static_cast<std::int64_t>(set_[i].power);
    if (priorities_[i] > priorities_[best]) best = i;
  }
  priorities_[best] -= total_power_;
  last_ = best;
  ++steps_;
}

const ledger::Validator& ProposerSchedule::proposer(std::uint64_t height, std::uint32_t round) {
  const auto cycle = static_cast<std::uint64_t>(std::min(total_power_, max_schedule_cycle));
  const std::uint64_t base = height % cycle;  // steps before round 0 of this height
  const std::uint64_t target = base + round + 1;
  if (height_ != height) {
    std::fill(priorities_.begin(), priorities_.end(), 0);
    steps_ = 0;
    while (steps_ < base) advance();
    base_priorities_ = priorities_;
    height_ = height;
  } else if (steps_ > target) {
    priorities_ = base_priorities_;  // back to round 0 of this height without replaying the cycle
    steps_ = base;
  }
  while (steps_ < target) advance();
  ONEBILL_ASSERT(last_ < set_.size());
  return set_[last_];
}

// ---- The engine ----

Engine::Engine(std::string chain, std::optional<PrivateKey> validator_key, Application& app,
               TimeoutConfig timeouts, SignState restored)
    : chain_(std::move(chain)),
      key_(std::move(validator_key)),
      app_(app),
      timeouts_(timeouts),
      sign_state_(std::move(restored)) {
  if (key_) key_text_ = node::consensus_key_text(*key_);
}

std::optional<Address> Engine::own_address() const {
  if (!self_) return std::nullopt;
  return self_->address;
}

Address Engine::proposer_of(std::uint32_t round) {
  ONEBILL_ASSERT(schedule_.has_value());
  return schedule_->proposer(height_, round).address;
}

std::vector<Action> Engine::start(std::uint64_t height, std::vector<ledger::Validator> set,
                                  std::uint64_t now_ms) {
  ONEBILL_ASSERT(height >= 1);
  ONEBILL_ASSERT(!set.empty());
  height_ = height;
  set_ = std::move(set);
  key_addresses_.clear();
  total_power_ = 0;
  for (const auto& validator : set_) {
    auto key = hex::decode(validator.consensus_key);
    std::optional<Address> key_address;
    if (key) key_address = address_of_public_key(*key);
    // The ledger checked the key when the set was made; a key that is not a point cannot vote.
    if (key_address) key_addresses_[validator.address] = *key_address;
    total_power_ += validator.power;
  }
  ONEBILL_ASSERT(total_power_ > 0);
  schedule_.emplace(set_);
  self_.reset();
  if (key_) {
    for (const auto& validator : set_) {
      if (validator.consensus_key == key_text_) self_ = validator;
    }
  }
  started_round_ = false;
  decided_ = false;
  round_ = 0;
  step_ = Step::propose;
  awaiting_candidates_ = false;
  locked_round_.reset();
  locked_block_.reset();
  locked_proposal_.reset();
  lock_proof_.clear();
  valid_round_.reset();
  valid_proposal_.reset();
  valid_hash_.reset();
  rounds_.clear();
  highest_round_.clear();
  validity_.clear();
  evidence_reported_.clear();

  std::vector<Action> out;
  if (sign_state_.height != height_) return out;
  // Restart within a height we signed in: keep the lock, take our signed messages back as received,
  // re-send them, and continue from the step after the last one signed (never signing it again).
  locked_round_ = sign_state_.locked_round;
  locked_block_ = sign_state_.locked_block;
  if (sign_state_.locked_proposal && locked_round_) {
    // The lock is also a valid value (validRound >= lockedRound): re-proposable, with its proof.
    locked_proposal_ = sign_state_.locked_proposal;
    lock_proof_ = sign_state_.lock_proof;
    add_proposal(*locked_proposal_, *locked_block_);
    for (const auto& vote : lock_proof_) add_vote(vote, out);
    valid_round_ = locked_round_;
    valid_proposal_ = locked_proposal_;
    valid_hash_ = locked_block_;
  }
  started_round_ = true;
  round_ = sign_state_.round;
  step_ = sign_state_.step;
  if (sign_state_.proposal) {
    add_proposal(*sign_state_.proposal, proposal_hash(*sign_state_.proposal));
    out.push_back(Broadcast{*sign_state_.proposal});
  }
  for (const auto& vote : sign_state_.earlier_votes) {
    add_vote(vote, out);
    out.push_back(Broadcast{vote});
  }
  for (const auto* vote : {&sign_state_.prevote, &sign_state_.precommit}) {
    if (!vote->has_value()) continue;
    add_vote(**vote, out);
    out.push_back(Broadcast{**vote});
  }
  if (step_ == Step::propose) schedule(Step::propose, round_, out);
  progress(now_ms, out);
  return out;
}

Status Engine::check_sender(const Address& validator, const Hash32& digest, const Signature& signature) {
  auto key_address = key_addresses_.find(validator);
  if (key_address == key_addresses_.end())
    return dropped("unknown-validator", "the sender is not in this height's validator set");
  auto signer = app_.recover_signer(digest, signature);
  if (!signer || *signer != key_address->second)
    return dropped("invalid-signature", "the signature is not the validator's consensus key's");
  return {};
}

Outcome Engine::on_vote(const Vote& vote, std::uint64_t now_ms) {
  Outcome outcome;
  if (height_ == 0) {
    outcome.dropped = dropped("not-started", "the engine has no height yet");
    return outcome;
  }
  if (vote.chain != chain_) {
    outcome.dropped = dropped("wrong-chain", "the vote is for chain " + vote.chain);
    return outcome;
  }
  if (vote.height != height_) {
    outcome.dropped = dropped("wrong-height", "the vote is for height " + std::to_string(vote.height));
    return outcome;
  }
  if (decided_) {
    outcome.dropped = dropped("decided", "this height is decided");
    return outcome;
  }
  const Status sender = check_sender(vote.validator, digest_of(vote), vote.signature);
  if (!sender) {
    outcome.dropped = sender.problem();
    return outcome;
  }
  auto& highest = highest_round_[vote.validator];
  highest = std::max(highest, vote.round);
  if (!started_round_) activate(now_ms, outcome.actions);
  if (vote.round > round_ + timeouts_.max_future_rounds) {
    // Counted for the round-skip rule (L55) only; nothing stored.
    outcome.dropped = dropped("round-too-far", "the vote's round is too far ahead to keep");
  } else {
    outcome.fresh = add_vote(vote, outcome.actions);
  }
  progress(now_ms, outcome.actions);
  return outcome;
}

Outcome Engine::on_proposal(const Proposal& proposal, std::uint64_t now_ms) {
  Outcome outcome;
  if (height_ == 0) {
    outcome.dropped = dropped("not-started", "the engine has no height yet");
    return outcome;
  }
  if (proposal.chain != chain_) {
    outcome.dropped = dropped("wrong-chain", "the proposal is for chain " + proposal.chain);
    return outcome;
  }
  if (proposal.height != height_) {
    outcome.dropped =
        dropped("wrong-height", "the proposal is for height " + std::to_string(proposal.height));
    return outcome;
  }
  if (decided_) {
    outcome.dropped = dropped("decided", "this height is decided");
    return outcome;
  }
  if (proposal.pol_round && *proposal.pol_round >= proposal.round) {
    outcome.dropped = dropped("invalid-proposal", "pol_round is not below the round");
    return outcome;
  }
  if (proposal.round > round_ + timeouts_.max_future_rounds) {
    outcome.dropped = dropped("round-too-far", "the proposal's round is too far ahead to keep");
    return outcome;
  }
  if (proposal.validator != proposer_of(proposal.round)) {
    outcome.dropped = dropped("not-proposer", "the sender is not the proposer of the round");
    return outcome;
  }
  const Hash32 hash = proposal_hash(proposal);
  const Status sender = check_sender(proposal.validator, digest_of(proposal, hash), proposal.signature);
  if (!sender) {
    outcome.dropped = sender.problem();
    return outcome;
  }
  auto& highest = highest_round_[proposal.validator];
  highest = std::max(highest, proposal.round);
  if (!started_round_) activate(now_ms, outcome.actions);
  outcome.fresh = add_proposal(proposal, hash);
  progress(now_ms, outcome.actions);
  return outcome;
}

std::vector<Action> Engine::on_timeout(const Timeout& timeout, std::uint64_t now_ms) {
  std::vector<Action> out;
  if (height_ == 0 || timeout.height != height_ || decided_ || !started_round_) return out;
  if (timeout.round != round_) return out;
  switch (timeout.step) {
    case Step::propose:  // Alg.1 L57-60 OnTimeoutPropose
      if (step_ != Step::propose) return out;
      sign_prevote(std::nullopt, out);
      step_ = Step::prevote;
      break;
    case Step::prevote:  // Alg.1 L61-64 OnTimeoutPrevote
      if (step_ != Step::prevote) return out;
      sign_precommit(std::nullopt, out);
      step_ = Step::precommit;
      break;
    case Step::precommit:  // Alg.1 L65-67 OnTimeoutPrecommit
      start_round(round_ + 1, now_ms, out);
      break;
  }
  progress(now_ms, out);
  return out;
}

std::vector<Action> Engine::on_candidates_available(std::uint64_t now_ms) {
  std::vector<Action> out;
  if (height_ == 0 || decided_) return out;
  if (!started_round_) {
    activate(now_ms, out);
  } else if (awaiting_candidates_ && step_ == Step::propose) {
    try_propose(now_ms, out);
  }
  progress(now_ms, out);
  return out;
}

std::vector<Action> Engine::rebroadcast() const {
  std::vector<Action> out;
  if (height_ == 0 || decided_) return out;
  // Own messages of the last kept_rounds rounds, from the sign state (restored the same after a crash):
  // a validator still in an earlier round may lack our precommit there, and cannot reach its precommit
  // timeout (L47) without it.
  if (sign_state_.height == height_) {
    if (sign_state_.proposal) out.push_back(Broadcast{*sign_state_.proposal});
    for (const auto& vote : sign_state_.earlier_votes) out.push_back(Broadcast{vote});
    for (const auto* vote : {&sign_state_.prevote, &sign_state_.precommit}) {
      if (vote->has_value()) out.push_back(Broadcast{**vote});
    }
  }
  // Relay the prevotes of a proof-of-lock too (others' signed votes): a peer that lost them cannot
  // apply L28 to a re-proposal, and locked validators would wait for it forever.
  auto relay_polka = [&](std::uint32_t pol_round, const Hash32& hash) {
    auto pol = rounds_.find(pol_round);
    if (pol == rounds_.end()) return;
    for (const auto& [address, kept] : pol->second.prevotes) {
      (void)address;
      for (const auto& vote : kept) {
        if (vote.block == hash) out.push_back(Broadcast{vote});
      }
    }
  };
  if (valid_round_ && valid_proposal_) relay_polka(*valid_round_, *valid_hash_);
  auto current = rounds_.find(round_);
  if (current != rounds_.end() && !current->second.proposals.empty() &&
      current->second.proposals.front().pol_round) {
    const Proposal& proposal = current->second.proposals.front();
    if (!valid_round_ || *valid_round_ != *proposal.pol_round)
      relay_polka(*proposal.pol_round, current->second.proposal_hashes.front());
  }
  // Relay the other validators' votes of this round and the one before, as gossip promises (what one
  // correct node has, every correct node gets in the end). A byzantine validator may send its
  // precommit to us alone: we leave the round on +2/3 precommits (L47), the others stay, lacking one,
  // and too few of us are ahead for their round skip (L55). Found by simulator seed 6102.
  for (auto kept_round = rounds_.lower_bound(round_ == 0 ? 0 : round_ - 1);
       kept_round != rounds_.end() && kept_round->first <= round_; ++kept_round) {
    for (const auto* votes : {&kept_round->second.prevotes, &kept_round->second.precommits}) {
      for (const auto& [address, kept] : *votes) {
        if (!self_ || address != self_->address) out.push_back(Broadcast{kept.front()});
      }
    }
  }
  // Relay the round's proposal too: a peer that lost it cannot prevote for it otherwise.
  auto round = rounds_.find(round_);
  if (round != rounds_.end() && !round->second.proposals.empty()) {
    const Proposal& proposal = round->second.proposals.front();
    const bool own = sign_state_.proposal && sign_state_.proposal->round == proposal.round &&
                     sign_state_.height == height_;
    if (!own) out.push_back(Broadcast{proposal});
  }
  return out;
}

void Engine::activate(std::uint64_t now_ms, std::vector<Action>& out) {
  ONEBILL_ASSERT(!started_round_);
  start_round(0, now_ms, out);  // Alg.1 L10 "upon start do StartRound(0)"
}

bool Engine::add_proposal(const Proposal& proposal, const Hash32& hash) {
  auto& round = rounds_[proposal.round];
  for (const auto& kept : round.proposal_hashes) {
    if (kept == hash) return false;
  }
  if (round.proposals.size() >= 2) return false;
  round.proposals.push_back(proposal);
  round.proposal_hashes.push_back(hash);
  return true;
}

bool Engine::add_vote(const Vote& vote, std::vector<Action>& out) {
  ONEBILL_ASSERT(vote.height == height_);
  auto& round = rounds_[vote.round];
  auto& votes = vote.type == VoteType::prevote ? round.prevotes : round.precommits;
  auto& kept = votes[vote.validator];
  for (const auto& existing : kept) {
    if (existing.block == vote.block) return false;  // a duplicate
  }
  if (kept.size() >= 4) return false;  // bounded: an equivocator cannot grow memory
  kept.push_back(vote);
  if (kept.size() == 1) return true;
  // A conflicting vote: evidence of equivocation (reported once per validator, round and type).
  const auto key = std::make_tuple(vote.validator, vote.round, static_cast<int>(vote.type));
  if (evidence_reported_.insert(key).second) out.push_back(EvidenceFound{Evidence{kept.front(), vote}});
  return true;
}

void Engine::schedule(Step step, std::uint32_t round, std::vector<Action>& out) const {
  out.push_back(Schedule{Timeout{height_, round, step}, timeouts_.delay_ms(step, round)});
}

// Alg.1 L11-21 StartRound(round). The proposer schedules the propose timeout too (a deviation):
// with no candidates it proposes nothing and must then prevote nil like everyone else.
void Engine::start_round(std::uint32_t round, std::uint64_t now_ms, std::vector<Action>& out) {
  ONEBILL_ASSERT(!started_round_ || round > round_);
  started_round_ = true;
  round_ = round;
  step_ = Step::propose;
  awaiting_candidates_ = false;
  if (self_ && proposer_of(round_) == self_->address) {
    if (valid_proposal_ && valid_round_) {
      // L14-15: re-propose validValue with its round as the proof-of-lock round.
      if (may_sign(round_, Step::propose) && key_) {
        Proposal proposal = *valid_proposal_;
        proposal.round = round_;
        proposal.pol_round = valid_round_;
        proposal.validator = self_->address;
        proposal.signature = key_->sign_digest(digest_of(proposal, *valid_hash_));
        add_proposal(proposal, *valid_hash_);
        persist_and_broadcast(proposal, out);
      }
    } else {
      try_propose(now_ms, out);  // L16-19: getValue()
    }
  }
  schedule(Step::propose, round_, out);  // L21
}

void Engine::try_propose(std::uint64_t now_ms, std::vector<Action>& out) {
  awaiting_candidates_ = false;
  if (!self_ || !key_ || !may_sign(round_, Step::propose)) return;
  const auto candidates = app_.candidates();
  auto made = node::propose(app_.committed(), candidates, now_ms, self_->address);
  if (!made) {
    // A local fault reading the store: propose nothing this round (others time out); try again later.
    awaiting_candidates_ = true;
    return;
  }
  if (!made->refused.empty()) app_.refused(made->refused);
  if (!made->block) {
    awaiting_candidates_ = true;  // no empty blocks: wait for on_candidates_available
    return;
  }
  ONEBILL_ASSERT(made->block->block.header.height == height_);
  Proposal proposal{chain_, height_, round_, std::nullopt, std::move(made->block->block), self_->address, {}};
  proposal.signature = key_->sign_digest(digest_of(proposal, made->block->hash));
  validity_.emplace(
      made->block->hash,
      Validity{Status{}, std::make_shared<const ledger::ExecutedBlock>(std::move(made->block->executed))});
  add_proposal(proposal, made->block->hash);
  persist_and_broadcast(proposal, out);
}

bool Engine::may_sign(std::uint32_t round, Step step) const {
  return std::make_tuple(height_, round, static_cast<int>(step)) >
         std::make_tuple(sign_state_.height, sign_state_.round, static_cast<int>(sign_state_.step));
}

void Engine::persist_and_broadcast(std::variant<Proposal, Vote> message, std::vector<Action>& out) {
  std::uint32_t round = 0;
  Step step = Step::propose;
  if (const auto* proposal = std::get_if<Proposal>(&message)) {
    round = proposal->round;
  } else {
    const auto& vote = std::get<Vote>(message);
    round = vote.round;
    step = vote.type == VoteType::prevote ? Step::prevote : Step::precommit;
  }
  ONEBILL_ASSERT(may_sign(round, step));  // never sign at or below the last signed (height, round, step)
  if (sign_state_.height != height_) {
    sign_state_.earlier_votes.clear();
  } else if (sign_state_.round != round) {
    // The votes of the round left behind join the earlier ones; only the last kept_rounds - 1 rounds stay.
    for (const auto* vote : {&sign_state_.prevote, &sign_state_.precommit}) {
      if (vote->has_value()) sign_state_.earlier_votes.push_back(**vote);
    }
    auto& earlier = sign_state_.earlier_votes;
    std::set<std::uint32_t> rounds;
    for (const auto& vote : earlier) rounds.insert(vote.round);
    while (rounds.size() > kept_rounds - 1) {
      const std::uint32_t oldest = *rounds.begin();
      rounds.erase(rounds.begin());
      std::erase_if(earlier, [&](const Vote& vote) { return vote.round == oldest; });
    }
  }
  if (sign_state_.height != height_ || sign_state_.round != round) {
    sign_state_.proposal.reset();
    sign_state_.prevote.reset();
    sign_state_.precommit.reset();
  }
  sign_state_.height = height_;
  sign_state_.round = round;
  sign_state_.step = step;
  sign_state_.locked_round = locked_round_;
  sign_state_.locked_block = locked_block_;
  sign_state_.locked_proposal = locked_proposal_;
  sign_state_.lock_proof = lock_proof_;
  if (const auto* proposal = std::get_if<Proposal>(&message)) {
    sign_state_.proposal = *proposal;
  } else if (step == Step::prevote) {
    sign_state_.prevote = std::get<Vote>(message);
  } else {
    sign_state_.precommit = std::get<Vote>(message);
  }
  out.push_back(Persist{sign_state_});  // durable before anyone sees the signature
  out.push_back(Broadcast{std::move(message)});
}

void Engine::sign_prevote(std::optional<Hash32> block, std::vector<Action>& out) {
  if (!self_ || !key_ || !may_sign(round_, Step::prevote)) return;
  Vote vote{chain_, height_, round_, VoteType::prevote, block, self_->address, {}};
  vote.signature = key_->sign_digest(digest_of(vote));
  add_vote(vote, out);
  persist_and_broadcast(vote, out);
}

void Engine::sign_precommit(std::optional<Hash32> block, std::vector<Action>& out) {
  if (!self_ || !key_ || !may_sign(round_, Step::precommit)) return;
  Vote vote{chain_, height_, round_, VoteType::precommit, block, self_->address, {}};
  vote.signature = key_->sign_digest(digest_of(vote));
  add_vote(vote, out);
  persist_and_broadcast(vote, out);
}

const Engine::Validity& Engine::validity(const Proposal& proposal, const Hash32& hash) {
  auto found = validity_.find(hash);
  if (found != validity_.end()) return found->second;
  Validity result;
  const auto& header = proposal.block.header;
  const bool proposer_known = std::any_of(
      set_.begin(), set_.end(), [&](const ledger::Validator& v) { return v.address == header.proposer; });
  if (!proposer_known) {
    result.status = invalid("invalid-block", "the header's proposer is not a validator");
  } else {
    auto executed = app_.execute(proposal.block);
    if (executed) {
      result.executed = std::make_shared<const ledger::ExecutedBlock>(std::move(*executed));
    } else {
      result.status = executed.problem();
    }
  }
  return validity_.emplace(hash, std::move(result)).first->second;
}

// valid(v) for a prevote (L22, L28): executes, and the header is the round's (proposer of a fresh
// proposal; a re-proposed block keeps its maker) and not too far ahead of our clock (DESIGN §5).
bool Engine::prevote_acceptable(const Proposal& proposal, const Hash32& hash, std::uint64_t now_ms) {
  if (!validity(proposal, hash).status.ok()) return false;
  const auto& header = proposal.block.header;
  if (header.time_ms > now_ms + timeouts_.max_block_ahead_ms) return false;
  if (!proposal.pol_round && header.proposer != proposal.validator) return false;
  return true;
}

std::uint64_t Engine::power_of(const VoteMap& votes, const std::optional<Hash32>& block) const {
  std::uint64_t power = 0;
  for (const auto& validator : set_) {
    auto kept = votes.find(validator.address);
    if (kept == votes.end()) continue;
    if (std::any_of(kept->second.begin(), kept->second.end(),
                    [&](const Vote& v) { return v.block == block; }))
      power += validator.power;
  }
  return power;
}

std::uint64_t Engine::power_of_any(const VoteMap& votes) const {
  std::uint64_t power = 0;
  for (const auto& validator : set_) {
    if (votes.contains(validator.address)) power += validator.power;
  }
  return power;
}

const Proposal* Engine::find_proposal(std::uint32_t round, const Hash32& hash) const {
  auto found = rounds_.find(round);
  if (found != rounds_.end()) {
    for (std::size_t i = 0; i < found->second.proposals.size(); ++i) {
      if (found->second.proposal_hashes[i] == hash) return &found->second.proposals[i];
    }
  }
  // The same block carried by another round's proposal is the same value v.
  for (const auto& [other_round, state] : rounds_) {
    (void)other_round;
    for (std::size_t i = 0; i < state.proposals.size(); ++i) {
      if (state.proposal_hashes[i] == hash) return &state.proposals[i];
    }
  }
  return nullptr;
}

void Engine::progress(std::uint64_t now_ms, std::vector<Action>& out) {
  // Each pass changes the step, the round or a one-time flag, so this ends; the bound asserts it.
  for (int pass = 0; pass < 1000; ++pass) {
    if (!progress_once(now_ms, out)) return;
  }
  ONEBILL_ASSERT(false && "consensus rules did not settle");
}

bool Engine::progress_once(std::uint64_t now_ms, std::vector<Action>& out) {
  if (decided_ || !started_round_) return false;

  // Alg.1 L49-54: a proposal of some round r and +2/3 precommits of r for it: decide.
  for (const auto& [round, state] : rounds_) {
    std::map<Hash32, std::uint64_t> power;
    for (const auto& validator : set_) {
      auto kept = state.precommits.find(validator.address);
      if (kept == state.precommits.end()) continue;
      for (const auto& vote : kept->second) {
        if (vote.block) power[*vote.block] += validator.power;
      }
    }
    for (const auto& [hash, block_power] : power) {
      if (!two_thirds(block_power)) continue;
      const Proposal* proposal = find_proposal(round, hash);
      if (proposal == nullptr) continue;  // the block has not arrived (block sync brings it)
      const Validity& valid = validity(*proposal, hash);
      if (!valid.status.ok()) continue;
      ledger::Commit commit{height_, round, hash, {}};
      for (const auto& [address, kept] : state.precommits) {
        for (const auto& vote : kept) {
          if (vote.block == hash) commit.precommits.push_back({address, vote.signature});
        }
      }
      decided_ = true;
      out.push_back(Decide{proposal->block, valid.executed, std::move(commit)});
      return false;
    }
  }

  // Alg.1 L55-56: +1/3 of the power is in a higher round: go to the highest such round.
  {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> ahead;  // (highest round, power)
    for (const auto& validator : set_) {
      auto highest = highest_round_.find(validator.address);
      if (highest != highest_round_.end() && highest->second > round_)
        ahead.emplace_back(highest->second, validator.power);
    }
    std::sort(ahead.begin(), ahead.end(), std::greater<>());
    std::uint64_t power = 0;
    for (const auto& [round, validator_power] : ahead) {
      power += validator_power;
      if (one_third(power)) {
        start_round(round, now_ms, out);
        return true;
      }
    }
  }

  RoundState& state = rounds_[round_];
  const Proposal* first = state.proposals.empty() ? nullptr : &state.proposals.front();
  if (step_ == Step::propose && first != nullptr) {
    const Hash32 hash = state.proposal_hashes.front();
    if (!first->pol_round) {
      // Alg.1 L22-27: a fresh proposal; prevote it if valid and we are not locked on another value.
      const bool accept =
          prevote_acceptable(*first, hash, now_ms) && (!locked_round_ || locked_block_ == hash);
      sign_prevote(accept ? std::optional<Hash32>(hash) : std::nullopt, out);
      step_ = Step::prevote;
      return true;
    }
    const std::uint32_t pol_round = *first->pol_round;
    auto pol = rounds_.find(pol_round);
    if (pol_round < round_ && pol != rounds_.end() && two_thirds(power_of(pol->second.prevotes, hash))) {
      // Alg.1 L28-33: a re-proposal with a polka in pol_round; the lock check is what keeps a
      // validator locked on another value from prevoting it.
      const bool accept = prevote_acceptable(*first, hash, now_ms) &&
                          (!locked_round_ || *locked_round_ <= pol_round || locked_block_ == hash);
      sign_prevote(accept ? std::optional<Hash32>(hash) : std::nullopt, out);
      step_ = Step::prevote;
      return true;
    }
  }

  if (step_ != Step::propose) {
    // Alg.1 L34-35: +2/3 prevotes of any kind, first time: schedule OnTimeoutPrevote.
    if (step_ == Step::prevote && !state.prevote_timeout_scheduled &&
        two_thirds(power_of_any(state.prevotes))) {
      state.prevote_timeout_scheduled = true;
      schedule(Step::prevote, round_, out);
    }
    // Alg.1 L36-43: a proposal with +2/3 prevotes for it in this round, valid, first time: lock
    // (when still in prevote) and remember it as the valid value.
    if (!state.locked_or_valid_updated) {
      for (std::size_t i = 0; i < state.proposals.size(); ++i) {
        const Proposal& proposal = state.proposals[i];
        const Hash32 hash = state.proposal_hashes[i];
        if (!two_thirds(power_of(state.prevotes, hash))) continue;
        if (!validity(proposal, hash).status.ok()) continue;
        state.locked_or_valid_updated = true;
        if (step_ == Step::prevote) {
          locked_round_ = round_;
          locked_block_ = hash;
          locked_proposal_ = proposal;
          lock_proof_.clear();
          for (const auto& [address, kept] : state.prevotes) {
            (void)address;
            for (const auto& vote : kept) {
              if (vote.block == hash) lock_proof_.push_back(vote);
            }
          }
          sign_precommit(hash, out);
          step_ = Step::precommit;
        }
        valid_round_ = round_;
        valid_proposal_ = proposal;
        valid_hash_ = hash;
        return true;
      }
    }
    // Alg.1 L44-46: +2/3 prevotes for nil: precommit nil.
    if (step_ == Step::prevote && two_thirds(power_of(state.prevotes, std::nullopt))) {
      sign_precommit(std::nullopt, out);
      step_ = Step::precommit;
      return true;
    }
  }

  // Alg.1 L47-48: +2/3 precommits of any kind, first time: schedule OnTimeoutPrecommit.
  if (!state.precommit_timeout_scheduled && two_thirds(power_of_any(state.precommits))) {
    state.precommit_timeout_scheduled = true;
    schedule(Step::precommit, round_, out);
  }
  return false;
}

}  // namespace onebill::consensus
