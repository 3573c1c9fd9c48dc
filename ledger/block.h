// Blocks, commits and their canonical encodings (DESIGN §5), and block execution and commit.
//
//   tx_root         = RFC 6962 merkle root (crypto/merkle.h) over the transaction ids in block order
//   state_root(h)   = H(0x02 ‖ state_root(h−1) ‖ H(W)); W = the block's state writes sorted by key, each
//                     u32be(len k) ‖ k ‖ 0x01 ‖ H(v) (put) or u32be(len k) ‖ k ‖ 0x00 (delete);
//                     state_root(0) = H(JCS(genesis)) (genesis.h); prev_hash of height 1 = state_root(0)
//   validators_hash = H(JCS([{address, consensus_key, power}] sorted by address))
//   block hash      = H("OneBill block v1\n" ‖ JCS(header))
//   vote            = H("OneBill vote v1\n" ‖ JCS({chain, height, round, type, block}))
//   proposal        = H("OneBill proposal v1\n" ‖ JCS({chain, height, round, pol_round, block}))
// H = keccak256; inside JCS hashes are "0x" + 64 lowercase hex and addresses EIP-55.
//
// Flow for one validator (consensus drives the same calls): BlockBuilder over the committed store ->
// add() the mempool's transactions -> finish() gives Block + ExecutedBlock; every validator re-runs
// execute_block(store, block) and compares; once committed, store.write(commit_batch(...), sync=true):
// ONE synced batch per block.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.h"
#include "crypto/bytes.h"
#include "crypto/json.h"
#include "crypto/result.h"
#include "crypto/secp256k1.h"
#include "ledger/execution.h"
#include "ledger/state.h"
#include "ledger/store.h"
#include "ledger/transaction.h"

namespace onebill::ledger {

inline constexpr std::string_view block_hash_prefix = "OneBill block v1\n";
inline constexpr std::string_view vote_prefix = "OneBill vote v1\n";
inline constexpr std::string_view proposal_prefix = "OneBill proposal v1\n";

// JSON (and JCS): {chain, height, time_ms, prev_hash, tx_root, state_root, validators_hash,
// next_validators_hash, proposer}
struct Header {
  std::string chain;
  std::uint64_t height = 0;
  std::uint64_t time_ms = 0;
  Hash32 prev_hash{};
  Hash32 tx_root{};
  Hash32 state_root{};
  Hash32 validators_hash{};       // the set that signs this block
  Hash32 next_validators_hash{};  // the set after executing it (signs height + 1)
  Address proposer;
  bool operator==(const Header&) const = default;
};
json::Json to_json(const Header& header);
Result<Header> header_from_json(const json::Json& json);
std::string header_jcs(const Header& header);
Hash32 block_hash(const Header& header);

// The wire text of a parsed transaction: JCS of the signed object (the object of the signing text plus
// "sig"), which parses back to the same transaction. Blocks hold it; peers gossip it.
std::string wire_text(const Transaction& transaction);

// JSON: {header, transactions: [wire objects]}. transactions holds each transaction's wire text (JCS of
// the signed object, as committed).
struct Block {
  Header header;
  std::vector<std::string> transactions;
};
json::Json to_json(const Block& block);
Result<Block> block_from_json(const json::Json& json);

// JSON: {validator, signature}
struct Precommit {
  Address validator;
  Signature signature{};
};
// JSON: {height, round, block_hash, precommits[]}. Stored beside the block, outside its hash.
struct Commit {
  std::uint64_t height = 0;
  std::uint32_t round = 0;
  Hash32 block_hash{};
  std::vector<Precommit> precommits;
};
json::Json to_json(const Commit& commit);
Result<Commit> commit_from_json(const json::Json& json);

enum class VoteType { prevote, precommit };  // "prevote", "precommit" in the JCS
// The 32-byte digests that validators sign with their consensus key (PrivateKey::sign_digest, low-s).
Hash32 vote_digest(std::string_view chain, std::uint64_t height, std::uint32_t round, VoteType type,
                   const std::optional<Hash32>& block);  // nullopt: a nil vote
Hash32 proposal_digest(std::string_view chain, std::uint64_t height, std::uint32_t round,
                       std::optional<std::uint32_t> pol_round, const Hash32& block);

// Checks that precommits for commit.block_hash by distinct members of `set` hold more than 2/3 of its
// power, each signature recovering the member's consensus key. "invalid-commit" otherwise.
Status verify_commit(std::string_view chain, const Commit& commit, const std::vector<Validator>& set);

Hash32 tx_root(const std::vector<Hash32>& transaction_ids);
Hash32 validators_hash(std::vector<Validator> set);
// The sorted writes encoding W of DESIGN §5 (the bytes that H(W) hashes).
std::string encode_writes(const WriteSet& writes);
Hash32 next_state_root(const Hash32& previous, const WriteSet& writes);

// The last committed block, stored under keys::head (height 0: genesis, whose block_hash is
// state_root(0), so prev_hash of height 1 = state_root(0)). JSON: {height, block_hash, state_root, time_ms}
struct Head {
  std::uint64_t height = 0;
  Hash32 block_hash{};
  Hash32 state_root{};
  std::uint64_t time_ms = 0;
};
json::Json to_json(const Head& head);
Result<Head> head_from_json(const json::Json& json);

// A block's transactions executed on an overlay of the committed state: what commit_batch writes.
struct ExecutedBlock {
  WriteSet writes;     // state, history, indexes, nonces (W)
  KeyWriters writers;  // who wrote each key of W (for the mempool's re-check)
  Hash32 state_root{};
  std::vector<Hash32> transaction_ids;  // in block order
  std::vector<Address> senders;         // each transaction's `from`, in block order (the index names it)
  std::vector<Validator> next_validators;
  // The bills of W as the execution held them decoded (each is exactly what its text in W decodes to),
  // handed to the store with the commit so that the next transaction on a bill needs no parse.
  std::map<std::string, std::shared_ptr<const Bill>, std::less<>> bills;
};

// Re-executes `block` on the committed `store` and checks its header: height = head + 1, prev_hash =
// head's block hash, time_ms above the head's, chain, every transaction parses, is signed by `from`
// and applies, and tx_root, state_root, validators_hash, next_validators_hash match. Problems:
// "invalid-block" (the detail says which), or the transaction's own problem prefixed with its index.
// `already_verified`, when given, names transactions whose signer this node recovered before (on
// admission): it is called with each parsed transaction and answers true only when that very
// signature was verified for that id; their recovery is skipped (a block from a peer is verified once).
using SignerVerified = std::function<bool(const Transaction&)>;
Result<ExecutedBlock> execute_block(const Store& store, const Block& block,
                                    const SignerVerified& already_verified = {});

// Builds the next block from candidate transactions (the proposer's side of execute_block).
class BlockBuilder {
 public:
  // Reads the head of `store`; the header time is max(time_ms, head time + 1). "not-synced" when the
  // store holds no genesis.
  static Result<BlockBuilder> start(const Store& store, std::uint64_t time_ms);
  BlockBuilder(BlockBuilder&&) = default;
  BlockBuilder(const BlockBuilder&) = delete;  // its overlay must not be duplicated

  // Applies a transaction (parsed, signer verified) on the pending overlay; a refused one is not
  // included and leaves the overlay unchanged. At most limits::max_batch_transactions transactions.
  Status add(const Transaction& transaction);
  std::size_t size() const { return transactions_.size(); }
  std::uint64_t height() const { return context_.height; }
  // The pending state (committed state plus the transactions added so far).
  const Overlay& state() const { return overlay_; }

  // The block with its header filled, and its execution (what execute_block would return). The builder
  // hands its writes and transactions over: it is spent afterwards (only destruction is allowed).
  Result<std::pair<Block, ExecutedBlock>> finish(const Address& proposer);

 private:
  BlockBuilder(const Store& store, Head head, BlockContext context, std::vector<Validator> validators);
  const Store* store_;
  Head head_;
  BlockContext context_;
  std::vector<Validator> validators_;
  Overlay overlay_;
  std::vector<std::string> transactions_;
  std::vector<Hash32> ids_;
  std::vector<Address> senders_;
  KeyWriters writers_;
  bool finished_ = false;  // finish() took the writes and transactions
};

// The one write batch of a committed block: its state writes, the block (B/), the commit (C/), the
// transaction index (T/), the next validator set (V/height+1) and the head (H). Write it with sync.
WriteBatch commit_batch(const ExecutedBlock& executed, const Block& block, const Commit& commit);

// JCS of to_json(block), built from the header's JCS and the transactions' wire texts (already JCS)
// without a DOM: what the store keeps under B/ and what peers receive.
std::string block_jcs(const Block& block);

}  // namespace onebill::ledger
