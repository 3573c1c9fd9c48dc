// ledger::Store on LevelDB (DESIGN §5): one WriteBatch per call, synced when asked, so a crash leaves
// the last committed block whole. A bloom filter and a block cache serve the point reads of queries.
#pragma once

#include <memory>
#include <string>

#include "crypto/result.h"
#include "ledger/generation_cache.h"
#include "ledger/state.h"
#include "ledger/store.h"

namespace leveldb {
class DB;
class Cache;
class FilterPolicy;
}  // namespace leveldb

namespace onebill::node {

struct LevelDbOptions {
  bool create_if_missing = true;
  std::size_t block_cache_bytes = 64 * 1024 * 1024;
  int bloom_bits_per_key = 10;
  // A block writes up to about 2 MiB (its text and its state writes): a larger memtable and larger
  // tables mean fewer flushes and compactions under load. Fixed sizes: memory stays bounded.
  std::size_t write_buffer_bytes = 64 * 1024 * 1024;
  std::size_t max_file_bytes = 16 * 1024 * 1024;
};

class LevelDbStore final : public ledger::Store {
 public:
  // Opens (or creates) the database in `directory`. A failure is a local fault ("storage"): a
  // missing or locked directory, a corrupt database; the detail carries LevelDB's message.
  static Result<std::unique_ptr<LevelDbStore>> open(const std::string& directory,
                                                    const LevelDbOptions& options = {});

  ~LevelDbStore() override;
  LevelDbStore(const LevelDbStore&) = delete;
  LevelDbStore& operator=(const LevelDbStore&) = delete;

  Result<std::optional<std::string>> get(std::string_view key) const override;
  // The bills readers decoded (offer_bill) or a write brought decoded (WriteBatch::Entry::bill), by key,
  // until the key is written again: the bills a node reads again and again (the block's transactions,
  // the mempool's, the API's) are decoded at most once.
  std::shared_ptr<const ledger::Bill> held_bill(std::string_view key) const override;
  void offer_bill(std::string_view key, const std::shared_ptr<const ledger::Bill>& bill) const override;
  Status scan(std::string_view prefix, std::string_view from,
              const std::function<bool(std::string_view key, std::string_view value)>& visit) const override;
  Status write(const ledger::WriteBatch& batch, bool sync) override;

 private:
  LevelDbStore() = default;

  // Destroyed in reverse order: the database before the cache and filter it uses.
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  // A decoded bill is 2–6 KB: two generations of 4,096 bound this at a few tens of MB.
  mutable ledger::GenerationCache<std::shared_ptr<const ledger::Bill>> held_bills_{4096};
};

}  // namespace onebill::node
