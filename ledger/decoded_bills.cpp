#include "ledger/decoded_bills.h"

#include <mutex>
#include <unordered_map>

namespace onebill::ledger::internal {
namespace {

// Lookups only, never iteration: no order leaks into anything decided (DESIGN §8). A bill's text is
// 1–3 KB; two generations of 4,096 bound the cache at a few tens of MB. When the current generation
// is full it becomes the previous one (the one before is dropped); a hit in the previous generation
// moves the entry back to the current one, so what is read block after block stays.
class DecodedBills {
 public:
  std::optional<Bill> find(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (const auto found = current_.find(text); found != current_.end()) return found->second;
    const auto found = previous_.find(text);
    if (found == previous_.end()) return std::nullopt;
    Bill bill = found->second;
    insert_locked(text, bill);
    return bill;
  }
  void remember(const std::string& text, const Bill& bill) {
    std::lock_guard lock(mutex_);
    insert_locked(text, bill);
  }

 private:
  static constexpr std::size_t max_per_generation = 4096;
  void insert_locked(const std::string& text, const Bill& bill) {
    if (current_.size() >= max_per_generation) {
      previous_ = std::move(current_);
      current_ = {};
    }
    current_.insert_or_assign(text, bill);
  }
  std::mutex mutex_;
  std::unordered_map<std::string, Bill> current_;
  std::unordered_map<std::string, Bill> previous_;
};

DecodedBills& decoded_bills() {
  static DecodedBills bills;
  return bills;
}

}  // namespace

std::optional<Bill> decoded_bill(const std::string& stored_text) {
  return decoded_bills().find(stored_text);
}

void remember_decoded_bill(const std::string& stored_text, const Bill& bill) {
  decoded_bills().remember(stored_text, bill);
}

}  // namespace onebill::ledger::internal
