// Decoded bills and participants are kept by their stored text (ledger/decoded_bills.h, Ledger::participant):
// a read answers exactly what decoding the text answers, and a new text is decoded anew.
#include <doctest/doctest.h>

#include "crypto/json.h"
#include "ledger/decoded_bills.h"
#include "ledger/execution.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/memory_store.h"
#include "tests/unit/ledger/fixture.h"

namespace ledger = onebill::ledger;
using onebill::Address;
using onebill::Hash32;
using onebill::json::Json;

namespace {

Address address_of(std::uint8_t last) {
  Address address;
  address.bytes[19] = last;
  return address;
}

// A bill with every optional member set, so that a member the cache lost would show.
ledger::Bill full_bill() {
  ledger::Bill bill;
  bill.id[0] = 0xab;
  bill.reference = "REF-\u00e9-1";
  bill.issuer = address_of(1);
  bill.to_order = true;
  bill.first_holder = address_of(2);
  bill.holder = address_of(3);
  bill.beneficiary = std::nullopt;
  bill.nominee = address_of(4);
  bill.prev_holder = address_of(5);
  bill.prev_beneficiary = std::optional<Address>{};
  bill.status = ledger::BillStatus::pending_surrender;
  bill.pending =
      ledger::Surrender{ledger::SurrenderPurpose::amendment, ledger::SurrenderReason::cod, address_of(3), 7};
  bill.pledge = ledger::Pledge{address_of(6), address_of(3), "LOAN-1"};
  ledger::Leg leg{ledger::LegMode::rail, address_of(1), "CNCKG", "CNQZH", {}};
  leg.events.push_back(ledger::LegEvent{ledger::LegEventType::received, "CNCKG", "2026-11-27T10:00:00.000Z",
                                        "X 1", "a remark", Hash32{}, address_of(1), 3, 1'700'000'000'000,
                                        true});
  bill.legs.push_back(leg);
  bill.replaces.push_back(Hash32{});
  bill.replaced_by.push_back(Hash32{});
  bill.issued_height = 2;
  bill.changed_height = 9;
  bill.history_length = 4;
  return bill;
}

}  // namespace

TEST_CASE("a bill read again from its stored text is what decoding that text gives") {
  const ledger::Bill bill = full_bill();
  const std::string text = onebill::json::canonical(ledger::to_json(bill));
  ledger::internal::remember_decoded_bill(text, std::make_shared<const ledger::Bill>(bill));
  ledger::MemoryStore store;
  ledger::WriteBatch batch;
  batch.put(ledger::keys::bill_key(bill.id), text);
  REQUIRE(store.write(batch, true).ok());
  auto decoded = ledger::bill_from_json(*onebill::json::read(text));
  REQUIRE(decoded.ok());
  for (int read = 0; read < 2; ++read) {
    auto loaded = ledger::Ledger(store).bill(bill.id);
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    CHECK(onebill::json::canonical(ledger::to_json(**loaded)) == text);
    CHECK(ledger::to_json(**loaded) == ledger::to_json(*decoded));
  }
}

TEST_CASE("a participant whose stored record changed is read as changed") {
  ledger::MemoryStore store;
  ledger::Participant participant{address_of(9), "Carrier", {ledger::Role::carrier}, "carrier.example", {},
                                  false,         0};
  for (const bool suspended : {false, true, false}) {
    participant.suspended = suspended;
    ledger::WriteBatch batch;
    batch.put(ledger::keys::participant_key(participant.address),
              onebill::json::canonical(ledger::to_json(participant)));
    REQUIRE(store.write(batch, true).ok());
    auto loaded = ledger::Ledger(store).participant(participant.address);
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->suspended == suspended);
    CHECK((*loaded)->name == "Carrier");
  }
}

TEST_CASE("a bill's stored text written without a DOM is its canonical JSON") {
  ledger::Bill full = full_bill();
  CHECK(ledger::bill_jcs(full) == onebill::json::canonical(ledger::to_json(full)));
  // Every optional member absent, two legs, events with and without their optional members.
  ledger::Bill plain;
  plain.reference = "R\"\\\n\u0001";
  plain.beneficiary = address_of(7);
  plain.legs.push_back(full.legs[0]);
  plain.legs.push_back(ledger::Leg{ledger::LegMode::sea, address_of(8), "CNQZH", "SGSIN", {}});
  plain.legs[0].events.push_back(ledger::LegEvent{});
  plain.legs[1].events.push_back(ledger::LegEvent{});
  plain.changed_height = (std::uint64_t{1} << 53) + 1;
  CHECK(ledger::bill_jcs(plain) == onebill::json::canonical(ledger::to_json(plain)));
  // The other states of the optional members.
  full.prev_beneficiary = std::optional<Address>(address_of(9));
  full.pending->reason = std::nullopt;
  full.beneficiary = address_of(3);
  full.legs.clear();
  CHECK(ledger::bill_jcs(full) == onebill::json::canonical(ledger::to_json(full)));
}

TEST_CASE("a history entry's stored text written without a DOM is its canonical JSON") {
  ledger::HistoryEntry full;
  full.bill[0] = 0xcd;
  full.seq = 12;
  full.action = "bill.transfer_owners";
  full.dcsa = "ENDORSE_TO_ORDER";
  full.tx[31] = 0x01;
  full.signer = address_of(3);
  full.recipient = address_of(4);
  full.height = 77;
  full.time_ms = 1'700'000'000'123;
  full.remark = "r\u00e9mark \"quoted\"\n\u0001";
  full.details = Json{{"leg", 2}, {"event", "ARRIVED"}, {"z", Json::array({1, "\u00e9"})}, {"a", nullptr}};
  CHECK(ledger::history_entry_jcs(full) == onebill::json::canonical(ledger::to_json(full)));
  // Every optional member absent; a large height.
  ledger::HistoryEntry plain;
  plain.action = "leg.record";
  plain.height = (std::uint64_t{1} << 53) + 1;
  CHECK(ledger::history_entry_jcs(plain) == onebill::json::canonical(ledger::to_json(plain)));
  // Details alone, and an empty details object.
  plain.details = Json::object();
  CHECK(ledger::history_entry_jcs(plain) == onebill::json::canonical(ledger::to_json(plain)));
  full.dcsa.reset();
  full.recipient.reset();
  CHECK(ledger::history_entry_jcs(full) == onebill::json::canonical(ledger::to_json(full)));
}

namespace {
// A block's overlay holding full_bill() decoded, and a transaction's overlay over it.
struct HeldBill {
  const ledger::Bill bill = full_bill();
  const std::string key = ledger::keys::bill_key(bill.id);
  ledger::MemoryStore store;
  ledger::Overlay overlay{store};
  ledger::Overlay child{overlay};
  HeldBill() { overlay.put_bill(key, std::make_shared<const ledger::Bill>(bill)); }
};
}  // namespace

TEST_CASE_FIXTURE(
    HeldBill, "a bill an overlay holds decoded reads back as itself, and its text is its canonical JSON") {
  REQUIRE(child.held_bill(key) != nullptr);
  auto loaded = ledger::Ledger(child).bill(bill.id);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  const std::string text = onebill::json::canonical(ledger::to_json(bill));
  CHECK(ledger::bill_jcs(**loaded) == text);
  // The text, when asked for, is the bill's stored text: get, scan, and the writes handed over.
  CHECK(*child.get(key).value() == text);
  std::string scanned;
  REQUIRE(child
              .scan(key, {},
                    [&](std::string_view, std::string_view value) {
                      scanned = value;
                      return true;
                    })
              .ok());
  CHECK(scanned == text);
  CHECK(*overlay.writes().at(key) == text);
  CHECK(*overlay.take_writes().at(key) == text);
}

TEST_CASE_FIXTURE(HeldBill, "a text or a delete in an overlay hides a bill held decoded below it") {
  ledger::Bill changed = bill;
  changed.reference = "REF-2";
  child.put(key, ledger::bill_jcs(changed));
  CHECK(child.held_bill(key) == nullptr);
  CHECK(ledger::Ledger(child).bill(bill.id).value()->reference == "REF-2");
  child.erase(key);
  CHECK(child.held_bill(key) == nullptr);
  CHECK_FALSE(ledger::Ledger(child).bill(bill.id).value().has_value());
}
