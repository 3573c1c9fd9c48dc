#include "tradetrust/did.h"

#include "crypto/eip191.h"
#include "tradetrust/hashing.h"

namespace onebill::tradetrust {
namespace {

using json::Json;

constexpr std::string_view did_ethr_prefix = "did:ethr:";
constexpr std::string_view signature_2018 = "OpenAttestationSignature2018";

struct DidIssuer {
  std::size_t index = 0;
  std::string key;  // identityProof.key
};

std::vector<DidIssuer> did_issuers(const Json& unsalted_data) {
  std::vector<DidIssuer> found;
  auto issuers = unsalted_data.find("issuers");
  if (issuers == unsalted_data.end() || !issuers->is_array()) return found;
  for (std::size_t i = 0; i < issuers->size(); ++i) {
    const Json& issuer = (*issuers)[i];
    if (!issuer.is_object() || !issuer.contains("identityProof")) continue;
    const Json& identity = issuer.at("identityProof");
    if (!identity.is_object() || !identity.contains("type") || !identity.at("type").is_string()) continue;
    const std::string& type = identity.at("type").get_ref<const std::string&>();
    if (type != "DID" && type != "DNS-DID") continue;
    DidIssuer did{i, ""};
    if (identity.contains("key") && identity.at("key").is_string())
      did.key = identity.at("key").get<std::string>();
    found.push_back(std::move(did));
  }
  return found;
}

// Empty when the proof signs merkleRoot with its verificationMethod's key; else what is wrong.
std::string check_one_proof(const DidProof& proof, const Hash32& merkle_root, std::size_t index) {
  std::string where = "proof[" + std::to_string(index) + "]";
  if (proof.type != signature_2018) return where + ".type is not OpenAttestationSignature2018";
  auto expected = parse_did_ethr(proof.verification_method);
  if (!expected) return where + ": " + expected.problem().detail;
  auto signature = parse_signature(proof.signature);
  if (!signature) return where + ".signature: " + signature.problem().detail;
  auto signer = eip191::recover(ByteView(merkle_root.data(), merkle_root.size()), *signature);
  if (!signer) return where + ".signature recovers no key: " + signer.problem().detail;
  if (*signer != *expected) {
    return where + ".signature was made by " + signer->to_string() + ", not by " + expected->to_string();
  }
  return {};
}

}  // namespace

Result<Address> parse_did_ethr(std::string_view did) {
  if (did.substr(0, did_ethr_prefix.size()) != did_ethr_prefix) {
    return invalid("invalid-body",
                   "only did:ethr identifiers are supported, not " + json::quote(std::string(did)));
  }
  std::string_view rest = did.substr(did_ethr_prefix.size());
  if (auto hash = rest.find('#'); hash != std::string_view::npos) {
    if (rest.substr(hash) != "#controller") {
      return invalid("invalid-body", "only the #controller key of a did:ethr can be checked offline");
    }
    rest = rest.substr(0, hash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos)
    rest = rest.substr(colon + 1);  // network
  return Address::parse(rest);
}

DidOutcome check_did_proofs(const WrappedDocument& document, const Json& unsalted_data) {
  std::vector<DidIssuer> issuers = did_issuers(unsalted_data);
  const std::vector<DidProof>& proofs = document.did_proofs;
  if (proofs.empty() && issuers.empty()) return {DidCheck::not_signed, "the document carries no DID proof"};
  if (proofs.empty()) {
    return {DidCheck::invalid, "issuers[" + std::to_string(issuers.front().index) +
                                   "] has a DID identity but the document carries no proof[] signature"};
  }
  for (std::size_t i = 0; i < proofs.size(); ++i) {
    std::string broken = check_one_proof(proofs[i], document.merkle_root, i);
    if (!broken.empty()) return {DidCheck::invalid, broken};
  }
  if (issuers.empty()) {
    return {DidCheck::invalid, "proof[] is present but no issuer has a DID identityProof naming its key"};
  }
  for (const DidIssuer& issuer : issuers) {
    bool covered = false;
    for (const DidProof& proof : proofs) covered = covered || proof.verification_method == issuer.key;
    if (!covered) {
      return {DidCheck::invalid, "no proof[] entry is signed by issuers[" + std::to_string(issuer.index) +
                                     "]'s key " + json::quote(issuer.key)};
    }
  }
  return {DidCheck::valid, "every proof[] signature recovers its issuer's did:ethr address"};
}

Json make_did_proof(const Hash32& merkle_root, const PrivateKey& key, std::string_view created) {
  Signature signature = eip191::sign(key, ByteView(merkle_root.data(), merkle_root.size()));
  return Json{{"type", std::string(signature_2018)},
              {"created", std::string(created)},
              {"proofPurpose", "assertionMethod"},
              {"verificationMethod", "did:ethr:" + key.address().to_string() + "#controller"},
              {"signature", signature_to_string(signature)}};
}

}  // namespace onebill::tradetrust
