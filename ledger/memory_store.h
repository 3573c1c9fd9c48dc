// An in-memory Store (std::map) for tests and the simulator. It keeps what was written with sync apart
// from what was not, so crash() can model a power cut: unsynced batches are lost (or the first few
// kept, as the OS may have flushed them in order), synced ones survive. Writes can be made to fail to
// test local faults. Not thread-safe; one owner.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "ledger/store.h"

namespace onebill::ledger {

class MemoryStore final : public Store {
 public:
  Result<std::optional<std::string>> get(std::string_view key) const override;
  Status scan(std::string_view prefix, std::string_view from,
              const std::function<bool(std::string_view key, std::string_view value)>& visit) const override;
  // A synced write makes it and every earlier unsynced batch durable (as a write-ahead log does).
  Status write(const WriteBatch& batch, bool sync) override;

  // Drops the unsynced batches except the first `keep_unsynced` of them, as after a crash.
  void crash(std::size_t keep_unsynced = 0);
  std::size_t unsynced_batches() const { return unsynced_.size(); }
  // While set, every write fails with local_fault("storage") and changes nothing.
  void fail_writes(bool fail) { fail_writes_ = fail; }

  // Everything readable now, in key order (for byte-identical comparisons in tests).
  const std::map<std::string, std::string, std::less<>>& contents() const { return current_; }

 private:
  static void apply(std::map<std::string, std::string, std::less<>>& map, const WriteBatch& batch);
  std::map<std::string, std::string, std::less<>> current_;  // what reads see
  std::map<std::string, std::string, std::less<>> durable_;  // what survives crash()
  std::vector<WriteBatch> unsynced_;
  bool fail_writes_ = false;
};

}  // namespace onebill::ledger
