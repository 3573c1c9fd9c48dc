// node/leveldb_store: ledger::Store on LevelDB.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "node/leveldb_store.h"

namespace {

namespace fs = std::filesystem;
using onebill::ledger::WriteBatch;
using onebill::node::LevelDbStore;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("onebill-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int value = 0;
    return value;
  }
};

std::vector<std::string> keys_of(const LevelDbStore& store, std::string_view prefix, std::string_view from) {
  std::vector<std::string> keys;
  auto status = store.scan(prefix, from, [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return true;
  });
  REQUIRE(status.ok());
  return keys;
}

}  // namespace

TEST_CASE("a written batch is read back and a deleted key is absent") {
  TempDir dir;
  auto store = LevelDbStore::open(dir.path.string());
  REQUIRE(store.ok());
  WriteBatch batch;
  batch.put("a", "1");
  batch.put("b", std::string("\0\xff", 2));
  batch.put("c", "3");
  batch.erase("c");
  REQUIRE((*store)->write(batch, true).ok());
  CHECK(*(*store)->get("a").value() == "1");
  CHECK(*(*store)->get("b").value() == std::string("\0\xff", 2));
  CHECK(!(*store)->get("c").value().has_value());
  CHECK(!(*store)->get("zz").value().has_value());
}

TEST_CASE("a synced batch survives closing and reopening the database") {
  TempDir dir;
  {
    auto store = LevelDbStore::open(dir.path.string());
    REQUIRE(store.ok());
    WriteBatch batch;
    for (int i = 0; i < 100; ++i) batch.put("k" + std::to_string(i), "v" + std::to_string(i));
    REQUIRE((*store)->write(batch, true).ok());
  }
  auto store = LevelDbStore::open(dir.path.string());
  REQUIRE(store.ok());
  CHECK(*(*store)->get("k42").value() == "v42");
  CHECK(keys_of(**store, "k", "").size() == 100);
}

TEST_CASE("a scan visits the keys of its prefix from `from`, in order, until told to stop") {
  TempDir dir;
  auto store = LevelDbStore::open(dir.path.string());
  REQUIRE(store.ok());
  WriteBatch batch;
  for (const char* key : {"a/1", "a/2", "a/3", "b/1", "a", "a0"}) batch.put(key, "x");
  REQUIRE((*store)->write(batch, false).ok());
  CHECK(keys_of(**store, "a/", "") == std::vector<std::string>{"a/1", "a/2", "a/3"});
  CHECK(keys_of(**store, "a/", "a/2") == std::vector<std::string>{"a/2", "a/3"});
  CHECK(keys_of(**store, "a/", "zzz").empty());
  int visited = 0;
  REQUIRE((*store)->scan("a/", "", [&](std::string_view, std::string_view) { return ++visited < 2; }).ok());
  CHECK(visited == 2);
}

TEST_CASE("a database that cannot be opened is a local storage fault") {
  TempDir dir;
  fs::create_directories(dir.path);
  auto first = LevelDbStore::open(dir.path.string());
  REQUIRE(first.ok());
  // LevelDB locks its directory: a second open of the same database fails.
  auto second = LevelDbStore::open(dir.path.string());
  REQUIRE(!second.ok());
  CHECK(second.problem().rule == "storage");
  CHECK(second.problem().kind == onebill::ProblemKind::local_fault);
  onebill::node::LevelDbOptions no_create;
  no_create.create_if_missing = false;
  auto missing = LevelDbStore::open((dir.path / "absent").string(), no_create);
  REQUIRE(!missing.ok());
  CHECK(missing.problem().rule == "storage");
}

TEST_CASE("a bill offered by a reader is held until its key is written") {
  TempDir dir;
  auto store = LevelDbStore::open(dir.path.string());
  REQUIRE(store.ok());
  auto bill = std::make_shared<const onebill::ledger::Bill>();
  CHECK((*store)->held_bill("b/1") == nullptr);
  (*store)->offer_bill("b/1", bill);
  CHECK((*store)->held_bill("b/1") == bill);
  CHECK((*store)->held_bill("b/2") == nullptr);
  WriteBatch other;
  other.put("b/2", "x");
  REQUIRE((*store)->write(other, false).ok());
  CHECK((*store)->held_bill("b/1") == bill);  // another key's write keeps it
  WriteBatch batch;
  batch.put("b/1", "{}");
  REQUIRE((*store)->write(batch, false).ok());
  CHECK((*store)->held_bill("b/1") == nullptr);
}

TEST_CASE("a bill a write brings decoded is held after the write, and a plain write of its key drops it") {
  TempDir dir;
  auto store = LevelDbStore::open(dir.path.string());
  REQUIRE(store.ok());
  auto bill = std::make_shared<const onebill::ledger::Bill>();
  WriteBatch batch;
  batch.entries.push_back({"b/1", std::string("{}"), bill});
  REQUIRE((*store)->write(batch, false).ok());
  CHECK((*store)->held_bill("b/1") == bill);
  WriteBatch plain;
  plain.put("b/1", "{\"x\":1}");
  REQUIRE((*store)->write(plain, false).ok());
  CHECK((*store)->held_bill("b/1") == nullptr);
}
