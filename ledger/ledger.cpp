#include "ledger/ledger.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "crypto/hex.h"
#include "crypto/limits.h"
#include "ledger/decoded_bills.h"
#include "ledger/keys.h"

namespace onebill::ledger {

using json::Json;

namespace {

Problem corrupt(std::string_view what) {
  return local_fault("storage", "the store holds a malformed " + std::string(what));
}

Result<Json> parse_stored(std::string_view text, std::string_view what) {
  auto parsed = json::read(text);
  if (!parsed) return corrupt(what);
  return std::move(*parsed);
}

template <typename T, typename Decode>
Result<std::optional<T>> get_decoded(const Store& store, std::string_view key, std::string_view what,
                                     Decode decode) {
  auto value = store.get(key);
  ONEBILL_TRY(value);
  if (!value->has_value()) return std::optional<T>{};
  auto parsed = parse_stored(**value, what);
  ONEBILL_TRY(parsed);
  auto decoded = decode(*parsed);
  if (!decoded) return corrupt(what);
  return std::optional<T>{std::move(*decoded)};
}

std::size_t clamp_limit(std::size_t limit) {
  return std::clamp<std::size_t>(limit, 1, limits::max_page_limit);
}

Result<std::string> decode_cursor(std::string_view after, std::size_t size) {
  if (after.empty()) return std::string{};
  auto bytes = hex::decode(after);
  if (!bytes || bytes->size() != size)
    return invalid("wrong-type", "after: not a cursor this server gave out");
  return std::string(bytes->begin(), bytes->end());
}

std::string encode_cursor(std::string_view suffix) {
  return hex::encode(as_bytes(suffix));
}

}  // namespace

std::string_view bill_index_name(BillIndex index) {
  switch (index) {
    case BillIndex::holder:
      return "holder";
    case BillIndex::beneficiary:
      return "beneficiary";
    case BillIndex::nominee:
      return "nominee";
    case BillIndex::pledgee:
      return "pledgee";
    case BillIndex::issuer:
      return "issuer";
    case BillIndex::carrier:
      return "carrier";
    case BillIndex::destination:
      return "destination";
    case BillIndex::status:
      return "status";
  }
  ONEBILL_ASSERT(false);
  return {};
}

Result<std::optional<Bill>> Ledger::bill(const Hash32& id) const {
  const std::string key = keys::bill_key(id);
  if (auto held = store_.held_bill(key)) return std::optional<Bill>{*held};
  auto value = store_.get(key);
  ONEBILL_TRY(value);
  if (!value->has_value()) return std::optional<Bill>{};
  std::shared_ptr<const Bill> decoded = internal::decoded_bill(**value);
  if (!decoded) {
    auto parsed = parse_stored(**value, "bill");
    ONEBILL_TRY(parsed);
    auto from_json = bill_from_json(*parsed);
    if (!from_json) return corrupt("bill");
    decoded = std::make_shared<const Bill>(std::move(*from_json));
    internal::remember_decoded_bill(**value, decoded);
  }
  store_.offer_bill(key, decoded);  // the next read needs no text
  return std::optional<Bill>{*decoded};
}

// Every apply reads its signer's record and often a recipient's or a carrier's, and records change
// rarely: decoding the same JSON text again was about a tenth of a node's CPU. Each thread keeps the
// records it decoded, keyed by their stored text. The text is the key, so a write (new text) needs no
// invalidation and any store, committed or overlay, is served exactly as decoding would; only lookups,
// never iteration, so no order leaks out (DESIGN §8). Bounded: cleared when full.
Result<std::optional<Participant>> Ledger::participant(const Address& address) const {
  auto value = store_.get(keys::participant_key(address));
  ONEBILL_TRY(value);
  if (!value->has_value()) return std::optional<Participant>{};
  constexpr std::size_t max_cached_participants = 1024;
  thread_local std::unordered_map<std::string, Participant> decoded_by_text;
  if (const auto found = decoded_by_text.find(**value); found != decoded_by_text.end())
    return std::optional<Participant>{found->second};
  auto parsed = parse_stored(**value, "participant");
  ONEBILL_TRY(parsed);
  auto decoded = participant_from_json(*parsed);
  if (!decoded) return corrupt("participant");
  if (decoded_by_text.size() >= max_cached_participants) decoded_by_text.clear();
  decoded_by_text.emplace(std::move(**value), *decoded);
  return std::optional<Participant>{std::move(*decoded)};
}

Result<std::vector<Participant>> Ledger::participants() const {
  std::vector<Participant> out;
  std::optional<Problem> problem;
  ONEBILL_TRY(store_.scan(keys::participant_prefix, {}, [&](std::string_view, std::string_view value) {
    auto parsed = parse_stored(value, "participant");
    auto decoded = parsed ? participant_from_json(*parsed) : Result<Participant>(parsed.problem());
    if (!decoded) {
      problem = corrupt("participant");
      return false;
    }
    out.push_back(std::move(*decoded));
    return true;
  }));
  if (problem) return *problem;
  return out;
}

Result<std::uint64_t> Ledger::next_nonce(const Address& address) const {
  auto value = store_.get(keys::account_key(address));
  ONEBILL_TRY(value);
  if (!value->has_value()) return std::uint64_t{0};
  const std::string& text = **value;
  std::uint64_t nonce = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), nonce);
  if (error != std::errc{} || end != text.data() + text.size()) return corrupt("account nonce");
  return nonce;
}

Result<std::optional<Proposal>> Ledger::proposal(const Hash32& id) const {
  return get_decoded<Proposal>(store_, keys::proposal_key(id), "proposal", proposal_from_json);
}

Result<std::vector<Validator>> Ledger::validators() const {
  std::vector<Validator> out;
  std::optional<Problem> problem;
  ONEBILL_TRY(store_.scan(keys::validator_prefix, {}, [&](std::string_view, std::string_view value) {
    auto parsed = parse_stored(value, "validator");
    auto decoded = parsed ? validator_from_json(*parsed) : Result<Validator>(parsed.problem());
    if (!decoded) {
      problem = corrupt("validator");
      return false;
    }
    out.push_back(std::move(*decoded));
    return true;
  }));
  if (problem) return *problem;
  return out;  // key order = address order
}

Result<std::optional<Hash32>> Ledger::bill_by_reference(const Address& issuer,
                                                        std::string_view reference) const {
  auto value = store_.get(keys::reference_key(issuer, reference));
  ONEBILL_TRY(value);
  if (!value->has_value()) return std::optional<Hash32>{};
  if ((*value)->size() != 32) return corrupt("reference index entry");
  Hash32 id{};
  std::copy((*value)->begin(), (*value)->end(), id.begin());
  return std::optional<Hash32>{id};
}

Result<std::vector<HistoryEntry>> Ledger::history(const Hash32& bill, std::uint32_t from,
                                                  std::size_t limit) const {
  limit = clamp_limit(limit);
  std::vector<HistoryEntry> out;
  std::optional<Problem> problem;
  ONEBILL_TRY(store_.scan(keys::history_prefix_of(bill), keys::history_key(bill, from),
                          [&](std::string_view, std::string_view value) {
                            auto parsed = parse_stored(value, "history entry");
                            auto decoded = parsed ? history_entry_from_json(*parsed)
                                                  : Result<HistoryEntry>(parsed.problem());
                            if (!decoded) {
                              problem = corrupt("history entry");
                              return false;
                            }
                            out.push_back(std::move(*decoded));
                            return out.size() < limit;
                          }));
  if (problem) return *problem;
  return out;
}

Result<std::optional<std::vector<Leg>>> Ledger::legs(const Hash32& id) const {
  auto loaded = bill(id);
  ONEBILL_TRY(loaded);
  if (!loaded->has_value()) return std::optional<std::vector<Leg>>{};
  return std::optional<std::vector<Leg>>{(*loaded)->legs};
}

Result<std::optional<Control>> Ledger::control(const Hash32& id) const {
  auto loaded = bill(id);
  ONEBILL_TRY(loaded);
  if (!loaded->has_value()) return std::optional<Control>{};
  return std::optional<Control>{control_of(**loaded)};
}

std::string bill_cursor(const Bill& bill) {
  // The index key's suffix (keys.h x/): inverted issued height, then the id.
  return encode_cursor(keys::u64be(UINT64_MAX - bill.issued_height) + keys::raw(bill.id));
}

Result<BillPage> Ledger::bills(BillIndex index, const IndexValue& value, std::string_view after,
                               std::size_t limit) const {
  limit = clamp_limit(limit);
  const std::string value_bytes = std::holds_alternative<Address>(value) ? keys::raw(std::get<Address>(value))
                                                                         : std::get<std::string>(value);
  const std::string prefix = keys::index_value_prefix(bill_index_name(index), value_bytes);
  constexpr std::size_t suffix_size = 8 + 32;  // u64be(inverted issued height) + bill id
  auto cursor = decode_cursor(after, suffix_size);
  ONEBILL_TRY(cursor);
  const std::string from = prefix + *cursor;
  std::vector<Hash32> ids;
  std::string last_suffix;
  bool more = false;
  ONEBILL_TRY(store_.scan(prefix, from, [&](std::string_view key, std::string_view) {
    if (key.size() != prefix.size() + suffix_size) return true;  // not this exact value
    std::string_view suffix = key.substr(prefix.size());
    if (!cursor->empty() && suffix == *cursor) return true;  // the cursor names the last one returned
    if (ids.size() == limit) {
      more = true;
      return false;
    }
    Hash32 id{};
    std::copy(suffix.begin() + 8, suffix.end(), id.begin());
    ids.push_back(id);
    last_suffix = std::string(suffix);
    return true;
  }));
  BillPage page;
  for (const auto& id : ids) {
    auto loaded = bill(id);
    ONEBILL_TRY(loaded);
    if (!loaded->has_value()) return corrupt("index entry (its bill is missing)");
    page.bills.push_back(std::move(**loaded));
  }
  if (more) page.next = encode_cursor(last_suffix);
  return page;
}

Result<std::vector<PartyEvent>> Ledger::events(const Address& party, std::string_view after,
                                               std::size_t limit) const {
  limit = clamp_limit(limit);
  const std::string prefix = keys::party_event_prefix_of(party);
  constexpr std::size_t suffix_size = 8 + 4 + 4;
  auto cursor = decode_cursor(after, suffix_size);
  ONEBILL_TRY(cursor);
  std::vector<std::pair<std::string, std::string>> found;  // (suffix, history key)
  ONEBILL_TRY(store_.scan(prefix, prefix + *cursor, [&](std::string_view key, std::string_view value) {
    std::string_view suffix = key.substr(prefix.size());
    if (!cursor->empty() && suffix == *cursor) return true;
    found.emplace_back(std::string(suffix), std::string(value));
    return found.size() < limit;
  }));
  std::vector<PartyEvent> out;
  for (const auto& [suffix, history_key] : found) {
    auto loaded = get_decoded<HistoryEntry>(store_, history_key, "history entry", history_entry_from_json);
    ONEBILL_TRY(loaded);
    if (!loaded->has_value()) return corrupt("event index entry (its history entry is missing)");
    out.push_back(PartyEvent{encode_cursor(suffix), std::move(**loaded)});
  }
  return out;
}

Result<std::optional<Head>> Ledger::head() const {
  return get_decoded<Head>(store_, keys::head, "head", head_from_json);
}

Result<std::optional<Block>> Ledger::block(std::uint64_t height) const {
  return get_decoded<Block>(store_, keys::block_key(height), "block", block_from_json);
}

Result<std::optional<Commit>> Ledger::commit(std::uint64_t height) const {
  return get_decoded<Commit>(store_, keys::commit_key(height), "commit", commit_from_json);
}

Result<std::optional<TxLocation>> Ledger::tx_location(const Hash32& id) const {
  return get_decoded<TxLocation>(
      store_, keys::tx_key(id), "transaction index entry", [](const Json& json) -> Result<TxLocation> {
        if (!json.is_object() || !json.contains("height") || !json.contains("index") ||
            !json["height"].is_number_unsigned() || !json["index"].is_number_unsigned()) {
          return corrupt("transaction index entry");
        }
        TxLocation location{json["height"].get<std::uint64_t>(), json["index"].get<std::uint32_t>(), {}};
        if (json.contains("from")) {
          if (!json["from"].is_string()) return corrupt("transaction index entry");
          auto sender = Address::parse(json["from"].get_ref<const std::string&>());
          if (!sender) return corrupt("transaction index entry");
          location.sender = *sender;
        }
        return location;
      });
}

Result<std::optional<std::string>> Ledger::genesis_text() const {
  return store_.get(keys::genesis);
}

Result<std::optional<std::vector<Validator>>> Ledger::validator_set(std::uint64_t height) const {
  using Set = std::vector<Validator>;
  return get_decoded<Set>(store_, keys::validator_set_key(height), "validator set",
                          [](const Json& json) -> Result<Set> {
                            if (!json.is_array()) return corrupt("validator set");
                            Set out;
                            for (const auto& item : json) {
                              auto validator = validator_from_json(item);
                              ONEBILL_TRY(validator);
                              out.push_back(std::move(*validator));
                            }
                            return out;
                          });
}

}  // namespace onebill::ledger
