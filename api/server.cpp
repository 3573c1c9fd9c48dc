#include "api/server.h"

#include "api/document_verification.h"

#include <charconv>
#include <optional>

#include <httplib.h>

#include "api/http_problem.h"
#include "api/read_auth.h"
#include "crypto/hex.h"
#include "crypto/limits.h"
#include "ledger/ledger.h"
#include "tradetrust/registry.h"

namespace onebill::api {
namespace {

using httplib::Request;
using httplib::Response;
using json::Json;

void answer_json(Response& response, int status, const Json& body) {
  response.status = status;
  response.set_content(dump_json(body), "application/json");
}

bool is_loopback(const Request& request) {
  return request.remote_addr == "127.0.0.1" || request.remote_addr == "::1" ||
         request.remote_addr == "::ffff:127.0.0.1";
}

std::int64_t unix_ms() {
  return static_cast<std::int64_t>(node::Node::now_ms());
}

// Who reads: nullopt for the node operator (loopback reads everything), else the signer of a valid
// read authorization (DESIGN §7); a missing or bad one is a 401 problem.
Result<std::optional<Address>> reader_of(const Request& request) {
  if (is_loopback(request)) return std::optional<Address>();
  const std::string header = request.get_header_value("Authorization");
  if (header.empty()) return invalid("unauthorized", "This read needs an Authorization: OneBill header.");
  auto address = check_read_authorization(header, request.method, request.target, unix_ms());
  ONEBILL_TRY(address);
  return std::optional<Address>(*address);
}

// A decimal query parameter without sign or leading zeros; nullopt when absent. "bad-request" otherwise.
Result<std::optional<std::uint64_t>> decimal_param(const Request& request, const char* name,
                                                   std::uint64_t max) {
  if (!request.has_param(name)) return std::optional<std::uint64_t>();
  const std::string text = request.get_param_value(name);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      (text.size() > 1 && text[0] == '0') || value > max) {
    return invalid("bad-request", std::string("Query parameter ") + name + " must be a decimal integer 0-" +
                                      std::to_string(max) + ".");
  }
  return std::optional<std::uint64_t>(value);
}

Result<Hash32> hash_in_path(const Request& request, const char* what) {
  auto hash = hex::decode_hash(request.matches[1].str());
  if (!hash) return invalid("wrong-type", std::string(what) + " must be 0x + 64 hex digits.");
  return *hash;
}

Problem not_found(std::string what) {
  return invalid("not-found", std::move(what));
}

Json tx_status_json(const Hash32& id, const node::TxStatus& status) {
  Json body = {{"id", hex::encode(id)}};
  switch (status.state) {
    case node::TxStatus::State::pending:
      body["status"] = "pending";
      break;
    case node::TxStatus::State::committed:
      body["status"] = "committed";
      body["height"] = status.height;
      body["index"] = status.index;
      body["block_hash"] = hex::encode(status.block_hash);
      break;
    case node::TxStatus::State::refused: {
      ONEBILL_ASSERT(status.refusal.has_value());
      body["status"] = "refused";
      body["stage"] = status.refusal->stage;
      body["problem"] = problem_json(status.refusal->problem, http_status_of(status.refusal->problem));
      break;
    }
    case node::TxStatus::State::unknown:
      body["status"] = "unknown";
      break;
  }
  return body;
}

// The 409 of a transaction evicted while its client waited (DESIGN §7).
void answer_evicted(Response& response, const Hash32& id, const node::Refusal& refusal) {
  const Problem evicted =
      invalid("evicted", "The transaction was evicted from the mempool: " + refusal.problem.rule + ": " +
                             refusal.problem.detail);
  answer_problem(response, evicted, 409,
                 Json{{"id", hex::encode(id)},
                      {"stage", refusal.stage},
                      {"cause", problem_json(refusal.problem, http_status_of(refusal.problem))}});
}

// Counts a request among the waiting ones while it lives; `acquired` false when all slots are taken.
class WaitSlot {
 public:
  explicit WaitSlot(std::atomic<std::size_t>& waiting) : waiting_(waiting) {
    std::size_t now = waiting_.load();
    while (now < max_waiting_requests) {
      if (waiting_.compare_exchange_weak(now, now + 1)) {
        acquired_ = true;
        return;
      }
    }
  }
  ~WaitSlot() {
    if (acquired_) waiting_.fetch_sub(1);
  }
  WaitSlot(const WaitSlot&) = delete;
  WaitSlot& operator=(const WaitSlot&) = delete;
  bool acquired() const { return acquired_; }

 private:
  std::atomic<std::size_t>& waiting_;
  bool acquired_ = false;
};

}  // namespace

ApiServer::ApiServer(node::Node& node, HttpServerLimits limits) : node_(node), http_(limits) {
  add_routes();
}

ApiServer::~ApiServer() {
  stop();
}

Result<int> ApiServer::bind(const std::string& host, int port) {
  return http_.bind(host, port);
}
void ApiServer::run() {
  http_.run();
}
void ApiServer::stop() {
  http_.stop();
}

void ApiServer::add_routes() {
  node::Node& node = node_;

  // ---- transactions ----
  http_.post("/v1/tx", limits::max_transaction_bytes,
             [&node, this](const Request& request, Response& response) {
               bool wait = false;
               if (request.has_param("wait")) {
                 if (request.get_param_value("wait") != "commit") {
                   answer_problem(response, invalid("bad-request", "wait must be \"commit\"."));
                   return;
                 }
                 wait = true;
               }
               auto timeout = decimal_param(request, "timeout_ms", std::numeric_limits<std::uint32_t>::max());
               if (!timeout) {
                 answer_problem(response, timeout.problem());
                 return;
               }
               const std::uint64_t timeout_ms =
                   std::min(timeout->value_or(default_wait_timeout_ms), max_wait_timeout_ms);

               const node::SubmitOutcome outcome = node.submit(std::string_view(request.body));
               if (outcome.problem) {
                 Json extra = nullptr;
                 if (outcome.id) extra = Json{{"id", hex::encode(*outcome.id)}, {"stage", "admission"}};
                 answer_problem(response, *outcome.problem, 0, extra);
                 return;
               }
               ONEBILL_ASSERT(outcome.id.has_value());
               const Hash32 id = *outcome.id;
               response.set_header("Location", "/v1/tx/" + hex::encode(id));
               const Json pending = {{"id", hex::encode(id)}, {"status", "pending"}};
               if (!wait) {
                 answer_json(response, 202, pending);
                 return;
               }
               WaitSlot slot(waiting_);
               if (!slot.acquired()) {  // DESIGN §7: at most 16 wait; the rest answer at once
                 answer_json(response, 202, pending);
                 return;
               }
               auto status = node.wait_for_outcome(id, std::chrono::milliseconds(timeout_ms));
               if (!status) {
                 answer_problem(response, status.problem());
                 return;
               }
               switch (status->state) {
                 case node::TxStatus::State::committed:
                   answer_json(response, 200, tx_status_json(id, *status));
                   return;
                 case node::TxStatus::State::refused:
                   answer_evicted(response, id, *status->refusal);
                   return;
                 default:
                   answer_json(response, 202, pending);
                   return;
               }
             });

  http_.post("/v1/txs", limits::max_batch_bytes, [&node](const Request& request, Response& response) {
    json::ReadOptions options;
    options.max_bytes = limits::max_batch_bytes;
    auto batch = json::read(request.body, options);
    if (!batch) {
      answer_problem(response, batch.problem());
      return;
    }
    if (!batch->is_array()) {
      answer_problem(response,
                     invalid("wrong-type", "The body must be a JSON array of signed transactions."));
      return;
    }
    if (batch->size() > limits::max_batch_transactions) {
      answer_problem(response, invalid("too-large", "A batch holds at most " +
                                                        std::to_string(limits::max_batch_transactions) +
                                                        " transactions."));
      return;
    }
    Json results = Json::array();
    std::size_t accepted = 0;
    for (const auto& element : *batch) {
      const node::SubmitOutcome outcome = node.submit(element);
      Json result = Json::object();
      if (outcome.id) result["id"] = hex::encode(*outcome.id);
      if (outcome.problem) {
        result["status"] = "refused";
        result["stage"] = "admission";
        result["problem"] = problem_json(*outcome.problem, http_status_of(*outcome.problem));
      } else {
        result["status"] = "pending";
        ++accepted;
      }
      results.push_back(std::move(result));
    }
    answer_json(response, accepted > 0 ? 202 : 200,
                Json{{"accepted", accepted}, {"refused", batch->size() - accepted}, {"results", results}});
  });

  http_.get(R"(/v1/tx/([^/]+))", [&node](const Request& request, Response& response) {
    auto reader = reader_of(request);
    if (!reader) return answer_problem(response, reader.problem());
    auto id = hash_in_path(request, "The transaction id");
    if (!id) return answer_problem(response, id.problem());
    auto status = node.tx_status(*id);
    if (!status) return answer_problem(response, status.problem());
    if (status->state == node::TxStatus::State::unknown) {
      return answer_problem(response, not_found("This node has never seen a transaction with this id."));
    }
    answer_json(response, 200, tx_status_json(*id, *status));
  });

  // ---- chain ----
  // DESIGN §6: the three fragments from this node's ledger; open, like the single-bill routes.
  http_.post("/v1/documents/verify", limits::max_document_bytes,
             [&node](const Request& request, Response& response) {
               auto verification = verify_document_on_node(node, request.body);
               if (!verification) return answer_problem(response, verification.problem());
               answer_json(response, 200, *verification);
             });

  http_.get("/v1/status", [&node](const Request&, Response& response) {
    const auto& genesis = node.genesis();
    auto answer = node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<Json> {
      ledger::Ledger ledger(store);
      auto validators = ledger.validators();
      ONEBILL_TRY(validators);
      auto participants = ledger.participants();
      ONEBILL_TRY(participants);
      std::size_t admins = 0;
      for (const auto& participant : *participants)
        admins += participant.active_in(ledger::Role::admin) ? 1 : 0;
      Json validator_list = Json::array();
      for (const auto& validator : *validators) validator_list.push_back(ledger::to_json(validator));
      return Json{{"chain", genesis.chain},
                  {"height", head.height},
                  {"latest_block_hash", hex::encode(head.block_hash)},
                  {"state_root", hex::encode(head.state_root)},
                  {"time_ms", head.time_ms},
                  {"registry", tradetrust::registry_address(genesis.chain).to_string()},
                  {"rules_version", genesis.rules_version},
                  {"validators", validator_list},
                  {"admins", admins},
                  {"demo", admins < 3},
                  {"mempool", {{"size", node.mempool_size()}}},
                  {"producing", node.is_validator() && node.healthy()},
                  {"version", "onebill 0.1.0"}};
    });
    if (!answer) return answer_problem(response, answer.problem());
    answer_json(response, 200, *answer);
  });

  http_.get(R"(/v1/blocks/([^/]+))", [&node](const Request& request, Response& response) {
    const std::string text = request.matches[1].str();
    std::uint64_t height = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), height);
    if (error != std::errc() || end != text.data() + text.size() || (text.size() > 1 && text[0] == '0')) {
      return answer_problem(response, invalid("bad-request", "The block height must be a decimal integer."));
    }
    // Headers and commits are open; the transactions of a block body are a signed read (DESIGN §7).
    const bool with_body = is_loopback(request) || request.has_header("Authorization");
    if (with_body) {
      auto reader = reader_of(request);
      if (!reader) return answer_problem(response, reader.problem());
    }
    auto answer =
        node.read([&](const ledger::Store& store, const ledger::Head&) -> Result<std::optional<Json>> {
          ledger::Ledger ledger(store);
          auto block = ledger.block(height);
          ONEBILL_TRY(block);
          if (!block->has_value()) return std::optional<Json>();
          auto commit = ledger.commit(height);
          ONEBILL_TRY(commit);
          Json body = {{"height", height},
                       {"hash", hex::encode(ledger::block_hash((*block)->header))},
                       {"state_root", hex::encode((*block)->header.state_root)},
                       {"header", ledger::to_json((*block)->header)},
                       {"transaction_count", (*block)->transactions.size()}};
          if (commit->has_value()) body["commit"] = ledger::to_json(**commit);
          if (with_body) body["transactions"] = ledger::to_json(**block).at("transactions");
          return std::optional<Json>(std::move(body));
        });
    if (!answer) return answer_problem(response, answer.problem());
    if (!answer->has_value()) return answer_problem(response, not_found("No block at this height."));
    answer_json(response, 200, **answer);
  });

  // ---- bills (open: the id is a 256-bit merkle root, DESIGN §7) ----
  http_.get(R"(/v1/bills/([^/]+))", [&node](const Request& request, Response& response) {
    auto id = hash_in_path(request, "The bill id");
    if (!id) return answer_problem(response, id.problem());
    auto answer =
        node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<std::optional<Json>> {
          auto bill = ledger::Ledger(store).bill(*id);
          ONEBILL_TRY(bill);
          if (!bill->has_value()) return std::optional<Json>();
          Json body = ledger::to_json(**bill);
          body["valid_at"] = {{"height", head.height}, {"block_hash", hex::encode(head.block_hash)}};
          return std::optional<Json>(std::move(body));
        });
    if (!answer) return answer_problem(response, answer.problem());
    if (!answer->has_value()) return answer_problem(response, not_found("No bill with this id."));
    answer_json(response, 200, **answer);
  });

  http_.get(R"(/v1/bills/([^/]+)/history)", [&node](const Request& request, Response& response) {
    auto id = hash_in_path(request, "The bill id");
    if (!id) return answer_problem(response, id.problem());
    auto from = decimal_param(request, "from", std::numeric_limits<std::uint32_t>::max());
    if (!from) return answer_problem(response, from.problem());
    auto limit = decimal_param(request, "limit", limits::max_page_limit);
    if (!limit) return answer_problem(response, limit.problem());
    const std::size_t page = static_cast<std::size_t>(std::max<std::uint64_t>(1, limit->value_or(100)));
    const auto first = static_cast<std::uint32_t>(from->value_or(0));
    auto answer =
        node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<std::optional<Json>> {
          ledger::Ledger ledger(store);
          auto bill = ledger.bill(*id);
          ONEBILL_TRY(bill);
          if (!bill->has_value()) return std::optional<Json>();
          auto entries = ledger.history(*id, first, page);
          ONEBILL_TRY(entries);
          Json list = Json::array();
          for (const auto& entry : *entries) {
            Json item = ledger::to_json(entry);
            // History entries carry the signer's registered name (DESIGN §7).
            auto signer = ledger.participant(entry.signer);
            ONEBILL_TRY(signer);
            if (signer->has_value()) item["signer_name"] = (*signer)->name;
            list.push_back(std::move(item));
          }
          Json body = {{"bill", hex::encode(*id)},
                       {"entries", list},
                       {"valid_at", {{"height", head.height}, {"block_hash", hex::encode(head.block_hash)}}}};
          const std::uint64_t next = static_cast<std::uint64_t>(first) + entries->size();
          if (next < (*bill)->history_length) body["next"] = std::to_string(next);
          return std::optional<Json>(std::move(body));
        });
    if (!answer) return answer_problem(response, answer.problem());
    if (!answer->has_value()) return answer_problem(response, not_found("No bill with this id."));
    answer_json(response, 200, **answer);
  });

  http_.get(R"(/v1/bills/([^/]+)/legs)", [&node](const Request& request, Response& response) {
    auto id = hash_in_path(request, "The bill id");
    if (!id) return answer_problem(response, id.problem());
    auto answer =
        node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<std::optional<Json>> {
          auto bill = ledger::Ledger(store).bill(*id);
          ONEBILL_TRY(bill);
          if (!bill->has_value()) return std::optional<Json>();
          return std::optional<Json>(
              Json{{"bill", hex::encode(*id)},
                   {"legs", ledger::to_json(**bill).at("legs")},
                   {"valid_at", {{"height", head.height}, {"block_hash", hex::encode(head.block_hash)}}}});
        });
    if (!answer) return answer_problem(response, answer.problem());
    if (!answer->has_value()) return answer_problem(response, not_found("No bill with this id."));
    answer_json(response, 200, **answer);
  });

  http_.get(R"(/v1/bills/([^/]+)/control)", [&node](const Request& request, Response& response) {
    auto id = hash_in_path(request, "The bill id");
    if (!id) return answer_problem(response, id.problem());
    auto answer =
        node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<std::optional<Json>> {
          auto control = ledger::Ledger(store).control(*id);
          ONEBILL_TRY(control);
          if (!control->has_value()) return std::optional<Json>();
          Json body = ledger::to_json(**control);
          body["height"] = head.height;
          body["block_hash"] = hex::encode(head.block_hash);
          return std::optional<Json>(std::move(body));
        });
    if (!answer) return answer_problem(response, answer.problem());
    if (!answer->has_value()) return answer_problem(response, not_found("No bill with this id."));
    answer_json(response, 200, **answer);
  });

  // ---- participants (signed; a participant always reads its own record, DESIGN §7) ----
  http_.get(R"(/v1/participants/([^/]+))", [&node](const Request& request, Response& response) {
    auto address = Address::parse(request.matches[1].str());
    if (!address) return answer_problem(response, address.problem());
    auto reader = reader_of(request);
    if (!reader) return answer_problem(response, reader.problem());
    auto answer =
        node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<std::optional<Json>> {
          ledger::Ledger ledger(store);
          auto participant = ledger.participant(*address);
          ONEBILL_TRY(participant);
          auto next_nonce = ledger.next_nonce(*address);
          ONEBILL_TRY(next_nonce);
          const std::uint64_t pending_nonce = std::max(*next_nonce, node.pending_nonce(*address).value_or(0));
          if (!participant->has_value() && *next_nonce == 0 && pending_nonce == 0)
            return std::optional<Json>();
          Json body = participant->has_value()
                          ? ledger::to_json(**participant)
                          : Json{{"address", address->to_string()}, {"registered", false}};
          body["next_nonce"] = *next_nonce;
          body["pending_nonce"] = pending_nonce;
          body["valid_at"] = {{"height", head.height}, {"block_hash", hex::encode(head.block_hash)}};
          return std::optional<Json>(std::move(body));
        });
    if (!answer) return answer_problem(response, answer.problem());
    if (!answer->has_value())
      return answer_problem(response, not_found("No participant or account with this address."));
    answer_json(response, 200, **answer);
  });

  // ---- problem pages ----
  http_.get(R"(/v1/problems/([a-z0-9-]+))", [](const Request& request, Response& response) {
    auto page = problem_description(request.matches[1].str());
    if (!page) return answer_problem(response, not_found("No such problem type."));
    answer_json(response, 200, *page);
  });
}

}  // namespace onebill::api
