// The rendered answers of the node's open single-bill routes (api/server.cpp), kept per head.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "crypto/bytes.h"

namespace onebill::api {

// The rendered answers of the open single-bill routes (control, history, legs, the bill), by path and
// query parameters at one head. Banks and customs read the same bills again and again while
// the chain stands still; an answer is a function of the target and the committed state, and the head's
// block hash names that state (its header holds the state root), so an answer cached under it is the
// answer. Entries of an older head are dropped as soon as a newer head is seen. Bounded by two
// generations of 48 MiB (keys and answers; the answers of ~6,000 bills with their whole histories fit
// one): when the current one is full it becomes the previous one and the one before is dropped; an
// answer found in the previous one moves back. A single 16 MiB bound cleared when full made every
// read render again once the bills read outgrew it (reads fell from 30,000 to 16,000 per s). Shared
// by the worker threads under one mutex (a lookup is a hash and a copy).
class RenderedAnswers {
 public:
  explicit RenderedAnswers(std::size_t max_generation_bytes = 48 * 1024 * 1024)
      : max_generation_bytes_(max_generation_bytes) {}
  std::optional<std::string> find(const Hash32& head, const std::string& key) {
    std::lock_guard lock(mutex_);
    if (head != head_) return std::nullopt;
    if (const auto found = current_.answers.find(key); found != current_.answers.end()) return found->second;
    const auto found = previous_.answers.find(key);
    if (found == previous_.answers.end()) return std::nullopt;
    std::string body = found->second;
    insert_locked(key, body);
    return body;
  }
  void put(const Hash32& head, const std::string& key, const std::string& body) {
    constexpr std::size_t max_answer_bytes = 64 * 1024;
    if (body.size() > max_answer_bytes) return;
    std::lock_guard lock(mutex_);
    if (head != head_) {
      current_ = {};
      previous_ = {};
      head_ = head;
    }
    insert_locked(key, body);
  }

 private:
  struct Generation {
    std::unordered_map<std::string, std::string> answers;
    std::size_t bytes = 0;  // an upper bound: a replaced answer is counted twice
  };
  void insert_locked(const std::string& key, const std::string& body) {
    if (current_.bytes + key.size() + body.size() > max_generation_bytes_) {
      previous_ = std::move(current_);
      current_ = {};
    }
    if (current_.answers.insert_or_assign(key, body).second) current_.bytes += key.size() + body.size();
  }
  const std::size_t max_generation_bytes_;
  std::mutex mutex_;
  Hash32 head_{};
  Generation current_;
  Generation previous_;
};

}  // namespace onebill::api
