// The storage interface the ledger writes through (DESIGN §1, §5). node/ implements it on LevelDB;
// the simulator implements it in memory. Keys and values are byte strings; keys sort bytewise.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"

namespace onebill::ledger {

struct Bill;  // ledger/state.h

struct WriteBatch {
  struct Entry {
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
    // The value decoded, when it is a bill the writer held decoded (a store may keep it for held_bill).
    std::shared_ptr<const Bill> bill = nullptr;
  };
  std::vector<Entry> entries;

  void put(std::string key, std::string value) { entries.push_back({std::move(key), std::move(value)}); }
  void erase(std::string key) { entries.push_back({std::move(key), std::nullopt}); }
};

class Store {
 public:
  virtual ~Store() = default;

  // nullopt when absent; a local fault ("storage") when the medium fails.
  virtual Result<std::optional<std::string>> get(std::string_view key) const = 0;

  // The bill stored at `key` when this store holds it decoded (an overlay's write of a bill it was given
  // decoded), else nullptr: then decode get(key). When not null, it is exactly what decoding get(key)
  // gives, so a reader may use either; a store that wraps another must pass this through (and note
  // the read as it notes a get).
  virtual std::shared_ptr<const Bill> held_bill(std::string_view /*key*/) const { return nullptr; }
  // Offers the decoding of get(key), made by a reader, for held_bill to give later (a store may keep
  // it until `key` is written). Only with what get(key) gives now.
  virtual void offer_bill(std::string_view /*key*/, const std::shared_ptr<const Bill>& /*bill*/) const {}

  // Calls visit(key, value) for every key >= from that starts with `prefix`, in key order, until visit
  // returns false. Bounded by the caller (visit stops it).
  virtual Status scan(
      std::string_view prefix, std::string_view from,
      const std::function<bool(std::string_view key, std::string_view value)>& visit) const = 0;

  // Applies the batch atomically; with sync, durable when this returns (one synced batch per block).
  virtual Status write(const WriteBatch& batch, bool sync) = 0;
};

}  // namespace onebill::ledger
