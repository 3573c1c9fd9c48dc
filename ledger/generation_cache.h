// A bounded, thread-safe lookup cache of two generations: when the current generation is full it becomes
// the previous one (the one before is dropped); a hit in the previous generation moves the entry back to
// the current one, so what is used again and again stays. Lookups only, never iteration: no order leaks
// into anything decided (DESIGN §8).
#pragma once

#include <cstddef>
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
  explicit GenerationCache(std::size_t max_per_generation) : max_per_generation_(max_per_generation) {}

  std::optional<Value> find(std::string_view key) {
    std::lock_guard lock(mutex_);
    if (const auto found = current_.find(key); found != current_.end()) return found->second;
    const auto found = previous_.find(key);
    if (found == previous_.end()) return std::nullopt;
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
    if (const auto found = current_.find(key); found != current_.end()) current_.erase(found);
    if (const auto found = previous_.find(key); found != previous_.end()) previous_.erase(found);
  }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  using Map = std::unordered_map<std::string, Value, Hash, std::equal_to<>>;
  void insert_locked(std::string key, const Value& value) {
    if (current_.size() >= max_per_generation_) {
      previous_ = std::move(current_);
      current_ = Map{};
    }
    current_.insert_or_assign(std::move(key), value);
  }
  const std::size_t max_per_generation_;
  std::mutex mutex_;
  Map current_;
  Map previous_;
};

}  // namespace onebill::ledger
