#include "ledger/memory_store.h"

namespace onebill::ledger {

Result<std::optional<std::string>> MemoryStore::get(std::string_view key) const {
  auto found = current_.find(key);
  if (found == current_.end()) return std::optional<std::string>{};
  return std::optional<std::string>{found->second};
}

Status MemoryStore::scan(std::string_view prefix, std::string_view from,
                         const std::function<bool(std::string_view, std::string_view)>& visit) const {
  std::string_view start = from < prefix ? prefix : from;
  for (auto it = current_.lower_bound(start); it != current_.end(); ++it) {
    if (std::string_view(it->first).substr(0, prefix.size()) != prefix) break;
    if (!visit(it->first, it->second)) break;
  }
  return {};
}

void MemoryStore::apply(std::map<std::string, std::string, std::less<>>& map, const WriteBatch& batch) {
  for (const auto& entry : batch.entries) {
    if (entry.value) {
      map[entry.key] = *entry.value;
    } else {
      map.erase(entry.key);
    }
  }
}

Status MemoryStore::write(const WriteBatch& batch, bool sync) {
  if (fail_writes_) return local_fault("storage", "the in-memory store was told to fail writes");
  apply(current_, batch);
  if (!sync) {
    unsynced_.push_back(batch);
    return {};
  }
  for (const auto& earlier : unsynced_) apply(durable_, earlier);
  unsynced_.clear();
  apply(durable_, batch);
  return {};
}

void MemoryStore::crash(std::size_t keep_unsynced) {
  for (std::size_t i = 0; i < keep_unsynced && i < unsynced_.size(); ++i) apply(durable_, unsynced_[i]);
  unsynced_.clear();
  current_ = durable_;
}

}  // namespace onebill::ledger
