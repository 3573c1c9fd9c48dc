#include "node/leveldb_store.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

namespace onebill::node {
namespace {

Problem storage_fault(std::string_view what, const leveldb::Status& status) {
  return local_fault("storage", std::string(what) + ": " + status.ToString());
}

leveldb::Slice slice(std::string_view text) {
  return leveldb::Slice(text.data(), text.size());
}
std::string_view view(const leveldb::Slice& slice) {
  return std::string_view(slice.data(), slice.size());
}

}  // namespace

Result<std::unique_ptr<LevelDbStore>> LevelDbStore::open(const std::string& directory,
                                                         const LevelDbOptions& options) {
  std::unique_ptr<LevelDbStore> store(new LevelDbStore());
  store->cache_.reset(leveldb::NewLRUCache(options.block_cache_bytes));
  store->filter_.reset(leveldb::NewBloomFilterPolicy(options.bloom_bits_per_key));
  leveldb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.paranoid_checks = true;
  db_options.block_cache = store->cache_.get();
  db_options.filter_policy = store->filter_.get();
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.max_file_size = options.max_file_bytes;
  leveldb::DB* db = nullptr;
  const leveldb::Status status = leveldb::DB::Open(db_options, directory, &db);
  if (!status.ok()) return storage_fault("cannot open the database at " + directory, status);
  ONEBILL_ASSERT(db != nullptr);
  store->db_.reset(db);
  return store;
}

LevelDbStore::~LevelDbStore() {
  db_.reset();
}

Result<std::optional<std::string>> LevelDbStore::get(std::string_view key) const {
  std::string value;
  leveldb::ReadOptions read_options;
  read_options.verify_checksums = true;
  const leveldb::Status status = db_->Get(read_options, slice(key), &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return storage_fault("read failed", status);
  return std::optional<std::string>(std::move(value));
}

std::shared_ptr<const ledger::Bill> LevelDbStore::held_bill(std::string_view key) const {
  return held_bills_.find(key).value_or(nullptr);
}

void LevelDbStore::offer_bill(std::string_view key, const std::shared_ptr<const ledger::Bill>& bill) const {
  held_bills_.insert(key, bill);
}

Status LevelDbStore::scan(std::string_view prefix, std::string_view from,
                          const std::function<bool(std::string_view, std::string_view)>& visit) const {
  leveldb::ReadOptions read_options;
  read_options.verify_checksums = true;
  read_options.fill_cache = false;  // a scan must not evict the point reads' working set
  std::unique_ptr<leveldb::Iterator> iterator(db_->NewIterator(read_options));
  // Start at the later of prefix and from: keys below the prefix cannot match.
  const std::string_view start = from > prefix ? from : prefix;
  for (iterator->Seek(slice(start)); iterator->Valid(); iterator->Next()) {
    const std::string_view key = view(iterator->key());
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!visit(key, view(iterator->value()))) break;
  }
  if (!iterator->status().ok()) return storage_fault("scan failed", iterator->status());
  return {};
}

Status LevelDbStore::write(const ledger::WriteBatch& batch, bool sync) {
  leveldb::WriteBatch leveldb_batch;
  for (const auto& entry : batch.entries) {
    held_bills_.erase(entry.key);  // before the write: no reader may be given the old bill after it
    if (entry.value) {
      leveldb_batch.Put(slice(entry.key), slice(*entry.value));
    } else {
      leveldb_batch.Delete(slice(entry.key));
    }
  }
  leveldb::WriteOptions write_options;
  write_options.sync = sync;
  const leveldb::Status status = db_->Write(write_options, &leveldb_batch);
  if (!status.ok()) return storage_fault("write failed", status);
  // The written bills the writer held decoded are what the next reader would decode.
  for (const auto& entry : batch.entries) {
    if (entry.bill && entry.value) held_bills_.insert(entry.key, entry.bill);
  }
  return {};
}

}  // namespace onebill::node
