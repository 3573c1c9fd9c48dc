#include "api/server.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include <httplib.h>

#include "api/document_verification.h"
#include "api/embedded.h"
#include "api/http_problem.h"
#include "api/read_auth.h"
#include "api/rendered_answers.h"
#include "api/web_routes.h"
#include "crypto/hex.h"
#include "crypto/limits.h"
#include "ledger/ledger.h"
#include "tradetrust/registry.h"

namespace onebill::api {
namespace {

using httplib::Request;
using httplib::Response;
using json::Json;

RenderedAnswers& rendered_answers() {
  static RenderedAnswers answers;
  return answers;
}

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

Json valid_at(const ledger::Head& head) {
  return Json{{"height", head.height}, {"block_hash", hex::encode(head.block_hash)}};
}

// Who reads a signed route (DESIGN §7).
struct Reader {
  std::optional<Address> address;  // nullopt: the node operator (loopback)
  bool sees_all = false;           // the operator, or an active CUSTOMS participant

  bool is(const Address& party) const { return address && *address == party; }
  bool may_read_party(const Address& party) const { return sees_all || is(party); }
};

// The reader of a signed route: the signer of a valid authorization (401 "unauthorized" when it is
// missing or bad), who sees everything when it is an active CUSTOMS participant (a suspended one reads
// like any participant). On loopback the reader is the node operator and sees everything; an
// authorization it sends anyway must be valid, and names the party its events default to.
Result<Reader> reader_of(const Request& request, const node::Node& node) {
  const std::string header = request.get_header_value("Authorization");
  if (is_loopback(request) && header.empty()) return Reader{std::nullopt, true};
  if (header.empty()) {
    return invalid("unauthorized",
                   "This read needs an Authorization: OneBill <address>:<unix_ms>:<sig> header (DESIGN §7).");
  }
  auto address = check_read_authorization(header, request.method, request.target, unix_ms());
  ONEBILL_TRY(address);
  if (is_loopback(request)) return Reader{*address, true};
  auto participant = node.read([&](const ledger::Store& store, const ledger::Head&) {
    return ledger::Ledger(store).participant(*address);
  });
  ONEBILL_TRY(participant);
  const bool customs = participant->has_value() && (*participant)->active_in(ledger::Role::customs);
  return Reader{*address, customs};
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

// Refuses query parameters a route does not define, and repeated ones: a typo ("holders=") must not
// silently widen a search.
// `allowed` holds string literals (static storage), so a route may keep the list it was given.
Status check_params(const Request& request, const std::vector<std::string_view>& allowed) {
  for (const auto& [name, value] : request.params) {
    (void)value;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string list;
      for (auto item : allowed) list += (list.empty() ? "" : ", ") + std::string(item);
      return invalid("bad-request",
                     "Unknown query parameter '" + name + "'; this route takes: " + list + ".");
    }
    if (request.params.count(name) > 1)
      return invalid("bad-request", "Query parameter " + name + " is repeated.");
  }
  return {};
}

std::size_t page_limit(const std::optional<std::uint64_t>& limit) {
  return static_cast<std::size_t>(std::max<std::uint64_t>(1, limit.value_or(default_page_limit)));
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
  if (status.sender) body["from"] = status.sender->to_string();
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

// A history entry as the API shows it: with the signer's registered name (DESIGN §7).
Result<Json> entry_json(const ledger::Ledger& ledger, const ledger::HistoryEntry& entry) {
  Json item = ledger::to_json(entry);
  auto signer = ledger.participant(entry.signer);
  ONEBILL_TRY(signer);
  if (signer->has_value()) item["signer_name"] = (*signer)->name;
  return item;
}

bool json_names(const Json& value, const Address& party) {
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() != 42) return false;
    auto address = Address::parse(text);
    return address && *address == party;
  }
  if (value.is_structured()) {
    for (const auto& item : value) {
      if (json_names(item, party)) return true;
    }
  }
  return false;
}

// "A participant's searches cover the bills it is or was party to" (DESIGN §7), decided from the
// ledger: first the bill's current parties (issuer, first holder, holder, beneficiary, nominee, the
// previous holder and beneficiary a rejection would restore, the pledge's bank and pledgor, the
// surrender's requester, every leg's carrier); failing those, the bill's history: a party it was is the
// signer or recipient of an entry, or an address in its details (the beneficiary named at issue, the
// parties a rectification set). The history is read only when the current parties do not name it.
Result<bool> is_or_was_party(const ledger::Ledger& ledger, const ledger::Bill& bill, const Address& party) {
  if (bill.issuer == party || bill.first_holder == party || bill.holder == party) return true;
  if (bill.beneficiary == party || bill.nominee == party || bill.prev_holder == party) return true;
  if (bill.prev_beneficiary && *bill.prev_beneficiary == party) return true;
  if (bill.pledge && (bill.pledge->bank == party || bill.pledge->pledgor == party)) return true;
  if (bill.pending && bill.pending->requester == party) return true;
  for (const auto& leg : bill.legs) {
    if (leg.carrier == party) return true;
  }
  for (std::uint32_t from = 0; from < bill.history_length;) {
    auto entries = ledger.history(bill.id, from, limits::max_page_limit);
    ONEBILL_TRY(entries);
    if (entries->empty()) break;
    for (const auto& entry : *entries) {
      if (entry.signer == party || entry.recipient == party || json_names(entry.details, party)) return true;
    }
    from += static_cast<std::uint32_t>(entries->size());
  }
  return false;
}

// ---- GET /v1/bills ----

// The search of one request: the index scanned, and the current values every bill must also have.
struct BillSearch {
  ledger::BillIndex index = ledger::BillIndex::status;
  ledger::IndexValue value;
  std::optional<std::string> reference;  // with issuer: the one live bill with this reference
  std::optional<Address> issuer, holder, beneficiary, nominee, pledgee, carrier;
  std::optional<std::string> destination;
  std::optional<ledger::BillStatus> status;

  bool matches(const ledger::Bill& bill) const {
    if (issuer && bill.issuer != *issuer) return false;
    if (holder && bill.holder != *holder) return false;
    if (beneficiary && bill.beneficiary != *beneficiary) return false;
    if (nominee && bill.nominee != *nominee) return false;
    if (pledgee && !(bill.pledge && bill.pledge->bank == *pledgee)) return false;
    if (carrier && std::none_of(bill.legs.begin(), bill.legs.end(),
                                [&](const ledger::Leg& leg) { return leg.carrier == *carrier; }))
      return false;
    if (destination && (bill.legs.empty() || bill.legs.back().to != *destination)) return false;
    if (status && bill.status != *status) return false;
    return true;
  }
};

bool is_locode(const std::string& text) {
  if (text.size() != 5) return false;
  for (std::size_t i = 0; i < 5; ++i) {
    const char c = text[i];
    const bool letter = c >= 'A' && c <= 'Z';
    const bool digit = c >= '2' && c <= '9';
    if (!(letter || (i >= 2 && digit))) return false;
  }
  return true;
}

// Reads the search parameters. The scanned index is the first given of issuer, holder, beneficiary,
// nominee, pledgee, carrier, to, status; the others filter.
Result<BillSearch> parse_bill_search(const Request& request) {
  BillSearch search;
  bool have_index = false;
  auto use = [&](ledger::BillIndex index, ledger::IndexValue value) {
    if (have_index) return;
    search.index = index;
    search.value = std::move(value);
    have_index = true;
  };
  auto address = [&](const char* name, std::optional<Address>& out, ledger::BillIndex index) -> Status {
    if (!request.has_param(name)) return {};
    auto parsed = Address::parse(request.get_param_value(name));
    if (!parsed) return Problem{parsed.problem().rule, std::string(name) + ": " + parsed.problem().detail};
    out = *parsed;
    use(index, *parsed);
    return {};
  };
  ONEBILL_TRY(address("issuer", search.issuer, ledger::BillIndex::issuer));
  ONEBILL_TRY(address("holder", search.holder, ledger::BillIndex::holder));
  ONEBILL_TRY(address("beneficiary", search.beneficiary, ledger::BillIndex::beneficiary));
  ONEBILL_TRY(address("nominee", search.nominee, ledger::BillIndex::nominee));
  ONEBILL_TRY(address("pledgee", search.pledgee, ledger::BillIndex::pledgee));
  ONEBILL_TRY(address("carrier", search.carrier, ledger::BillIndex::carrier));
  if (request.has_param("to")) {
    const std::string to = request.get_param_value("to");
    if (!is_locode(to)) return invalid("wrong-type", "to: a UN/LOCODE, 5 characters such as SGSIN.");
    search.destination = to;
    use(ledger::BillIndex::destination, to);
  }
  if (request.has_param("status")) {
    const std::string text = request.get_param_value("status");
    search.status = ledger::parse_bill_status(text);
    if (!search.status) {
      return invalid("wrong-type", "status: one of ISSUED, PENDING_SURRENDER, SURRENDERED, VOIDED.");
    }
    use(ledger::BillIndex::status, text);
  }
  if (request.has_param("reference")) {
    if (!search.issuer)
      return invalid("bad-request", "reference searches need issuer= too (a reference is per issuer).");
    search.reference = request.get_param_value("reference");
  }
  if (!have_index) {
    return invalid("bad-request",
                   "Give a search: issuer (with reference), holder, beneficiary, nominee, pledgee, carrier, "
                   "to or status.");
  }
  return search;
}

struct BillListing {
  std::vector<ledger::Bill> bills;
  std::optional<std::string> next;
};

// Walks the search's index after `after`, keeping the bills that match and that the reader may see,
// until `limit` are found, the index ends, or (for a reader who sees only its own bills)
// max_bills_examined_per_search have been examined; `next` continues after the last examined bill.
Result<BillListing> list_bills(const ledger::Ledger& ledger, const BillSearch& search, const Reader& reader,
                               const std::string& after, std::size_t limit) {
  BillListing out;
  auto visible = [&](const ledger::Bill& bill) -> Result<bool> {
    if (!search.matches(bill)) return false;
    if (reader.sees_all) return true;
    ONEBILL_ASSERT(reader.address.has_value());
    return is_or_was_party(ledger, bill, *reader.address);
  };
  if (search.reference) {
    ONEBILL_ASSERT(search.issuer.has_value());
    if (!after.empty()) return out;  // a one-bill answer has no second page
    auto id = ledger.bill_by_reference(*search.issuer, *search.reference);
    ONEBILL_TRY(id);
    if (!id->has_value()) return out;
    auto bill = ledger.bill(**id);
    ONEBILL_TRY(bill);
    if (!bill->has_value()) return local_fault("storage", "the reference index names a missing bill");
    auto keep = visible(**bill);
    ONEBILL_TRY(keep);
    if (*keep) out.bills.push_back(std::move(**bill));
    return out;
  }
  std::string cursor = after;
  std::size_t examined = 0;
  for (;;) {
    const std::size_t chunk =
        std::min<std::size_t>(limits::max_page_limit, std::max<std::size_t>(limit, 100));
    auto page = ledger.bills(search.index, search.value, cursor, chunk);
    ONEBILL_TRY(page);
    for (std::size_t i = 0; i < page->bills.size(); ++i) {
      const ledger::Bill& bill = page->bills[i];
      ++examined;
      auto keep = visible(bill);
      ONEBILL_TRY(keep);
      if (*keep) out.bills.push_back(bill);
      const bool more = i + 1 < page->bills.size() || page->next.has_value();
      const bool budget_spent = !reader.sees_all && examined >= max_bills_examined_per_search;
      if (out.bills.size() == limit || budget_spent) {
        if (more) out.next = ledger::bill_cursor(bill);
        return out;
      }
    }
    if (!page->next) return out;
    cursor = *page->next;
  }
}

}  // namespace

ApiServer::ApiServer(node::Node& node, HttpServerLimits limits) : node_(node), http_(limits) {
  http_.set_observer([this](const RouteInfo& route, const Response&, std::chrono::nanoseconds elapsed) {
    metrics_.observe_request(route.method, route.pattern, elapsed);
  });
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
  add_transaction_routes();
  add_chain_routes();
  add_bill_routes();
  add_search_routes();
  add_participant_routes();
  add_documentation_routes();
  add_web_routes(http_);  // the page at / and its assets (api/web_routes.h)
}

void ApiServer::add_transaction_routes() {
  node::Node& node = node_;

  http_.post("/v1/tx", limits::max_transaction_bytes,
             [&node, this](const Request& request, Response& response) {
               if (auto params = check_params(request, {"wait", "timeout_ms"}); !params)
                 return answer_problem(response, params.problem());
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
                 if (outcome.id) {
                   extra = Json{{"id", hex::encode(*outcome.id)}, {"stage", "admission"}};
                 } else {
                   metrics_.count_unparsed_refusal(outcome.problem->rule);  // the mempool never saw it
                 }
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

  http_.post("/v1/txs", limits::max_batch_bytes, [&node, this](const Request& request, Response& response) {
    if (auto params = check_params(request, {}); !params) return answer_problem(response, params.problem());
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
    for (const node::SubmitOutcome& outcome : node.submit_all(*batch)) {
      Json result = Json::object();
      if (outcome.id) result["id"] = hex::encode(*outcome.id);
      if (outcome.problem) {
        if (!outcome.id) metrics_.count_unparsed_refusal(outcome.problem->rule);
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

  // Signed: the operator and CUSTOMS read any transaction, a participant its own (DESIGN §7). Another's
  // transaction answers 404, as an unknown one does, so a reader learns nothing of it.
  http_.get(R"(/v1/tx/([^/]+))", [&node](const Request& request, Response& response) {
    auto reader = reader_of(request, node);
    if (!reader) return answer_problem(response, reader.problem());
    auto id = hash_in_path(request, "The transaction id");
    if (!id) return answer_problem(response, id.problem());
    auto status = node.tx_status(*id);
    if (!status) return answer_problem(response, status.problem());
    const bool readable = reader->sees_all || (status->sender && reader->is(*status->sender));
    if (status->state == node::TxStatus::State::unknown || !readable) {
      return answer_problem(response,
                            not_found("This node knows no transaction with this id that you may read."));
    }
    answer_json(response, 200, tx_status_json(*id, *status));
  });
}

void ApiServer::add_chain_routes() {
  node::Node& node = node_;

  // DESIGN §6: the three fragments from this node's ledger; open, like the single-bill routes.
  http_.post("/v1/documents/verify", limits::max_document_bytes,
             [&node](const Request& request, Response& response) {
               auto verification = verify_document_on_node(node, request.body);
               if (!verification) return answer_problem(response, verification.problem());
               answer_json(response, 200, *verification);
             });

  // Open (DESIGN §7): the conflicting votes this node has seen, in chain order, paginated.
  http_.get("/v1/evidence", [&node](const Request& request, Response& response) {
    if (auto checked = check_params(request, {"limit", "after"}); !checked)
      return answer_problem(response, checked.problem());
    auto limit = decimal_param(request, "limit", limits::max_page_limit);
    if (!limit) return answer_problem(response, limit.problem());
    std::optional<std::string> after;
    if (request.has_param("after")) after = request.get_param_value("after");
    auto page = node.evidence(page_limit(*limit), after);
    if (!page) return answer_problem(response, page.problem());
    Json body = {{"evidence", Json(page->items)}};
    if (page->next) body["next"] = *page->next;
    answer_json(response, 200, body);
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

  // Headers and commits are open; the transactions of a block body are a signed read (DESIGN §7): the
  // operator and CUSTOMS see them all, a participant its own (the others are counted, not shown).
  http_.get(R"(/v1/blocks/([^/]+))", [&node](const Request& request, Response& response) {
    const std::string text = request.matches[1].str();
    std::uint64_t height = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), height);
    if (error != std::errc() || end != text.data() + text.size() || (text.size() > 1 && text[0] == '0')) {
      return answer_problem(response, invalid("bad-request", "The block height must be a decimal integer."));
    }
    std::optional<Reader> reader;
    if (is_loopback(request) || request.has_header("Authorization")) {
      auto signed_reader = reader_of(request, node);
      if (!signed_reader) return answer_problem(response, signed_reader.problem());
      reader = *signed_reader;
    }
    // The transactions, when the reader sees them all, are the block's own texts (JCS), put into the
    // answer as they are: no parse, no DOM.
    std::string all_transactions;
    auto answer =
        node.read([&](const ledger::Store& store, const ledger::Head&) -> Result<std::optional<Json>> {
          ledger::Ledger ledger(store);
          std::shared_ptr<const ledger::Block> block = node.recent_block(height);
          if (!block) {
            auto stored = ledger.block(height);
            ONEBILL_TRY(stored);
            if (!stored->has_value()) return std::optional<Json>();
            block = std::make_shared<const ledger::Block>(std::move(**stored));
          }
          auto commit = ledger.commit(height);
          ONEBILL_TRY(commit);
          Json body = {{"height", height},
                       {"hash", hex::encode(ledger::block_hash(block->header))},
                       {"state_root", hex::encode(block->header.state_root)},
                       {"header", ledger::to_json(block->header)},
                       {"transaction_count", block->transactions.size()}};
          if (commit->has_value()) body["commit"] = ledger::to_json(**commit);
          if (reader && reader->sees_all) {
            all_transactions.push_back('[');
            for (std::size_t i = 0; i < block->transactions.size(); ++i) {
              if (i > 0) all_transactions.push_back(',');
              all_transactions += block->transactions[i];
            }
            all_transactions.push_back(']');
          } else if (reader) {
            Json own = Json::array();
            for (const auto& wire : block->transactions) {
              auto transaction = json::read(wire);
              if (!transaction || !transaction->is_object()) continue;
              const auto from = transaction->find("from");
              if (from == transaction->end() || !from->is_string()) continue;
              auto address = Address::parse(from->get<std::string>());
              if (address && reader->is(*address)) own.push_back(std::move(*transaction));
            }
            body["transactions"] = std::move(own);
            body["transactions_filtered"] = true;
          }
          return std::optional<Json>(std::move(body));
        });
    if (!answer) return answer_problem(response, answer.problem());
    if (!answer->has_value()) return answer_problem(response, not_found("No block at this height."));
    if (all_transactions.empty()) return answer_json(response, 200, **answer);
    // "transactions" sorts after every other member of the answer: it goes last, as dump would put it.
    std::string whole = dump_json(**answer);
    ONEBILL_ASSERT(!whole.empty() && whole.back() == '}');
    whole.pop_back();
    whole.append(",\"transactions\":").append(all_transactions).push_back('}');
    response.status = 200;
    response.set_content(std::move(whole), "application/json");
  });
}

void ApiServer::add_bill_routes() {
  node::Node& node = node_;
  // The single-bill routes are open: the id is a 256-bit merkle root (DESIGN §7). Each parses the id,
  // reads the bill at one head and answers 404 for an unknown bill; `render` makes the rest.
  using Render = std::function<Result<Json>(const Request&, const ledger::Ledger&, const ledger::Bill&,
                                            const ledger::Head&)>;
  // `params` is copied into the handler: an initializer_list's storage would be gone after registration.
  auto bill_route = [this, &node](const std::string& suffix, std::vector<std::string_view> params,
                                  Render render) {
    http_.get("/v1/bills/([^/]+)" + suffix, [&node, params, render](const Request& request,
                                                                    Response& response) {
      if (auto checked = check_params(request, params); !checked)
        return answer_problem(response, checked.problem());
      auto id = hash_in_path(request, "The bill id");
      if (!id) return answer_problem(response, id.problem());
      // The answer's key: the decoded path and parameters, each ended by a NUL (no text here has one).
      std::string answer_key = request.path;
      answer_key.push_back('\0');
      for (const auto& [name, value] : request.params) {
        answer_key.append(name).push_back('\0');
        answer_key.append(value).push_back('\0');
      }
      if (auto cached = rendered_answers().find(node.head().block_hash, answer_key)) {
        response.status = 200;
        response.set_content(*cached, "application/json");
        return;
      }
      Hash32 read_at{};
      auto answer =
          node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<std::optional<Json>> {
            read_at = head.block_hash;
            ledger::Ledger ledger(store);
            auto bill = ledger.bill(*id);
            ONEBILL_TRY(bill);
            if (!bill->has_value()) return std::optional<Json>();
            auto body = render(request, ledger, **bill, head);
            ONEBILL_TRY(body);
            return std::optional<Json>(std::move(*body));
          });
      if (!answer) return answer_problem(response, answer.problem());
      if (!answer->has_value()) return answer_problem(response, not_found("No bill with this id."));
      std::string body = dump_json(**answer);
      rendered_answers().put(read_at, answer_key, body);
      response.status = 200;
      response.set_content(body, "application/json");
    });
  };

  bill_route("", {},
             [](const Request&, const ledger::Ledger&, const ledger::Bill& bill,
                const ledger::Head& head) -> Result<Json> {
               Json body = ledger::to_json(bill);
               body["valid_at"] = valid_at(head);
               return body;
             });

  // ?from=SEQ&limit=N; `next` is the seq to continue from.
  bill_route("/history", {"from", "limit"},
             [](const Request& request, const ledger::Ledger& ledger, const ledger::Bill& bill,
                const ledger::Head& head) -> Result<Json> {
               auto from = decimal_param(request, "from", std::numeric_limits<std::uint32_t>::max());
               ONEBILL_TRY(from);
               auto limit = decimal_param(request, "limit", limits::max_page_limit);
               ONEBILL_TRY(limit);
               const auto first = static_cast<std::uint32_t>(from->value_or(0));
               auto entries = ledger.history(bill.id, first, page_limit(*limit));
               ONEBILL_TRY(entries);
               Json list = Json::array();
               for (const auto& entry : *entries) {
                 auto item = entry_json(ledger, entry);
                 ONEBILL_TRY(item);
                 list.push_back(std::move(*item));
               }
               Json body = {{"bill", hex::encode(bill.id)}, {"entries", list}, {"valid_at", valid_at(head)}};
               const std::uint64_t next = static_cast<std::uint64_t>(first) + entries->size();
               if (next < bill.history_length) body["next"] = std::to_string(next);
               return body;
             });

  bill_route("/legs", {},
             [](const Request&, const ledger::Ledger&, const ledger::Bill& bill,
                const ledger::Head& head) -> Result<Json> {
               return Json{{"bill", hex::encode(bill.id)},
                           {"legs", ledger::to_json(bill).at("legs")},
                           {"valid_at", valid_at(head)}};
             });

  bill_route("/control", {},
             [](const Request&, const ledger::Ledger&, const ledger::Bill& bill,
                const ledger::Head& head) -> Result<Json> {
               Json body = ledger::to_json(ledger::control_of(bill));
               body["height"] = head.height;
               body["block_hash"] = hex::encode(head.block_hash);
               return body;
             });
}

void ApiServer::add_search_routes() {
  node::Node& node = node_;

  // Signed: newest issue first; a participant sees only the bills it is or was party to.
  http_.get("/v1/bills", [&node](const Request& request, Response& response) {
    auto reader = reader_of(request, node);
    if (!reader) return answer_problem(response, reader.problem());
    if (auto checked = check_params(request, {"issuer", "reference", "holder", "beneficiary", "nominee",
                                              "pledgee", "carrier", "to", "status", "limit", "after"});
        !checked)
      return answer_problem(response, checked.problem());
    auto search = parse_bill_search(request);
    if (!search) return answer_problem(response, search.problem());
    auto limit = decimal_param(request, "limit", limits::max_page_limit);
    if (!limit) return answer_problem(response, limit.problem());
    const std::string after = request.get_param_value("after");
    auto answer = node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<Json> {
      ledger::Ledger ledger(store);
      auto listing = list_bills(ledger, *search, *reader, after, page_limit(*limit));
      ONEBILL_TRY(listing);
      Json bills = Json::array();
      for (const auto& bill : listing->bills) bills.push_back(ledger::to_json(bill));
      Json body = {{"bills", std::move(bills)}, {"valid_at", valid_at(head)}};
      if (listing->next) body["next"] = *listing->next;
      return body;
    });
    if (!answer) return answer_problem(response, answer.problem());
    answer_json(response, 200, *answer);
  });

  // Signed: history entries naming a party, in chain order. A participant reads the events naming
  // itself (party defaults to it); the operator and CUSTOMS name any party. With wait_ms and nothing
  // new, the request waits for new blocks (one of the 16 waiting slots; without a slot it answers at once).
  http_.get("/v1/events", [&node, this](const Request& request, Response& response) {
    auto reader = reader_of(request, node);
    if (!reader) return answer_problem(response, reader.problem());
    if (auto checked = check_params(request, {"party", "after", "wait_ms", "limit"}); !checked)
      return answer_problem(response, checked.problem());
    std::optional<Address> party = reader->address;
    if (request.has_param("party")) {
      auto parsed = Address::parse(request.get_param_value("party"));
      if (!parsed)
        return answer_problem(response, Problem{parsed.problem().rule, "party: " + parsed.problem().detail});
      party = *parsed;
    }
    if (!party)
      return answer_problem(response, invalid("bad-request", "party= is required (the operator names one)."));
    if (!reader->may_read_party(*party)) {
      return answer_problem(response,
                            invalid("not-permitted",
                                    "events: a participant reads the events naming itself; only CUSTOMS "
                                    "and the node operator read another party's."));
    }
    auto wait_ms = decimal_param(request, "wait_ms", max_wait_timeout_ms);
    if (!wait_ms) return answer_problem(response, wait_ms.problem());
    auto limit = decimal_param(request, "limit", limits::max_page_limit);
    if (!limit) return answer_problem(response, limit.problem());
    const std::string after = request.get_param_value("after");

    auto read_events = [&]() {
      return node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<Json> {
        ledger::Ledger ledger(store);
        auto events = ledger.events(*party, after, page_limit(*limit));
        ONEBILL_TRY(events);
        Json list = Json::array();
        for (const auto& event : *events) {
          auto item = entry_json(ledger, event.entry);
          ONEBILL_TRY(item);
          (*item)["cursor"] = event.cursor;
          list.push_back(std::move(*item));
        }
        // `next` always continues the feed: the last event's cursor, or the one given when none came.
        const std::string next = events->empty() ? after : events->back().cursor;
        return Json{{"party", party->to_string()},
                    {"events", std::move(list)},
                    {"next", next},
                    {"valid_at", valid_at(head)}};
      });
    };
    auto answer = read_events();
    if (!answer) return answer_problem(response, answer.problem());
    const std::uint64_t wait = wait_ms->value_or(0);
    if ((*answer)["events"].empty() && wait > 0) {
      WaitSlot slot(waiting_);
      if (slot.acquired()) {  // else: the events so far (none), at once (DESIGN §7)
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
        std::uint64_t height = (*answer)["valid_at"]["height"].get<std::uint64_t>();
        for (;;) {
          const auto now = std::chrono::steady_clock::now();
          if (now >= deadline) break;
          const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
          const std::uint64_t reached = node.wait_for_height_above(height, remaining);
          if (reached <= height) break;  // timed out
          height = reached;
          answer = read_events();
          if (!answer) return answer_problem(response, answer.problem());
          if (!(*answer)["events"].empty()) break;
        }
      }
    }
    answer_json(response, 200, *answer);
  });
}

void ApiServer::add_participant_routes() {
  node::Node& node = node_;
  // Signed: a registered participant (or the operator) reads any participant's record; a key that is
  // not in the registry reads only its own account (its nonces, to sign its first transaction).
  http_.get(R"(/v1/participants/([^/]+))", [&node](const Request& request, Response& response) {
    auto address = Address::parse(request.matches[1].str());
    if (!address) return answer_problem(response, address.problem());
    auto reader = reader_of(request, node);
    if (!reader) return answer_problem(response, reader.problem());
    auto answer =
        node.read([&](const ledger::Store& store, const ledger::Head& head) -> Result<std::optional<Json>> {
          ledger::Ledger ledger(store);
          if (!reader->sees_all && !reader->is(*address)) {
            auto registered = ledger.participant(*reader->address);
            ONEBILL_TRY(registered);
            if (!registered->has_value()) {
              return invalid("not-permitted",
                             "participants: a key outside the registry reads only its own account.");
            }
          }
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
          body["valid_at"] = valid_at(head);
          return std::optional<Json>(std::move(body));
        });
    if (!answer) return answer_problem(response, answer.problem());
    if (!answer->has_value())
      return answer_problem(response, not_found("No participant or account with this address."));
    answer_json(response, 200, **answer);
  });
}

void ApiServer::add_documentation_routes() {
  http_.get(R"(/v1/problems/([a-z0-9-]+))", [](const Request& request, Response& response) {
    auto page = problem_description(request.matches[1].str());
    if (!page) return answer_problem(response, not_found("No such problem type."));
    answer_json(response, 200, *page);
  });

  http_.get("/v1/openapi.json", [](const Request&, Response& response) {
    const EmbeddedFile* file = find_embedded("/openapi.json");
    ONEBILL_ASSERT(file != nullptr);
    response.status = 200;
    response.set_content(std::string(file->content), "application/json");
  });

  // Loopback only (DESIGN §7): the operator's scraper runs on the node's machine.
  http_.get("/metrics", [this](const Request& request, Response& response) {
    if (!is_loopback(request)) {
      return answer_problem(response,
                            invalid("not-permitted", "/metrics answers the node operator on loopback only."));
    }
    response.status = 200;
    response.set_content(metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

std::string ApiServer::metrics_text() const {
  std::string out;
  auto family = [&](std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  };
  const ledger::Head head = node_.head();
  family("onebill_height", "gauge", "Height of the last committed block.");
  out += prometheus_sample("onebill_height", "", static_cast<double>(head.height));
  family("onebill_transactions_committed_total", "counter", "Transactions committed since the node started.");
  out += prometheus_sample("onebill_transactions_committed_total", "",
                           static_cast<double>(node_.committed_transactions()));
  family("onebill_mempool_transactions", "gauge", "Transactions waiting in the mempool.");
  out += prometheus_sample("onebill_mempool_transactions", "", static_cast<double>(node_.mempool_size()));
  family("onebill_mempool_reapplications_total", "counter",
         "Times a sender's pending transactions were applied again because a commit wrote what they read.");
  out += prometheus_sample("onebill_mempool_reapplications_total", "",
                           static_cast<double>(node_.mempool_reapplications()));
  family("onebill_gossip_copies_dropped_total", "counter",
         "Peers' copies of transactions already pending here, dropped before parsing.");
  out += prometheus_sample("onebill_gossip_copies_dropped_total", "",
                           static_cast<double>(node_.gossip_copies_dropped()));

  family("onebill_transactions_refused_total", "counter",
         "Transactions refused since the node started, by stage (admission, execution) and rule.");
  auto refusals = node_.refusal_counts();
  for (const auto& [key, count] : metrics_.unparsed_refusals()) refusals[key] += count;
  for (const auto& [key, count] : refusals) {
    out += prometheus_sample("onebill_transactions_refused_total",
                             "stage=\"" + prometheus_label_value(key.first) + "\",rule=\"" +
                                 prometheus_label_value(key.second) + "\"",
                             static_cast<double>(count));
  }

  family("onebill_waiting_requests", "gauge", "Requests waiting now (wait=commit and event long-polls).");
  out += prometheus_sample("onebill_waiting_requests", "", static_cast<double>(waiting_.load()));
  family("onebill_waiting_requests_limit", "gauge", "At most this many requests wait at once.");
  out += prometheus_sample("onebill_waiting_requests_limit", "", static_cast<double>(max_waiting_requests));

  const HttpServerCounters& counters = http_.counters();
  family("onebill_http_connections_total", "counter", "Connections by outcome.");
  out += prometheus_sample("onebill_http_connections_total", "outcome=\"accepted\"",
                           static_cast<double>(counters.connections_accepted.load()));
  out += prometheus_sample("onebill_http_connections_total", "outcome=\"refused_busy\"",
                           static_cast<double>(counters.connections_refused_busy.load()));
  out += prometheus_sample("onebill_http_connections_total", "outcome=\"closed_idle\"",
                           static_cast<double>(counters.connections_closed_idle.load()));
  out += prometheus_sample("onebill_http_connections_total", "outcome=\"closed_stalled\"",
                           static_cast<double>(counters.connections_closed_stalled.load()));
  family("onebill_http_requests_total", "counter", "HTTP requests read, routed or not.");
  out += prometheus_sample("onebill_http_requests_total", "", static_cast<double>(counters.requests.load()));
  family("onebill_http_queued_connections", "gauge", "Connections waiting for a worker.");
  out += prometheus_sample("onebill_http_queued_connections", "",
                           static_cast<double>(http_.queued_connections()));
  out += metrics_.render_requests();
  return out;
}

}  // namespace onebill::api
