#include "ledger/keys.h"

#include "crypto/assert.h"

namespace onebill::ledger::keys {

std::string u64be(std::uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

std::string u32be(std::uint32_t value) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

std::uint64_t read_u64be(std::string_view eight_bytes) {
  ONEBILL_ASSERT(eight_bytes.size() == 8);
  std::uint64_t value = 0;
  for (char c : eight_bytes) value = (value << 8) | static_cast<std::uint8_t>(c);
  return value;
}

std::uint32_t read_u32be(std::string_view four_bytes) {
  ONEBILL_ASSERT(four_bytes.size() == 4);
  std::uint32_t value = 0;
  for (char c : four_bytes) value = (value << 8) | static_cast<std::uint8_t>(c);
  return value;
}

std::string raw(const Address& address) {
  return std::string(reinterpret_cast<const char*>(address.bytes.data()), address.bytes.size());
}
std::string raw(const Hash32& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

std::string participant_key(const Address& address) {
  return std::string(participant_prefix) + raw(address);
}

std::string domain_key(std::string_view domain) {
  std::string key(domain_prefix);
  for (char c : domain) key.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  return key;
}

std::string account_key(const Address& address) {
  return std::string(account_prefix) + raw(address);
}
std::string validator_key(const Address& address) {
  return std::string(validator_prefix) + raw(address);
}
std::string bill_key(const Hash32& id) {
  return std::string(bill_prefix) + raw(id);
}
std::string history_prefix_of(const Hash32& bill) {
  return std::string(history_prefix) + raw(bill);
}
std::string history_key(const Hash32& bill, std::uint32_t seq) {
  return history_prefix_of(bill) + u32be(seq);
}

std::string reference_key(const Address& issuer, std::string_view reference) {
  return std::string(reference_prefix) + raw(issuer) + std::string(reference);
}

std::string proposal_key(const Hash32& id) {
  return std::string(proposal_prefix) + raw(id);
}

std::string index_value_prefix(std::string_view index_name, std::string_view value_bytes) {
  std::string key(index_prefix);
  key += index_name;
  key += '/';
  key += value_bytes;
  key += '\0';
  return key;
}

std::string index_key(std::string_view index_name, std::string_view value_bytes, std::uint64_t issued_height,
                      const Hash32& bill) {
  // Inverted height: a forward scan lists the newest issue first.
  return index_value_prefix(index_name, value_bytes) + u64be(UINT64_MAX - issued_height) + raw(bill);
}

std::string party_event_prefix_of(const Address& party) {
  return std::string(party_event_prefix) + raw(party);
}

std::string party_event_key(const Address& party, std::uint64_t height, std::uint32_t tx_index,
                            std::uint32_t n) {
  return party_event_prefix_of(party) + u64be(height) + u32be(tx_index) + u32be(n);
}

std::string block_key(std::uint64_t height) {
  return std::string(block_prefix) + u64be(height);
}
std::string commit_key(std::uint64_t height) {
  return std::string(commit_prefix) + u64be(height);
}
std::string tx_key(const Hash32& id) {
  return std::string(tx_prefix) + raw(id);
}
std::string validator_set_key(std::uint64_t height) {
  return std::string(validator_set_prefix) + u64be(height);
}

bool is_state_key(std::string_view key) {
  return !key.empty() && key[0] >= 'a' && key[0] <= 'z';
}

}  // namespace onebill::ledger::keys
