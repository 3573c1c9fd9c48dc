// Decoded bills by their stored text (internal to ledger/). Every apply loads the bill it acts on, and
// the block, the mempool's pending states and the next admission read the same text again; parsing
// that JSON and decoding it was the largest cost of a node at saturation. The stored text is the key,
// so an entry is exactly what decoding the text gives (Bill round-trips through its one JSON mapping,
// state.h), whichever store (committed or an overlay) the text came from, and no write needs to
// invalidate anything. Process-wide and thread-safe; bounded by two generations of entries.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "ledger/state.h"

namespace onebill::ledger::internal {

// The bill decoded from this stored text, shared (nullptr when not kept).
std::shared_ptr<const Bill> decoded_bill(const std::string& stored_text);
// Remembers the decoding of `stored_text` (the JCS of to_json(bill), as saved or as read); the bill
// is shared, never copied.
void remember_decoded_bill(const std::string& stored_text, std::shared_ptr<const Bill> bill);

}  // namespace onebill::ledger::internal
