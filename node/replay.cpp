#include "node/replay.h"

#include <map>

#include "crypto/hex.h"
#include "ledger/block.h"
#include "ledger/ledger.h"
#include "ledger/memory_store.h"
#include "node/local_keys.h"

namespace onebill::node {
namespace {

std::string printable_key(std::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char digits[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

}  // namespace

json::Json to_json(const ReplayReport& report) {
  return json::Json{{"height", report.height},
                    {"transactions", report.transactions},
                    {"stored_state_root", hex::encode(report.stored_state_root)},
                    {"replayed_state_root", hex::encode(report.replayed_state_root)},
                    {"keys_compared", report.keys_compared},
                    {"equal", report.equal},
                    {"first_difference", report.first_difference}};
}

Result<ReplayReport> verify_replay(const ledger::Store& stored, const ledger::Genesis& genesis) {
  ReplayReport report;
  const ledger::Ledger stored_ledger(stored);
  auto head = stored_ledger.head();
  ONEBILL_TRY(head);
  if (!head->has_value()) return local_fault("storage", "the database holds no genesis");
  report.height = (*head)->height;
  report.stored_state_root = (*head)->state_root;

  ledger::MemoryStore replayed;
  ONEBILL_TRY(replayed.write(ledger::genesis_batch(genesis), true));
  report.replayed_state_root = ledger::genesis_state_root(genesis);
  for (std::uint64_t height = 1; height <= report.height; ++height) {
    auto block = stored_ledger.block(height);
    ONEBILL_TRY(block);
    auto commit = stored_ledger.commit(height);
    ONEBILL_TRY(commit);
    if (!block->has_value() || !commit->has_value()) {
      report.first_difference = "block or commit " + std::to_string(height) + " is missing";
      return report;
    }
    auto executed = ledger::execute_block(replayed, **block);
    if (!executed) {
      report.first_difference = "block " + std::to_string(height) +
                                " does not re-execute: " + executed.problem().rule + ": " +
                                executed.problem().detail;
      return report;
    }
    ONEBILL_TRY(replayed.write(ledger::commit_batch(*executed, **block, **commit), true));
    report.replayed_state_root = executed->state_root;
    report.transactions += (*block)->transactions.size();
  }

  // Every key, state and chain alike: the stored database must equal the replay byte for byte.
  const auto& expected = replayed.contents();
  auto next = expected.begin();
  std::string difference;
  std::uint64_t compared = 0;
  ONEBILL_TRY(stored.scan("", "", [&](std::string_view key, std::string_view value) {
    if (key.starts_with(local_prefix)) return true;  // the node's own records: not replayed state
    ++compared;
    if (next == expected.end() || next->first != key) {
      difference = "stored key " + printable_key(key) + " is not in the replay" +
                   (next == expected.end() ? "" : " (replay has " + printable_key(next->first) + ")");
      return false;
    }
    if (next->second != value) {
      difference = "key " + printable_key(key) + " differs from the replay";
      return false;
    }
    ++next;
    return true;
  }));
  if (difference.empty() && next != expected.end()) {
    difference = "replayed key " + printable_key(next->first) + " is not stored";
  }
  report.keys_compared = compared;
  report.first_difference = difference;
  report.equal = difference.empty() && report.replayed_state_root == report.stored_state_root;
  if (difference.empty() && !report.equal) report.first_difference = "the state roots differ";
  return report;
}

}  // namespace onebill::node
