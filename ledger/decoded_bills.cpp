#include "ledger/decoded_bills.h"

#include "ledger/generation_cache.h"

namespace onebill::ledger::internal {
namespace {

// A bill's text is 1–3 KB; two generations of 4,096 bound the cache at a few tens of MB.
GenerationCache<Bill>& decoded_bills() {
  static GenerationCache<Bill> bills(4096);
  return bills;
}

}  // namespace

std::optional<Bill> decoded_bill(const std::string& stored_text) {
  return decoded_bills().find(stored_text);
}

void remember_decoded_bill(const std::string& stored_text, const Bill& bill) {
  decoded_bills().insert(stored_text, bill);
}

}  // namespace onebill::ledger::internal
