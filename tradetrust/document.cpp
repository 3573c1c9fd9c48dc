#include "tradetrust/document.h"

#include "tradetrust/hashing.h"

namespace onebill::tradetrust {
namespace {

using json::Json;

Result<Hash32> read_hash(const Json& value, const std::string& where) {
  if (!value.is_string()) return invalid("wrong-type", where + " is not a string of 64 hex digits");
  auto hash = parse_bare_hex(value.get_ref<const std::string&>());
  if (!hash) return invalid("invalid-body", where + " is not 64 hex digits (without 0x)");
  return *hash;
}

Result<std::vector<Hash32>> read_hash_list(const Json& value, const std::string& where) {
  if (!value.is_array()) return invalid("wrong-type", where + " is not an array");
  std::vector<Hash32> hashes;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto hash = read_hash(value[i], where + "[" + std::to_string(i) + "]");
    if (!hash) return hash.problem();
    hashes.push_back(*hash);
  }
  return hashes;
}

Result<std::string> read_string(const Json& object, const char* key, const std::string& where) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_string()) {
    return invalid("wrong-type", where + "." + key + " is missing or not a string");
  }
  return found->get<std::string>();
}

}  // namespace

Result<WrappedDocument> parse_wrapped(const Json& document) {
  if (!document.is_object()) return invalid("wrong-type", "the document is not a JSON object");
  WrappedDocument out;
  out.document = document;
  if (auto version = document.find("version"); version != document.end()) {
    if (!version->is_string()) return invalid("wrong-type", "version is not a string");
    if (version->get_ref<const std::string&>().find("3.0") != std::string::npos) {
      return invalid("invalid-body",
                     "this is an OpenAttestation v3 document; OneBill reads v2 documents only");
    }
  }
  if (document.contains("@context") || document.contains("credentialSubject")) {
    return invalid("invalid-body",
                   "this is a W3C verifiable credential; OneBill reads OpenAttestation v2 only");
  }
  auto data = document.find("data");
  if (data == document.end() || !data->is_object()) {
    return invalid("invalid-body",
                   "data is missing or not an object; is this a wrapped OpenAttestation v2 document?");
  }
  out.data = *data;

  auto signature = document.find("signature");
  if (signature == document.end() || !signature->is_object()) {
    return invalid("invalid-body", "signature is missing; the document is not wrapped");
  }
  auto type = read_string(*signature, "type", "signature");
  if (!type) return type.problem();
  if (*type != merkle_proof_type) {
    return invalid("invalid-body", "signature.type is " + json::quote(*type) + ", not SHA3MerkleProof");
  }
  for (const char* key : {"targetHash", "merkleRoot", "proof"}) {
    if (!signature->contains(key))
      return invalid("invalid-body", std::string("signature.") + key + " is missing");
  }
  auto target = read_hash(signature->at("targetHash"), "signature.targetHash");
  if (!target) return target.problem();
  out.target_hash = *target;
  auto root = read_hash(signature->at("merkleRoot"), "signature.merkleRoot");
  if (!root) return root.problem();
  out.merkle_root = *root;
  auto proof = read_hash_list(signature->at("proof"), "signature.proof");
  if (!proof) return proof.problem();
  out.batch_proof = std::move(*proof);

  if (auto privacy = document.find("privacy"); privacy != document.end()) {
    if (!privacy->is_object()) return invalid("wrong-type", "privacy is not an object");
    if (auto hidden = privacy->find("obfuscatedData"); hidden != privacy->end()) {
      auto hashes = read_hash_list(*hidden, "privacy.obfuscatedData");
      if (!hashes) return hashes.problem();
      out.obfuscated = std::move(*hashes);
    }
  }

  if (auto proofs = document.find("proof"); proofs != document.end()) {
    if (!proofs->is_array()) return invalid("wrong-type", "proof is not an array");
    for (std::size_t i = 0; i < proofs->size(); ++i) {
      const Json& entry = (*proofs)[i];
      std::string where = "proof[" + std::to_string(i) + "]";
      if (!entry.is_object()) return invalid("wrong-type", where + " is not an object");
      DidProof did;
      auto proof_type = read_string(entry, "type", where);
      if (!proof_type) return proof_type.problem();
      auto method = read_string(entry, "verificationMethod", where);
      if (!method) return method.problem();
      auto signature_text = read_string(entry, "signature", where);
      if (!signature_text) return signature_text.problem();
      did.type = std::move(*proof_type);
      did.verification_method = std::move(*method);
      did.signature = std::move(*signature_text);
      out.did_proofs.push_back(std::move(did));
    }
  }
  return out;
}

Result<WrappedDocument> read_wrapped(std::string_view text) {
  auto document = json::read(text);
  if (!document) return document.problem();
  return parse_wrapped(*document);
}

}  // namespace onebill::tradetrust
