#include "api/http_problem.h"

#include <array>
#include <optional>
#include <vector>

#include <httplib.h>

namespace onebill::api {
namespace {

struct RuleStatus {
  std::string_view rule;
  int status;
  std::string_view meaning;
  std::string_view said_by = "node";  // "node" (an HTTP answer), "cli" (the command line), "peer"
};

// DESIGN §7, Errors. The one place that maps a rule to its status.
// std::to_array counts the entries: adding a rule is adding a line.
constexpr auto rule_statuses = std::to_array<RuleStatus>({
    {"malformed-json", 400, "The body is not one well-formed JSON value in UTF-8."},
    {"duplicate-key", 400, "An object repeats a key (compared after unescaping)."},
    {"unknown-field", 400, "An object has a member its schema does not define."},
    {"wrong-type", 400, "A value has the wrong JSON type or form (address, hash, enum)."},
    {"non-canonical-number", 400, "An integer is not 0 or [1-9][0-9]* below 2^53."},
    {"address-checksum", 400, "A mixed-case address fails its EIP-55 checksum."},
    {"signature-encoding", 400, "sig is not 0x + 130 lowercase hex, r || s || v, low-s, v 27 or 28."},
    {"wrong-chain", 400, "The transaction names another chain."},
    {"invalid-body", 400, "The body breaks its transaction type's schema."},
    {"too-deep", 400, "The JSON nests deeper than 64 levels."},
    {"bad-request", 400, "The request itself is malformed (query, path or headers)."},
    {"unauthorized", 401, "The read needs a valid OneBill read authorization."},
    {"not-permitted", 403, "Wrong signer, role, or a suspended participant; the detail names the rule."},
    {"not-found", 404, "No such resource."},
    {"method-not-allowed", 405, "The route does not take this method."},
    {"nonce-used", 409, "The sender already used this nonce."},
    {"nonce-gap", 409, "The nonce skips one: earlier nonces of the sender are missing."},
    {"bill-status", 409, "The bill's status does not allow the action."},
    {"bill-kind", 409, "The bill's kind (BOL/SWB, to order or straight) does not allow the action."},
    {"not-entitled", 409, "The holder is not entitled (pledged, or not the beneficiary)."},
    {"bill-pledged", 409, "The bill is pledged."},
    {"bill-not-pledged", 409, "The bill is not pledged."},
    {"same-party", 409, "The recipient is already in that role."},
    {"id-used", 409, "A bill with this id exists."},
    {"reference-used", 409, "The issuer already has a live bill with this reference."},
    {"recipient-not-admitted", 409,
     "The recipient is not an admitted, active participant in the needed role."},
    {"leg-order", 409, "Legs are not chained, or a leg event is out of order."},
    {"leg-place", 409, "A leg event is recorded at the wrong place."},
    {"not-surrendered", 409, "Delivery needs the bill surrendered for DELIVERY first."},
    {"not-replaceable", 409, "The bill cannot be replaced by a reissue."},
    {"already-replaced", 409, "The bill has already been replaced."},
    {"unknown-bill", 409, "No bill with this id."},
    {"unknown-proposal", 409, "No open proposal with this id."},
    {"proposal-expired", 409, "The proposal expired."},
    {"already-approved", 409, "The signer already approved the proposal."},
    {"last-admin", 409, "The action would leave no active ADMIN."},
    {"domain-used", 409, "Another participant has registered this domain."},
    {"expired", 409, "The transaction's expires_ms is before the block time."},
    {"evicted", 409, "The transaction stopped applying while it waited in the mempool."},
    {"too-large", 413, "The payload exceeds its limit."},
    {"unsupported-media-type", 415, "POST bodies must be application/json."},
    {"signer-mismatch", 422, "The signature does not recover the address in from."},
    {"sender-pending-limit", 429, "The sender has 64 transactions pending; wait for some to commit."},
    {"mempool-full", 503, "The mempool is full; retry later."},
    {"not-synced", 503, "The node is catching up."},
    {"busy", 503, "The server is at capacity; retry later."},
    {"storage", 500, "The node's storage failed."},
    {"internal", 500, "The node failed to answer."},
    {"config", 500, "The node's configuration is wrong."},
    // Said by a node to a peer whose block or commit does not verify; never an HTTP answer.
    {"invalid-block", 400, "A block does not verify (header, roots, transactions or its proposer).", "peer"},
    {"invalid-commit", 400, "A commit does not verify (signatures or voting power).", "peer"},
    {"peer", 400, "A peer broke the link protocol (handshake, framing or authentication).", "peer"},
    {"timeout", 400, "A peer sent nothing in time.", "peer"},
    {"crypto", 500, "A cryptographic primitive of the node failed.", "peer"},
    // Said by the command line before or after talking to a node; the status is what it stands for.
    {"invalid-argument", 400, "A command-line option is missing or malformed; see the command's --help.",
     "cli"},
    {"invalid-url", 400, "--node (or ONEBILL_NODE) must look like http://127.0.0.1:18080.", "cli"},
    {"invalid-document", 400, "The document's hashes do not hold, or it is not a OneBill bill of this chain.",
     "cli"},
    {"invalid-key", 400, "The private key is not a valid secp256k1 key.", "cli"},
    {"unknown-party", 400, "A party is neither an address (0x + 40 hex) nor a key name in the home's keys/.",
     "cli"},
    {"no-key", 400, "The command signs: pass --key FILE, --as NAME (with --home), or set ONEBILL_KEY.",
     "cli"},
    {"no-home", 400, "--as NAME needs the consortium home: pass --home DIR or set ONEBILL_HOME.", "cli"},
    {"no-passphrase", 400, "The key file is encrypted: pass --passphrase-file or set ONEBILL_PASSPHRASE.",
     "cli"},
    {"wrong-passphrase", 400, "The passphrase does not decrypt the key file.", "cli"},
    {"bench", 500, "onebill bench could not start or wait for its nodes, or sign its workload.", "cli"},
    {"not-measured", 503,
     "onebill bench could not take this figure (e.g. node or the reference npm modules are missing); it "
     "reports null rather than a guess.",
     "cli"},
    {"malformed-key-file", 400, "The key file is not Web3 Secret Storage v3 nor OneBill's plaintext form.",
     "cli"},
    {"key-address-mismatch", 400, "The key file's address is not its key's address; it is refused.", "cli"},
    {"key-file-permissions", 400, "The key file is readable by others (chmod 600 it).", "cli"},
    {"key-file-exists", 409, "Key files are never overwritten; choose another path.", "cli"},
    {"home-exists", 409, "onebill init never overwrites a home; choose another --dir.", "cli"},
    {"key-file-io", 500, "The key file could not be read or written.", "cli"},
    {"node-unreachable", 503, "The node does not answer at --node; is it running?", "cli"},
    {"bad-answer", 502, "The node answered something that is not JSON.", "cli"},
});

const RuleStatus* find_rule(std::string_view rule) {
  for (const auto& entry : rule_statuses) {
    if (entry.rule == rule) return &entry;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string_view> problem_rules() {
  std::vector<std::string_view> out;
  for (const auto& entry : rule_statuses) out.push_back(entry.rule);
  return out;
}

int http_status_of(const Problem& problem) {
  if (const RuleStatus* entry = find_rule(problem.rule)) return entry->status;
  return problem.kind == ProblemKind::local_fault ? 500 : 400;
}

json::Json problem_json(const Problem& problem, int status, const json::Json& extra) {
  json::Json body = json::Json::object();
  body["type"] = "/v1/problems/" + problem.rule;
  body["title"] = problem.rule;
  body["status"] = status;
  body["detail"] = problem.detail;
  body["rule"] = problem.rule;
  if (extra.is_object()) {
    for (const auto& [key, value] : extra.items()) body[key] = value;
  }
  return body;
}

void answer_problem(httplib::Response& response, const Problem& problem, int status,
                    const json::Json& extra) {
  const int effective = status != 0 ? status : http_status_of(problem);
  response.status = effective;
  response.set_content(dump_json(problem_json(problem, effective, extra)), std::string(problem_media_type));
}

std::string dump_json(const json::Json& value) {
  return value.dump(-1, ' ', false, json::Json::error_handler_t::replace);
}

std::optional<json::Json> problem_description(std::string_view rule) {
  const RuleStatus* entry = find_rule(rule);
  if (entry == nullptr) return std::nullopt;
  return json::Json{{"type", "/v1/problems/" + std::string(rule)},
                    {"title", std::string(rule)},
                    {"status", entry->status},
                    {"description", std::string(entry->meaning)},
                    {"said_by", std::string(entry->said_by)}};
}

}  // namespace onebill::api
