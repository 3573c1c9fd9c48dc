#include "ledger/decoded_bills.h"

#include "crypto/assert.h"
#include "ledger/generation_cache.h"

namespace onebill::ledger::internal {
namespace {

// A bill's text is 1–3 KB; two generations of 4,096 bound the cache at a few tens of MB.
GenerationCache<std::shared_ptr<const Bill>>& decoded_bills() {
  static GenerationCache<std::shared_ptr<const Bill>> bills(4096);
  return bills;
}

}  // namespace

std::shared_ptr<const Bill> decoded_bill(const std::string& stored_text) {
  return decoded_bills().find(stored_text).value_or(nullptr);
}

void remember_decoded_bill(const std::string& stored_text, std::shared_ptr<const Bill> bill) {
  ONEBILL_ASSERT(bill != nullptr);
  decoded_bills().insert(stored_text, bill);
}

}  // namespace onebill::ledger::internal
