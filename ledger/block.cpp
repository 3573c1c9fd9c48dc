#include "ledger/block.h"

#include <algorithm>
#include <set>

#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/limits.h"
#include "crypto/merkle.h"
#include "ledger/json_read.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"

namespace onebill::ledger {

using json::Json;

namespace {

// The bills an overlay holds decoded, by key (ExecutedBlock::bills).
std::map<std::string, std::shared_ptr<const Bill>, std::less<>> held_bills(const Overlay& overlay) {
  std::map<std::string, std::shared_ptr<const Bill>, std::less<>> out;
  for (const auto& [key, written] : overlay.entries()) {
    if (written.bill()) out.emplace_hint(out.end(), key, written.bill());
  }
  return out;
}

template <typename T, typename Decode>
Result<T> decode(const Json& json, std::string_view what, Decode decode_fn) {
  try {
    if (!json.is_object()) throw read::Error("not an object");
    return decode_fn(json);
  } catch (const read::Error& error) {
    return invalid("wrong-type", std::string(what) + ": " + error.what());
  }
}

Hash32 hash_with_prefix(std::string_view prefix, std::string_view text) {
  Keccak256 hasher;
  hasher.update(prefix);
  hasher.update(text);
  return hasher.finish();
}

Problem bad_block(std::string detail) {
  return invalid("invalid-block", std::move(detail));
}

Result<std::string> chain_of_store(const Ledger& ledger) {
  auto text = ledger.genesis_text();
  ONEBILL_TRY(text);
  if (!text->has_value()) return invalid("not-synced", "the store holds no genesis");
  auto genesis = json::read(**text);
  if (!genesis || !genesis->is_object() || !genesis->contains("chain") || !(*genesis)["chain"].is_string()) {
    return local_fault("storage", "the stored genesis does not decode");
  }
  return (*genesis)["chain"].get<std::string>();
}

}  // namespace

std::string wire_text(const Transaction& transaction) {
  // The signed object is the unsigned one with "sig" added; in JCS order "sig" comes right before "type",
  // the last member (body, chain, expires_ms, from, nonce, sig, type). So the wire text is the unsigned
  // object's text with "sig" spliced in before its last member: no parse, no re-serialization.
  const std::string_view unsigned_text =
      std::string_view(transaction.signing_text).substr(transaction_prefix.size());
  const std::string last_member = ",\"type\":" + json::quote(transaction.type) + "}";
  if (unsigned_text.ends_with(last_member)) {
    std::string out;
    const std::string sig = signature_to_string(transaction.sig);
    out.reserve(unsigned_text.size() + sig.size() + 8);
    out.append(unsigned_text.substr(0, unsigned_text.size() - last_member.size()));
    out.append(",\"sig\":").append(json::quote(sig)).append(last_member);
    return out;
  }
  auto object = json::read(unsigned_text);
  ONEBILL_ASSERT(object.ok() && object->is_object());
  (*object)["sig"] = signature_to_string(transaction.sig);
  return json::canonical(*object);
}

// ---- Header, Block, Commit, Head ----

Json to_json(const Header& header) {
  return {{"chain", header.chain},
          {"height", header.height},
          {"time_ms", header.time_ms},
          {"prev_hash", hash_text(header.prev_hash)},
          {"tx_root", hash_text(header.tx_root)},
          {"state_root", hash_text(header.state_root)},
          {"validators_hash", hash_text(header.validators_hash)},
          {"next_validators_hash", hash_text(header.next_validators_hash)},
          {"proposer", address_text(header.proposer)}};
}

Result<Header> header_from_json(const Json& json) {
  return decode<Header>(json, "header", [](const Json& j) {
    if (j.size() != 9) throw read::Error("expected exactly the 9 header fields");
    Header out;
    out.chain = read::string(j, "chain");
    out.height = read::u64(j, "height");
    out.time_ms = read::u64(j, "time_ms");
    out.prev_hash = read::hash(j, "prev_hash");
    out.tx_root = read::hash(j, "tx_root");
    out.state_root = read::hash(j, "state_root");
    out.validators_hash = read::hash(j, "validators_hash");
    out.next_validators_hash = read::hash(j, "next_validators_hash");
    out.proposer = read::address(j, "proposer");
    return out;
  });
}

std::string header_jcs(const Header& header) {
  return json::canonical(to_json(header));
}

Hash32 block_hash(const Header& header) {
  return hash_with_prefix(block_hash_prefix, header_jcs(header));
}

Json to_json(const Block& block) {
  Json transactions = Json::array();
  for (const auto& text : block.transactions) {
    auto object = json::read(text);
    ONEBILL_ASSERT(object.ok());  // a block holds only transactions that parsed
    transactions.push_back(std::move(*object));
  }
  return {{"header", to_json(block.header)}, {"transactions", std::move(transactions)}};
}

std::string block_jcs(const Block& block) {
  std::size_t size = 64;
  for (const auto& text : block.transactions) size += text.size() + 1;
  std::string out;
  out.reserve(size + 512);
  out += "{\"header\":";  // JCS member order: "header" < "transactions"
  out += header_jcs(block.header);
  out += ",\"transactions\":[";
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    if (i > 0) out += ',';
    out += block.transactions[i];  // wire text: JCS already (wire_text, block_from_json)
  }
  out += "]}";
  return out;
}

Result<Block> block_from_json(const Json& json) {
  if (!json.is_object() || !json.contains("header") || !json.contains("transactions") ||
      !json["transactions"].is_array()) {
    return invalid("wrong-type", "block: expected {header, transactions[]}");
  }
  auto header = header_from_json(json["header"]);
  ONEBILL_TRY(header);
  Block block{*header, {}};
  for (const auto& object : json["transactions"]) {
    if (!object.is_object()) return invalid("wrong-type", "block: a transaction is not an object");
    block.transactions.push_back(json::canonical(object));
  }
  return block;
}

Json to_json(const Commit& commit) {
  Json precommits = Json::array();
  for (const auto& precommit : commit.precommits) {
    precommits.push_back({{"validator", address_text(precommit.validator)},
                          {"signature", signature_to_string(precommit.signature)}});
  }
  return {{"height", commit.height},
          {"round", commit.round},
          {"block_hash", hash_text(commit.block_hash)},
          {"precommits", std::move(precommits)}};
}

Result<Commit> commit_from_json(const Json& json) {
  return decode<Commit>(json, "commit", [](const Json& j) {
    Commit out;
    out.height = read::u64(j, "height");
    const std::uint64_t round = read::u64(j, "round");
    if (round > UINT32_MAX) throw read::Error("round: too large");
    out.round = static_cast<std::uint32_t>(round);
    out.block_hash = read::hash(j, "block_hash");
    for (const auto& item : read::array(j, "precommits")) {
      Precommit precommit;
      precommit.validator = read::address(item, "validator");
      auto signature = parse_signature(read::string(item, "signature"));
      if (!signature) throw read::Error("precommits: " + signature.problem().detail);
      precommit.signature = *signature;
      out.precommits.push_back(precommit);
    }
    return out;
  });
}

Json to_json(const Head& head) {
  return {{"height", head.height},
          {"block_hash", hash_text(head.block_hash)},
          {"state_root", hash_text(head.state_root)},
          {"time_ms", head.time_ms}};
}

Result<Head> head_from_json(const Json& json) {
  return decode<Head>(json, "head", [](const Json& j) {
    return Head{read::u64(j, "height"), read::hash(j, "block_hash"), read::hash(j, "state_root"),
                read::u64(j, "time_ms")};
  });
}

// ---- Signed consensus messages ----

Hash32 vote_digest(std::string_view chain, std::uint64_t height, std::uint32_t round, VoteType type,
                   const std::optional<Hash32>& block) {
  const Json message = {{"chain", chain},
                        {"height", height},
                        {"round", round},
                        {"type", type == VoteType::prevote ? "prevote" : "precommit"},
                        {"block", block ? Json(hash_text(*block)) : Json(nullptr)}};
  return hash_with_prefix(vote_prefix, json::canonical(message));
}

Hash32 proposal_digest(std::string_view chain, std::uint64_t height, std::uint32_t round,
                       std::optional<std::uint32_t> pol_round, const Hash32& block) {
  const Json message = {{"chain", chain},
                        {"height", height},
                        {"round", round},
                        {"pol_round", pol_round ? Json(*pol_round) : Json(nullptr)},
                        {"block", hash_text(block)}};
  return hash_with_prefix(proposal_prefix, json::canonical(message));
}

Status verify_commit(std::string_view chain, const Commit& commit, const std::vector<Validator>& set) {
  std::uint64_t total = 0;
  for (const auto& validator : set) total += validator.power;
  if (total == 0) return invalid("invalid-commit", "the validator set is empty");
  const Hash32 digest =
      vote_digest(chain, commit.height, commit.round, VoteType::precommit, commit.block_hash);
  std::set<Address> counted;
  std::uint64_t signed_power = 0;
  for (const auto& precommit : commit.precommits) {
    auto member = std::find_if(set.begin(), set.end(),
                               [&](const Validator& v) { return v.address == precommit.validator; });
    if (member == set.end()) return invalid("invalid-commit", "a precommit is from a non-validator");
    if (!counted.insert(precommit.validator).second)
      return invalid("invalid-commit", "two precommits of one validator");
    auto key = hex::decode(member->consensus_key);
    if (!key) return invalid("invalid-commit", "a validator's consensus key does not decode");
    auto key_address = address_of_public_key(*key);
    auto signer = recover_address(digest, precommit.signature);
    if (!key_address || !signer || *signer != *key_address) {
      return invalid("invalid-commit", "a precommit signature does not match its validator's consensus key");
    }
    signed_power += member->power;
  }
  if (3 * signed_power <= 2 * total)
    return invalid("invalid-commit", "precommits hold no more than 2/3 of the power");
  return {};
}

// ---- Roots ----

Hash32 tx_root(const std::vector<Hash32>& transaction_ids) {
  return merkle_root_rfc6962(transaction_ids);
}

Hash32 validators_hash(std::vector<Validator> set) {
  std::sort(set.begin(), set.end(),
            [](const Validator& a, const Validator& b) { return a.address < b.address; });
  Json array = Json::array();
  for (const auto& validator : set) array.push_back(to_json(validator));
  return keccak256(json::canonical(array));
}

std::string encode_writes(const WriteSet& writes) {
  std::string out;
  for (const auto& [key, value] : writes) {  // std::map: sorted by key, bytewise
    ONEBILL_ASSERT(key.size() <= UINT32_MAX);
    out += keys::u32be(static_cast<std::uint32_t>(key.size()));
    out += key;
    if (value) {
      out += '\x01';
      const Hash32 value_hash = keccak256(*value);
      out.append(reinterpret_cast<const char*>(value_hash.data()), value_hash.size());
    } else {
      out += '\x00';
    }
  }
  return out;
}

Hash32 next_state_root(const Hash32& previous, const WriteSet& writes) {
  const Hash32 writes_hash = keccak256(encode_writes(writes));
  Keccak256 hasher;
  const std::uint8_t tag = 0x02;
  hasher.update(ByteView(&tag, 1));
  hasher.update(ByteView(previous.data(), previous.size()));
  hasher.update(ByteView(writes_hash.data(), writes_hash.size()));
  return hasher.finish();
}

// ---- Execution ----

Result<ExecutedBlock> execute_block(const Store& store, const Block& block,
                                    const SignerVerified& already_verified) {
  Ledger ledger(store);
  auto head = ledger.head();
  ONEBILL_TRY(head);
  if (!head->has_value()) return invalid("not-synced", "the store holds no genesis");
  auto chain = chain_of_store(ledger);
  ONEBILL_TRY(chain);
  const Header& header = block.header;
  if (header.chain != *chain) return bad_block("chain is " + header.chain + ", this node's is " + *chain);
  if (header.height != (*head)->height + 1) {
    return bad_block("height " + std::to_string(header.height) + " does not follow " +
                     std::to_string((*head)->height));
  }
  if (header.prev_hash != (*head)->block_hash)
    return bad_block("prev_hash is not the hash of the last block");
  if (header.time_ms <= (*head)->time_ms) return bad_block("time_ms is not above the previous block's");
  if (block.transactions.size() > limits::max_batch_transactions) return bad_block("too many transactions");
  auto validators = ledger.validators();
  ONEBILL_TRY(validators);
  if (header.validators_hash != validators_hash(*validators))
    return bad_block("validators_hash does not match");

  ExecutedBlock executed;
  Overlay overlay(store);
  for (std::size_t i = 0; i < block.transactions.size(); ++i) {
    const auto prefix = [i] { return "transaction " + std::to_string(i) + ": "; };  // refusals only
    auto transaction = parse_transaction(block.transactions[i], *chain);
    if (!transaction) return invalid(transaction.problem().rule, prefix() + transaction.problem().detail);
    if (!already_verified || !already_verified(*transaction)) {
      Status signer = verify_signer(*transaction);
      if (!signer) return invalid(signer.problem().rule, prefix() + signer.problem().detail);
    }
    const BlockContext context{header.height, header.time_ms, *chain, static_cast<std::uint32_t>(i)};
    Status applied = apply(*transaction, overlay, context, &executed.writers);
    if (!applied)
      return Problem{applied.problem().rule, prefix() + applied.problem().detail, applied.problem().kind};
    executed.transaction_ids.push_back(transaction->id);
    executed.senders.push_back(transaction->from);
  }
  if (header.tx_root != tx_root(executed.transaction_ids)) return bad_block("tx_root does not match");
  auto next = Ledger(overlay).validators();
  ONEBILL_TRY(next);
  if (header.next_validators_hash != validators_hash(*next))
    return bad_block("next_validators_hash does not match");
  executed.next_validators = std::move(*next);
  executed.state_root = next_state_root((*head)->state_root, overlay.writes());
  if (header.state_root != executed.state_root) return bad_block("state_root does not match");
  executed.bills = held_bills(overlay);
  executed.writes = overlay.take_writes();
  return executed;
}

BlockBuilder::BlockBuilder(const Store& store, Head head, BlockContext context,
                           std::vector<Validator> validators)
    : store_(&store),
      head_(head),
      context_(std::move(context)),
      validators_(std::move(validators)),
      overlay_(store) {}

Result<BlockBuilder> BlockBuilder::start(const Store& store, std::uint64_t time_ms) {
  Ledger ledger(store);
  auto head = ledger.head();
  ONEBILL_TRY(head);
  if (!head->has_value()) return invalid("not-synced", "the store holds no genesis");
  auto chain = chain_of_store(ledger);
  ONEBILL_TRY(chain);
  auto validators = ledger.validators();
  ONEBILL_TRY(validators);
  BlockContext context{(*head)->height + 1, std::max(time_ms, (*head)->time_ms + 1), *chain, 0};
  return BlockBuilder(store, **head, std::move(context), std::move(*validators));
}

Status BlockBuilder::add(const Transaction& transaction) {
  ONEBILL_ASSERT(!finished_);
  if (transactions_.size() >= limits::max_batch_transactions) {
    return invalid("busy",
                   "the block is full (" + std::to_string(limits::max_batch_transactions) + " transactions)");
  }
  context_.tx_index = static_cast<std::uint32_t>(transactions_.size());
  ONEBILL_TRY(apply(transaction, overlay_, context_, &writers_));
  transactions_.push_back(wire_text(transaction));
  ids_.push_back(transaction.id);
  senders_.push_back(transaction.from);
  return {};
}

Result<std::pair<Block, ExecutedBlock>> BlockBuilder::finish(const Address& proposer) {
  ONEBILL_ASSERT(!finished_);
  finished_ = true;
  auto next = Ledger(overlay_).validators();
  ONEBILL_TRY(next);
  ExecutedBlock executed;
  executed.bills = held_bills(overlay_);
  executed.writes = overlay_.take_writes();
  executed.state_root = next_state_root(head_.state_root, executed.writes);
  executed.transaction_ids = ids_;
  executed.senders = std::move(senders_);
  executed.writers = std::move(writers_);
  executed.next_validators = *next;
  Block block;
  block.header.chain = context_.chain;
  block.header.height = context_.height;
  block.header.time_ms = context_.time_ms;
  block.header.prev_hash = head_.block_hash;
  block.header.tx_root = tx_root(ids_);
  block.header.state_root = executed.state_root;
  block.header.validators_hash = validators_hash(validators_);
  block.header.next_validators_hash = validators_hash(*next);
  block.header.proposer = proposer;
  block.transactions = std::move(transactions_);
  return std::pair<Block, ExecutedBlock>{std::move(block), std::move(executed)};
}

WriteBatch commit_batch(const ExecutedBlock& executed, const Block& block, const Commit& commit) {
  const std::uint64_t height = block.header.height;
  ONEBILL_ASSERT(commit.height == height);
  ONEBILL_ASSERT(commit.block_hash == block_hash(block.header));
  ONEBILL_ASSERT(executed.transaction_ids.size() == block.transactions.size());
  WriteBatch batch;
  for (const auto& [key, value] : executed.writes) {
    ONEBILL_ASSERT(keys::is_state_key(key));
    const auto bill = executed.bills.find(key);
    batch.entries.push_back({key, value, bill != executed.bills.end() ? bill->second : nullptr});
  }
  batch.put(keys::block_key(height), block_jcs(block));
  batch.put(keys::commit_key(height), json::canonical(to_json(commit)));
  // The sender beside the location: a transaction's status then needs no parse of its whole block.
  const bool with_senders = executed.senders.size() == executed.transaction_ids.size();
  for (std::size_t i = 0; i < executed.transaction_ids.size(); ++i) {
    Json location{{"height", height}, {"index", i}};
    if (with_senders) location["from"] = address_text(executed.senders[i]);
    batch.put(keys::tx_key(executed.transaction_ids[i]), json::canonical(location));
  }
  Json next_set = Json::array();
  for (const auto& validator : executed.next_validators) next_set.push_back(to_json(validator));
  batch.put(keys::validator_set_key(height + 1), json::canonical(next_set));
  const Head head{height, commit.block_hash, executed.state_root, block.header.time_ms};
  batch.put(std::string(keys::head), json::canonical(to_json(head)));
  return batch;
}

}  // namespace onebill::ledger
