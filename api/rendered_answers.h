// The rendered answers of the node's open single-bill routes (api/server.cpp), kept per head.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "crypto/bytes.h"
#include "ledger/generation_cache.h"

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
      : answers_(max_generation_bytes,
                 [](std::string_view key, const std::string& body) { return key.size() + body.size(); }) {}
  std::optional<std::string> find(const Hash32& head, const std::string& key) {
    std::lock_guard lock(mutex_);
    if (head != head_) return std::nullopt;
    return answers_.find(key);
  }
  void put(const Hash32& head, const std::string& key, const std::string& body) {
    constexpr std::size_t max_answer_bytes = 64 * 1024;
    if (body.size() > max_answer_bytes) return;
    std::lock_guard lock(mutex_);  // the head and its answers change together
    if (head != head_) {
      answers_.clear();
      head_ = head;
    }
    answers_.insert(key, body);
  }

 private:
  std::mutex mutex_;
  Hash32 head_{};
  ledger::GenerationCache<std::string> answers_;  // of head_
};

}  // namespace onebill::api
