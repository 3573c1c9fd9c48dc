#include "api/document_verification.h"

#include "ledger/ledger.h"

namespace onebill::api {
namespace {

tradetrust::BillStatus status_of(ledger::BillStatus status) {
  switch (status) {
    case ledger::BillStatus::issued: return tradetrust::BillStatus::issued;
    case ledger::BillStatus::pending_surrender: return tradetrust::BillStatus::pending_surrender;
    case ledger::BillStatus::surrendered: return tradetrust::BillStatus::surrendered;
    case ledger::BillStatus::voided: return tradetrust::BillStatus::voided;
  }
  ONEBILL_ASSERT(false);
}

}  // namespace

Result<std::string> NodeLedgerView::chain() { return node_.genesis().chain; }

Result<std::optional<tradetrust::BillFacts>> NodeLedgerView::bill(const Hash32& id) {
  auto found = node_.read([&](const ledger::Store& store, const ledger::Head&) { return ledger::Ledger(store).bill(id); });
  if (!found) return found.problem();
  if (!found->has_value()) return std::optional<tradetrust::BillFacts>{};
  const ledger::Bill& bill = **found;
  tradetrust::BillFacts facts;
  facts.issuer = bill.issuer;
  facts.reference = bill.reference;
  facts.kind = std::string(ledger::name(bill.kind));
  facts.to_order = bill.to_order;
  for (const ledger::Leg& leg : bill.legs) {
    facts.legs.push_back(tradetrust::Leg{std::string(ledger::name(leg.mode)), leg.carrier, leg.from, leg.to});
  }
  facts.status = status_of(bill.status);
  facts.replaced_by = bill.replaced_by;
  return std::optional<tradetrust::BillFacts>{std::move(facts)};
}

Result<std::optional<tradetrust::IssuerFacts>> NodeLedgerView::participant(const Address& address) {
  auto found = node_.read(
      [&](const ledger::Store& store, const ledger::Head&) { return ledger::Ledger(store).participant(address); });
  if (!found) return found.problem();
  if (!found->has_value()) return std::optional<tradetrust::IssuerFacts>{};
  const ledger::Participant& participant = **found;
  tradetrust::IssuerFacts facts;
  facts.name = participant.name;
  facts.domain = participant.domain;
  for (ledger::Role role : participant.roles) facts.roles.emplace_back(ledger::role_name(role));
  facts.suspended = participant.suspended;
  return std::optional<tradetrust::IssuerFacts>{std::move(facts)};
}

Result<json::Json> verify_document_on_node(const node::Node& node, std::string_view document_text) {
  auto document = json::read(document_text);  // size, depth and duplicate keys refused here
  if (!document) return document.problem();
  NodeLedgerView view(node);
  return tradetrust::verify_document(*document, &view).to_json();
}

}  // namespace onebill::api
