// A bounded, thread-safe lookup cache of two generations: when the current generation is full it becomes
// the previous one (the one before is dropped); a hit in the previous generation moves the entry back to
// the current one, so what is used again and again stays. A generation is full when the weights of its
// entries reach the bound (by default each entry weighs 1: the bound is a count). Lookups only, never
// iteration: no order leaks into anything decided (DESIGN §8).
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace onebill::ledger {

// Keys are strings, looked up by string_view without a copy.
template <typename Value>
class GenerationCache {
 public:
  using Weigh = std::function<std::size_t(std::string_view key, const Value& value)>;
  explicit GenerationCache(std::size_t max_per_generation, Weigh weigh = nullptr)
      : max_per_generation_(max_per_generation), weigh_(std::move(weigh)) {}

  std::optional<Value> find(std::string_view key) {
    std::lock_guard lock(mutex_);
    if (const auto found = current_.entries.find(key); found != current_.entries.end()) return found->second;
    const auto found = previous_.entries.find(key);
    if (found == previous_.entries.end()) return std::nullopt;
    Value value = found->second;
    insert_locked(std::string(key), value);
    return value;
  }
  void insert(std::string_view key, const Value& value) {
    std::lock_guard lock(mutex_);
    insert_locked(std::string(key), value);
  }
  void erase(std::string_view key) {
    std::lock_guard lock(mutex_);
    if (const auto found = current_.entries.find(key); found != current_.entries.end())
      current_.entries.erase(found);
    if (const auto found = previous_.entries.find(key); found != previous_.entries.end())
      previous_.entries.erase(found);
  }
  void clear() {
    std::lock_guard lock(mutex_);
    current_ = {};
    previous_ = {};
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  struct Generation {
    std::unordered_map<std::string, Value, Hash, std::equal_to<>> entries;
    std::size_t weight = 0;  // an upper bound: a replaced entry is counted twice
  };
  void insert_locked(std::string key, const Value& value) {
    const std::size_t weight = weigh_ ? weigh_(key, value) : 1;
    if (current_.weight + weight > max_per_generation_) {
      previous_ = std::move(current_);
      current_ = {};
    }
    if (current_.entries.insert_or_assign(std::move(key), value).second) current_.weight += weight;
  }
  const std::size_t max_per_generation_;
  const Weigh weigh_;
  std::mutex mutex_;
  Generation current_;
  Generation previous_;
};

}  // namespace onebill::ledger
