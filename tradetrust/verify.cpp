#include "tradetrust/verify.h"

#include <algorithm>

#include "crypto/hex.h"
#include "tradetrust/did.h"
#include "tradetrust/document.h"
#include "tradetrust/hashing.h"
#include "tradetrust/merkle_tree.h"
#include "tradetrust/registry.h"
#include "tradetrust/salt.h"

namespace onebill::tradetrust {
namespace {

using json::Json;

constexpr const char* hash_fragment = "OpenAttestationHash";
constexpr const char* did_fragment = "OneBillDidSignature";
constexpr const char* status_fragment = "OneBillLedgerStatus";
constexpr const char* identity_fragment = "OneBillIssuerIdentity";

Fragment make(FragmentType type, const char* name, FragmentStatus status,
              std::optional<Json> data = std::nullopt, std::optional<Reason> reason = std::nullopt) {
  return Fragment{type, name, status, std::move(data), std::move(reason)};
}

Fragment skipped(FragmentType type, const char* name, std::string why) {
  return make(type, name, FragmentStatus::skipped, std::nullopt, Reason{ReasonCode::skipped, std::move(why)});
}

Fragment failed(FragmentType type, const char* name, FragmentStatus status, ReasonCode code, std::string why,
                std::optional<Json> data = std::nullopt) {
  return make(type, name, status, std::move(data), Reason{code, std::move(why)});
}

bool ascii_iequal(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

const Json* first_issuer(const Json& unsalted) {
  auto issuers = unsalted.find("issuers");
  if (issuers == unsalted.end() || !issuers->is_array() || issuers->empty() || !(*issuers)[0].is_object())
    return nullptr;
  return &(*issuers)[0];
}

std::string string_at(const Json* object, std::initializer_list<const char*> keys) {
  const Json* node = object;
  for (const char* key : keys) {
    if (node == nullptr || !node->is_object() || !node->contains(key)) return {};
    node = &node->at(key);
  }
  return node != nullptr && node->is_string() ? node->get<std::string>() : std::string{};
}

// What differs between the ledger's record and the document's `onebill` block; empty when nothing.
std::string mismatch(const BillFacts& bill, const OneBillBlock& block, const std::string& ledger_chain) {
  if (block.chain != ledger_chain)
    return "the document names chain " + block.chain + ", this ledger is " + ledger_chain;
  if (block.issuer != bill.issuer)
    return "issuer: ledger " + bill.issuer.to_string() + ", document " + block.issuer.to_string();
  if (block.reference != bill.reference)
    return "reference: ledger " + json::quote(bill.reference) + ", document " + json::quote(block.reference);
  if (block.kind != bill.kind) return "kind: ledger " + bill.kind + ", document " + block.kind;
  if (block.to_order != bill.to_order)
    return std::string("to-order: ledger ") + (bill.to_order ? "true" : "false");
  if (block.legs.size() != bill.legs.size()) {
    return "legs: ledger " + std::to_string(bill.legs.size()) + ", document " +
           std::to_string(block.legs.size());
  }
  for (std::size_t i = 0; i < block.legs.size(); ++i) {
    if (!(block.legs[i] == bill.legs[i])) return "legs[" + std::to_string(i) + "] differ from the ledger's";
  }
  return {};
}

struct Context {
  std::optional<WrappedDocument> document;
  std::optional<Json> unsalted;
  std::optional<OneBillBlock> block;
  std::string block_problem;
};

Fragment integrity_fragment(const Json& input, Context& context, std::optional<Hash32>& computed) {
  auto document = parse_wrapped(input);
  if (!document) {
    return failed(FragmentType::document_integrity, hash_fragment, FragmentStatus::invalid,
                  ReasonCode::document_malformed, document.problem().detail, Json(false));
  }
  context.document = std::move(*document);
  const WrappedDocument& wrapped = *context.document;
  auto target = compute_target_hash(wrapped.data, wrapped.obfuscated);
  if (!target) {
    return failed(FragmentType::document_integrity, hash_fragment, FragmentStatus::invalid,
                  ReasonCode::document_malformed, target.problem().detail, Json(false));
  }
  computed = *target;
  if (*target != wrapped.target_hash) {
    return failed(FragmentType::document_integrity, hash_fragment, FragmentStatus::invalid,
                  ReasonCode::document_tampered,
                  "the data does not hash to signature.targetHash: the document was changed", Json(false));
  }
  if (!check_batch_proof(wrapped.batch_proof, wrapped.merkle_root, wrapped.target_hash)) {
    return failed(FragmentType::document_integrity, hash_fragment, FragmentStatus::invalid,
                  ReasonCode::document_tampered,
                  "signature.targetHash and signature.proof do not lead to signature.merkleRoot",
                  Json(false));
  }
  return make(FragmentType::document_integrity, hash_fragment, FragmentStatus::valid, Json(true));
}

Fragment did_signature_fragment(Context& context) {
  if (!context.document)
    return skipped(FragmentType::document_integrity, did_fragment, "the document could not be read");
  auto unsalted = unsalt_data(context.document->data);
  if (!unsalted) {
    return failed(FragmentType::document_integrity, did_fragment, FragmentStatus::invalid,
                  ReasonCode::document_malformed, unsalted.problem().detail);
  }
  context.unsalted = std::move(*unsalted);
  DidOutcome outcome = check_did_proofs(*context.document, *context.unsalted);
  switch (outcome.check) {
    case DidCheck::not_signed:
      return skipped(FragmentType::document_integrity, did_fragment, outcome.message);
    case DidCheck::valid:
      return make(FragmentType::document_integrity, did_fragment, FragmentStatus::valid, Json(true));
    case DidCheck::invalid:
      break;
  }
  return failed(FragmentType::document_integrity, did_fragment, FragmentStatus::invalid,
                ReasonCode::did_signature_invalid, outcome.message, Json(false));
}

struct LedgerAnswers {
  Result<std::string> chain = invalid("not-asked", "");
  Result<std::optional<BillFacts>> bill = invalid("not-asked", "");
};

Fragment status_fragment_of(Context& context, const LedgerAnswers& answers) {
  constexpr FragmentType type = FragmentType::document_status;
  if (!answers.bill) {
    return failed(type, status_fragment, FragmentStatus::error, ReasonCode::ledger_unreachable,
                  "the ledger could not answer: " + answers.bill.problem().detail);
  }
  const std::optional<BillFacts>& bill = *answers.bill;
  if (!bill) {
    return failed(type, status_fragment, FragmentStatus::invalid, ReasonCode::bill_not_issued,
                  "no bill with this merkleRoot was issued on the ledger");
  }
  Json data = Json{{"status", std::string(to_string(bill->status))}};
  if (bill->status == BillStatus::surrendered) {
    return failed(type, status_fragment, FragmentStatus::invalid, ReasonCode::bill_surrendered,
                  "the bill was surrendered to its issuer", std::move(data));
  }
  if (bill->status == BillStatus::voided) {
    Json replaced = Json::array();
    for (const Hash32& id : bill->replaced_by) replaced.push_back(hex::encode(id));
    data["replaced_by"] = std::move(replaced);
    return failed(type, status_fragment, FragmentStatus::invalid, ReasonCode::bill_voided,
                  bill->replaced_by.empty() ? "the bill was voided" : "the bill was voided and replaced",
                  std::move(data));
  }
  if (!answers.chain) {
    return failed(type, status_fragment, FragmentStatus::error, ReasonCode::ledger_unreachable,
                  "the ledger could not name its chain: " + answers.chain.problem().detail);
  }
  std::string differs;
  if (!context.block) {
    differs = context.block_problem;
  } else {
    differs = mismatch(*bill, *context.block, *answers.chain);
    if (differs.empty()) {
      auto dcsa = check_dcsa_agrees(*context.unsalted, *context.block);
      if (!dcsa) differs = dcsa.problem().detail;
    }
    std::string registry = string_at(first_issuer(*context.unsalted), {"tokenRegistry"});
    auto named = Address::parse(registry);
    if (differs.empty() && (!named || *named != registry_address(*answers.chain))) {
      differs = "issuers[0].tokenRegistry is not this chain's registry " +
                registry_address(*answers.chain).to_string();
    }
  }
  if (!differs.empty()) {
    return failed(type, status_fragment, FragmentStatus::invalid, ReasonCode::ledger_mismatch, differs,
                  std::move(data));
  }
  return make(type, status_fragment, FragmentStatus::valid, std::move(data));
}

Fragment identity_fragment_of(Context& context, const LedgerAnswers& answers, LedgerView& ledger) {
  constexpr FragmentType type = FragmentType::issuer_identity;
  if (!answers.bill) {
    return failed(type, identity_fragment, FragmentStatus::error, ReasonCode::ledger_unreachable,
                  "the ledger could not answer: " + answers.bill.problem().detail);
  }
  std::optional<Address> issuer;
  if (*answers.bill)
    issuer = (*answers.bill)->issuer;
  else if (context.block)
    issuer = context.block->issuer;
  if (!issuer) {
    return failed(type, identity_fragment, FragmentStatus::invalid, ReasonCode::issuer_unknown,
                  "neither the ledger nor the document's onebill block names the issuer");
  }
  auto participant = ledger.participant(*issuer);
  if (!participant) {
    return failed(type, identity_fragment, FragmentStatus::error, ReasonCode::ledger_unreachable,
                  "the ledger could not answer: " + participant.problem().detail);
  }
  if (!*participant) {
    return failed(type, identity_fragment, FragmentStatus::invalid, ReasonCode::issuer_not_admitted,
                  issuer->to_string() + " is not a participant of this consortium");
  }
  const IssuerFacts& facts = **participant;
  Json data = Json{{"address", issuer->to_string()}, {"name", facts.name}, {"domain", facts.domain}};
  if (facts.suspended) data["suspended"] = true;
  if (std::find(facts.roles.begin(), facts.roles.end(), "CARRIER") == facts.roles.end()) {
    return failed(type, identity_fragment, FragmentStatus::invalid, ReasonCode::issuer_not_carrier,
                  issuer->to_string() + " is not a CARRIER", std::move(data));
  }
  const Json* named = first_issuer(*context.unsalted);
  std::string proof_type = string_at(named, {"identityProof", "type"});
  std::string location = string_at(named, {"identityProof", "location"});
  std::string name = string_at(named, {"name"});
  if (proof_type != "DNS-TXT" || !ascii_iequal(location, facts.domain)) {
    return failed(type, identity_fragment, FragmentStatus::invalid, ReasonCode::identity_mismatch,
                  "issuers[0].identityProof is not DNS-TXT at the issuer's registered domain " + facts.domain,
                  std::move(data));
  }
  if (name != facts.name) {
    return failed(
        type, identity_fragment, FragmentStatus::invalid, ReasonCode::identity_mismatch,
        "issuers[0].name " + json::quote(name) + " is not the registered name " + json::quote(facts.name),
        std::move(data));
  }
  return make(type, identity_fragment, FragmentStatus::valid, std::move(data));
}

}  // namespace

std::string_view to_string(BillStatus status) {
  switch (status) {
    case BillStatus::issued:
      return "ISSUED";
    case BillStatus::pending_surrender:
      return "PENDING_SURRENDER";
    case BillStatus::surrendered:
      return "SURRENDERED";
    case BillStatus::voided:
      return "VOIDED";
  }
  return "UNKNOWN";
}

std::string_view to_string(FragmentType type) {
  switch (type) {
    case FragmentType::document_integrity:
      return "DOCUMENT_INTEGRITY";
    case FragmentType::document_status:
      return "DOCUMENT_STATUS";
    case FragmentType::issuer_identity:
      return "ISSUER_IDENTITY";
  }
  return "UNKNOWN";
}

std::string_view to_string(FragmentStatus status) {
  switch (status) {
    case FragmentStatus::valid:
      return "VALID";
    case FragmentStatus::invalid:
      return "INVALID";
    case FragmentStatus::error:
      return "ERROR";
    case FragmentStatus::skipped:
      return "SKIPPED";
  }
  return "UNKNOWN";
}

std::string_view to_string(ReasonCode code) {
  switch (code) {
    case ReasonCode::document_tampered:
      return "DOCUMENT_TAMPERED";
    case ReasonCode::document_malformed:
      return "DOCUMENT_MALFORMED";
    case ReasonCode::skipped:
      return "SKIPPED";
    case ReasonCode::did_signature_invalid:
      return "DID_SIGNATURE_INVALID";
    case ReasonCode::bill_not_issued:
      return "BILL_NOT_ISSUED";
    case ReasonCode::bill_surrendered:
      return "BILL_SURRENDERED";
    case ReasonCode::bill_voided:
      return "BILL_VOIDED";
    case ReasonCode::ledger_mismatch:
      return "LEDGER_MISMATCH";
    case ReasonCode::ledger_unreachable:
      return "LEDGER_UNREACHABLE";
    case ReasonCode::issuer_unknown:
      return "ISSUER_UNKNOWN";
    case ReasonCode::issuer_not_admitted:
      return "ISSUER_NOT_ADMITTED";
    case ReasonCode::issuer_not_carrier:
      return "ISSUER_NOT_CARRIER";
    case ReasonCode::identity_mismatch:
      return "IDENTITY_MISMATCH";
  }
  return "UNKNOWN";
}

Json Fragment::to_json() const {
  Json out = Json{{"type", std::string(tradetrust::to_string(type))},
                  {"name", name},
                  {"status", std::string(tradetrust::to_string(status))}};
  if (data) out["data"] = *data;
  if (reason) {
    out["reason"] = Json{{"code", static_cast<int>(reason->code)},
                         {"codeString", std::string(tradetrust::to_string(reason->code))},
                         {"message", reason->message}};
  }
  return out;
}

bool is_valid(const std::vector<Fragment>& fragments) {
  for (FragmentType type :
       {FragmentType::document_integrity, FragmentType::document_status, FragmentType::issuer_identity}) {
    bool any_valid = false;
    for (const Fragment& fragment : fragments) {
      if (fragment.type != type) continue;
      if (fragment.status == FragmentStatus::valid)
        any_valid = true;
      else if (fragment.status != FragmentStatus::skipped)
        return false;
    }
    if (!any_valid) return false;
  }
  return true;
}

Verdict verdict_of(const std::vector<Fragment>& fragments) {
  auto any = [&](FragmentStatus status) {
    return std::any_of(fragments.begin(), fragments.end(),
                       [&](const Fragment& f) { return f.status == status; });
  };
  if (any(FragmentStatus::invalid)) return Verdict::invalid;
  if (any(FragmentStatus::error)) return Verdict::error;
  if (is_valid(fragments)) return Verdict::valid;
  bool integrity_valid = false;
  bool ledger_skipped = true;
  for (const Fragment& fragment : fragments) {
    if (fragment.type == FragmentType::document_integrity) {
      integrity_valid = integrity_valid || fragment.status == FragmentStatus::valid;
    } else {
      ledger_skipped = ledger_skipped && fragment.status == FragmentStatus::skipped;
    }
  }
  // Anything else (no VALID integrity fragment, or a ledger fragment neither VALID nor SKIPPED) cannot
  // be reached by verify_document; it would be a verifier that could not do its job.
  return integrity_valid && ledger_skipped ? Verdict::intact_offline : Verdict::error;
}

Json Verification::to_json() const {
  Json list = Json::array();
  for (const Fragment& fragment : fragments) list.push_back(fragment.to_json());
  Json out = Json{{"valid", valid}, {"fragments", std::move(list)}};
  out["targetHash"] = target_hash ? Json(bare_hex(*target_hash)) : Json(nullptr);
  out["merkleRoot"] = merkle_root ? Json(bare_hex(*merkle_root)) : Json(nullptr);
  return out;
}

Result<Verification> verification_from_json(const Json& json) {
  const auto malformed = [] { return invalid("wrong-type", "the verification answer is not {valid, fragments, ...}"); };
  if (!json.is_object() || !json.contains("fragments") || !json["fragments"].is_array()) return malformed();
  Verification out;
  out.valid = json.value("valid", false);
  for (const char* field : {"targetHash", "merkleRoot"}) {
    if (!json.contains(field) || !json[field].is_string()) continue;
    auto hash = hex::decode_hash("0x" + json[field].get<std::string>());
    if (!hash) return malformed();
    (std::string_view(field) == "targetHash" ? out.target_hash : out.merkle_root) = *hash;
  }
  for (const Json& item : json["fragments"]) {
    if (!item.is_object() || !item.contains("type") || !item.contains("status") || !item["type"].is_string() ||
        !item["status"].is_string()) {
      return malformed();
    }
    Fragment fragment;
    const std::string type = item["type"].get<std::string>();
    const std::string status = item["status"].get<std::string>();
    bool type_known = false;
    for (FragmentType candidate :
         {FragmentType::document_integrity, FragmentType::document_status, FragmentType::issuer_identity}) {
      if (to_string(candidate) == type) fragment.type = candidate, type_known = true;
    }
    bool status_known = false;
    for (FragmentStatus candidate :
         {FragmentStatus::valid, FragmentStatus::invalid, FragmentStatus::error, FragmentStatus::skipped}) {
      if (to_string(candidate) == status) fragment.status = candidate, status_known = true;
    }
    if (!type_known || !status_known) return malformed();
    fragment.name = item.value("name", std::string());
    if (item.contains("data")) fragment.data = item["data"];
    if (item.contains("reason") && item["reason"].is_object()) {
      const Json& reason = item["reason"];
      const int code = reason.value("code", static_cast<int>(ReasonCode::skipped));
      if (to_string(static_cast<ReasonCode>(code)) == "UNKNOWN") return malformed();
      fragment.reason = Reason{static_cast<ReasonCode>(code), reason.value("message", std::string())};
    }
    out.fragments.push_back(std::move(fragment));
  }
  return out;
}

Verification verify_document(const Json& input, LedgerView* ledger) {
  Verification out;
  Context context;
  out.fragments.push_back(integrity_fragment(input, context, out.target_hash));
  out.fragments.push_back(did_signature_fragment(context));
  if (context.document) out.merkle_root = context.document->merkle_root;
  if (context.unsalted) {
    auto block = read_onebill_block(*context.unsalted);
    if (block)
      context.block = std::move(*block);
    else
      context.block_problem = block.problem().detail;
  }

  if (ledger == nullptr) {
    out.fragments.push_back(
        skipped(FragmentType::document_status, status_fragment, "offline: the ledger was not asked"));
    out.fragments.push_back(
        skipped(FragmentType::issuer_identity, identity_fragment, "offline: the ledger was not asked"));
  } else if (!context.document || !context.unsalted) {
    out.fragments.push_back(
        skipped(FragmentType::document_status, status_fragment, "the document could not be read"));
    out.fragments.push_back(
        skipped(FragmentType::issuer_identity, identity_fragment, "the document could not be read"));
  } else {
    LedgerAnswers answers;
    answers.bill = ledger->bill(context.document->merkle_root);
    answers.chain = ledger->chain();
    out.fragments.push_back(status_fragment_of(context, answers));
    out.fragments.push_back(identity_fragment_of(context, answers, *ledger));
  }
  out.valid = is_valid(out.fragments);
  ONEBILL_ASSERT(out.fragments.size() == 4);
  ONEBILL_ASSERT(!out.valid || verdict_of(out.fragments) == Verdict::valid);
  return out;
}

}  // namespace onebill::tradetrust
