// Verification of presented documents against this node's ledger (DESIGN §6): the LedgerView that
// tradetrust/ asks for DOCUMENT_STATUS and ISSUER_IDENTITY, answered from the committed state. api/ is
// where the two meet, since tradetrust/ does not know the ledger (DESIGN §1).
#pragma once

#include "crypto/json.h"
#include "node/node.h"
#include "tradetrust/verify.h"

namespace onebill::api {

class NodeLedgerView final : public tradetrust::LedgerView {
 public:
  explicit NodeLedgerView(const node::Node& node) : node_(node) {}
  Result<std::string> chain() override;
  Result<std::optional<tradetrust::BillFacts>> bill(const Hash32& id) override;
  Result<std::optional<tradetrust::IssuerFacts>> participant(const Address& address) override;

 private:
  const node::Node& node_;
};

// POST /v1/documents/verify: the body is the wrapped document; the answer is tradetrust's
// Verification JSON {valid, targetHash, merkleRoot, fragments}.
Result<json::Json> verify_document_on_node(const node::Node& node, std::string_view document_text);

}  // namespace onebill::api
