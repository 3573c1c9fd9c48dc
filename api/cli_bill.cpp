// The commands of carriers, banks, traders and customs (DESIGN §4, §7): every bill action, leg events,
// governance, and the reads. Each action builds its body, signs it with pending_nonce and submits it.
#include <chrono>
#include <ctime>
#include <iostream>
#include <memory>

#include "api/cli.h"
#include "api/cli_client.h"
#include "api/files.h"
#include "api/time_text.h"
#include "crypto/hex.h"
#include "tradetrust/bill_block.h"
#include "tradetrust/document.h"
#include "tradetrust/registry.h"
#include "tradetrust/salt.h"
#include "tradetrust/verify.h"

namespace onebill::api::cli {
namespace {

// State shared by one invocation; CLI11 binds options to these fields. Only one command runs per process.
struct BillArguments {
  ClientOptions client;
  std::string bill;
  std::string to;
  std::string holder;
  std::string beneficiary;
  std::string bank;
  std::string reference;
  std::string kind = "BOL";
  bool to_order = false;
  std::string id;
  std::string doc;
  std::vector<std::string> legs;
  std::string purpose;
  std::string reason;
  std::string remark;
  std::string nominee;
  bool cancel = false;
  std::uint32_t leg = 0;
  std::string event;
  std::string location;
  std::string time;
  std::string conveyance;
  std::vector<std::string> replaces;
  std::string bills_json;
  std::string action;
  std::string args_json;
  std::uint64_t expires_height = 0;
  std::string proposal;
  std::string address;
  std::string party;
  std::uint64_t height = 0;
  std::string after;
  std::uint32_t limit = 20;
  std::uint32_t wait_ms = 0;
  // searches
  std::string search_issuer, search_holder, search_beneficiary, search_pledgee, search_carrier, search_to,
      search_status;
};

using BodyBuilder = std::function<Result<json::Json>(BillArguments&)>;

Result<json::Json> with_remark(json::Json body, const BillArguments& args) {
  if (!args.remark.empty()) body["remark"] = args.remark;
  return body;
}

Result<std::string> party(BillArguments& args, const std::string& text, const char* option) {
  if (text.empty()) return invalid("invalid-argument", std::string("missing ") + option);
  auto address = resolve_party(args.client, text);
  if (!address) return address.problem();
  return address->to_string();
}

// Registers one signed action: `onebill <group> <name> BILL [options]`.
CLI::App* add_action(CLI::App& group, CommandContext& context, const std::shared_ptr<BillArguments>& args,
                     const std::string& name, const std::string& type, const std::string& help,
                     BodyBuilder build_body, bool takes_bill = true) {
  CLI::App* command = group.add_subcommand(
      name, help + "\nSigns `" + type + "` with the key's pending nonce and waits for commit.");
  if (takes_bill)
    command->add_option("bill", args->bill, "Bill id (0x + 64 hex, the document's merkleRoot)")->required();
  command->add_option("--remark", args->remark, "Free text kept in the bill's history (at most 255 bytes)");
  add_client_options(*command, args->client, true);
  command->callback([&context, args, type, build_body] {
    context.run = [args, type, build_body] {
      auto body = build_body(*args);
      if (!body) return report(body.problem());
      return print_submitted(args->client, type, submit(args->client, type, *body));
    };
  });
  return command;
}

json::Json bill_only(const BillArguments& args) {
  return json::Json{{"bill", args.bill}};
}

Result<json::Json> parse_legs(BillArguments& args) {
  json::Json legs = json::Json::array();
  for (const auto& text : args.legs) {
    // MODE,CARRIER,FROM,TO
    std::vector<std::string> parts;
    std::string::size_type start = 0;
    while (parts.size() < 5) {
      const auto comma = text.find(',', start);
      parts.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (parts.size() != 4) {
      return invalid(
          "invalid-argument",
          "--leg takes MODE,CARRIER,FROM,TO (e.g. RAIL,carrier-rail,CNCKG,CNQZH), got '" + text + "'");
    }
    auto carrier = party(args, parts[1], "leg carrier");
    if (!carrier) return carrier.problem();
    legs.push_back({{"mode", parts[0]}, {"carrier", *carrier}, {"from", parts[2]}, {"to", parts[3]}});
  }
  return legs;
}

// `bill issue --doc`: the ledger fields of a wrapped OneBill document (DESIGN §6). Refuses a document
// whose hashes do not hold, a batch-wrapped one (a bill is wrapped singly), one naming another chain or
// registry, and one whose onebill.issuer is not the signer.
Status issue_fields_from_document(BillArguments& a) {
  if (!a.id.empty() || !a.legs.empty())
    return invalid("invalid-argument", "--doc gives the id and legs; do not also pass --id or --leg");
  auto document = read_json_file(a.doc);
  if (!document) return document.problem();
  const tradetrust::Verification check = tradetrust::verify_document(*document, nullptr);
  for (const tradetrust::Fragment& fragment : check.fragments) {
    if (fragment.type == tradetrust::FragmentType::document_integrity &&
        (fragment.status == tradetrust::FragmentStatus::invalid ||
         fragment.status == tradetrust::FragmentStatus::error)) {
      return invalid("invalid-document",
                     a.doc + ": " + (fragment.reason ? fragment.reason->message : "integrity does not hold"));
    }
  }
  auto wrapped = tradetrust::parse_wrapped(*document);
  if (!wrapped) return wrapped.problem();
  if (wrapped->is_batched())
    return invalid("invalid-document",
                   a.doc + " is batch-wrapped; a OneBill bill is wrapped singly (`onebill doc wrap`)");
  auto data = tradetrust::unsalt_data(wrapped->data);
  if (!data) return data.problem();
  auto block = tradetrust::read_onebill_block(*data);
  if (!block) return Problem{block.problem().rule, a.doc + ": " + block.problem().detail};
  ONEBILL_TRY(tradetrust::check_dcsa_agrees(*data, *block));
  auto client = connect(a.client);
  if (!client) return client.problem();
  auto status = client->get("/v1/status");
  if (!status) return status.problem();
  const std::string chain = status->value("chain", std::string());
  if (block->chain != chain)
    return invalid("wrong-chain", a.doc + " is for chain " + block->chain + "; the node runs " + chain);
  const auto registry = tradetrust::registry_address(chain).to_string();
  const json::Json* issuers = data->contains("issuers") ? &(*data)["issuers"] : nullptr;
  if (issuers == nullptr || !issuers->is_array() || issuers->empty() || !(*issuers)[0].is_object() ||
      (*issuers)[0].value("tokenRegistry", std::string()) != registry) {
    return invalid("invalid-document",
                   a.doc + ": issuers[0].tokenRegistry must be this chain's registry " + registry);
  }
  auto signer = load_signer(a.client);
  if (!signer) return signer.problem();
  if (signer->address() != block->issuer) {
    return invalid("not-permitted", a.doc + " names issuer " + block->issuer.to_string() +
                                        ", but you sign as " + signer->address().to_string());
  }
  a.id = hex::encode(wrapped->merkle_root);
  a.reference = block->reference;
  a.kind = block->kind;
  a.to_order = block->to_order;
  for (const tradetrust::Leg& leg : block->legs) {
    a.legs.push_back(leg.mode + "," + leg.carrier.to_string() + "," + leg.from + "," + leg.to);
  }
  return {};
}

void add_bill_actions(CLI::App& bill, CommandContext& context, const std::shared_ptr<BillArguments>& args) {
  auto* issue = add_action(
      bill, context, args, "issue", "bill.issue",
      "Issue a bill (carrier). Give the id and the ledger fields, or --doc WRAPPED.json (see `onebill doc`).",
      [](BillArguments& a) -> Result<json::Json> {
        if (!a.doc.empty()) {
          auto from_document = issue_fields_from_document(a);
          if (!from_document) return from_document.problem();
        }
        if (a.id.empty())
          return invalid(
              "invalid-argument",
              "give --doc WRAPPED.json, or --id (the wrapped document's merkleRoot) with the ledger fields");
        auto holder = party(a, a.holder, "--holder");
        if (!holder) return holder.problem();
        auto legs = parse_legs(a);
        if (!legs) return legs.problem();
        json::Json body{{"id", a.id},        {"reference", a.reference},
                        {"kind", a.kind},    {"to_order", a.to_order},
                        {"holder", *holder}, {"legs", *legs}};
        if (!a.beneficiary.empty()) {
          auto beneficiary = party(a, a.beneficiary, "--beneficiary");
          if (!beneficiary) return beneficiary.problem();
          body["beneficiary"] = *beneficiary;
        }
        return with_remark(std::move(body), a);
      },
      false);
  issue->add_option("--id", args->id, "Bill id: the merkleRoot of its wrapped OpenAttestation document");
  issue->add_option("--doc", args->doc,
                    "A singly wrapped OneBill document (`onebill doc wrap`): id, reference, kind, to-order "
                    "and legs come from it");
  issue->add_option("--reference", args->reference,
                    "Transport document reference (DCSA, at most 20 characters)");
  issue->add_option("--kind", args->kind, "BOL (bill of lading) or SWB (sea waybill)")->capture_default_str();
  issue->add_flag("--to-order", args->to_order, "A negotiable (to order) bill of lading");
  issue
      ->add_option("--holder", args->holder,
                   "First holder: the shipper of a BOL, the consignee of an SWB (address or key name)")
      ->required();
  issue->add_option("--beneficiary", args->beneficiary,
                    "Title holder (consignee of a straight BOL); omit for a to-order bill in blank");
  issue->add_option("--leg", args->legs,
                    "A leg MODE,CARRIER,FROM,TO (repeat, in order; FROM/TO are UN/LOCODEs); not with --doc");

  // transfer_holder and endorse share the body {bill, to}.
  const BodyBuilder bill_to = [](BillArguments& a) -> Result<json::Json> {
    auto to = party(a, a.to, "--to");
    if (!to) return to.problem();
    return with_remark({{"bill", a.bill}, {"to", *to}}, a);
  };
  add_action(bill, context, args, "transfer", "bill.transfer_holder",
             "Pass possession of the bill to another participant (holder).", bill_to)
      ->add_option("--to", args->to, "New holder (address or key name)")
      ->required();
  add_action(bill, context, args, "endorse", "bill.endorse",
             "Endorse the bill to a new title holder (holder of a to-order bill).", bill_to)
      ->add_option("--to", args->to, "New beneficiary (address or key name)")
      ->required();

  auto* nominate = add_action(bill, context, args, "nominate", "bill.nominate",
                              "Nominate the next title holder (beneficiary), or --cancel a nomination.",
                              [](BillArguments& a) -> Result<json::Json> {
                                json::Json body{{"bill", a.bill}};
                                if (a.cancel) {
                                  body["nominee"] = nullptr;
                                } else {
                                  auto nominee = party(a, a.nominee, "--nominee");
                                  if (!nominee) return nominee.problem();
                                  body["nominee"] = *nominee;
                                }
                                return with_remark(std::move(body), a);
                              });
  nominate->add_option("--nominee", args->nominee, "Nominee (address or key name)");
  nominate->add_flag("--cancel", args->cancel, "Cancel the current nomination");

  auto* owners = add_action(
      bill, context, args, "transfer-owners", "bill.transfer_owners",
      "Pass possession and title at once (holder of a to-order bill).",
      [](BillArguments& a) -> Result<json::Json> {
        auto holder = party(a, a.holder, "--holder");
        if (!holder) return holder.problem();
        auto beneficiary = party(a, a.beneficiary, "--beneficiary");
        if (!beneficiary) return beneficiary.problem();
        return with_remark({{"bill", a.bill}, {"holder", *holder}, {"beneficiary", *beneficiary}}, a);
      });
  owners->add_option("--holder", args->holder, "New holder")->required();
  owners->add_option("--beneficiary", args->beneficiary, "New beneficiary")->required();

  auto* pledge =
      add_action(bill, context, args, "pledge", "bill.pledge",
                 "Pledge the bill to a bank as collateral (holder); the bank becomes holder.",
                 [](BillArguments& a) -> Result<json::Json> {
                   auto bank = party(a, a.bank, "--bank");
                   if (!bank) return bank.problem();
                   return with_remark({{"bill", a.bill}, {"bank", *bank}, {"reference", a.reference}}, a);
                 });
  pledge->add_option("--bank", args->bank, "The bank (address or key name)")->required();
  pledge->add_option("--reference", args->reference, "The bank's loan or pledge reference")->required();

  auto* surrender = add_action(bill, context, args, "surrender", "bill.surrender",
                               "Surrender the bill to its issuer for DELIVERY or AMENDMENT (holder).",
                               [](BillArguments& a) -> Result<json::Json> {
                                 json::Json body{{"bill", a.bill}, {"purpose", a.purpose}};
                                 if (!a.reason.empty()) body["reason"] = a.reason;
                                 return with_remark(std::move(body), a);
                               });
  surrender->add_option("--purpose", args->purpose, "DELIVERY or AMENDMENT")->required();
  surrender->add_option(
      "--reason", args->reason,
      "With AMENDMENT: SWTP (switch to paper), COD (change of destination) or SWI (switch)");

  auto* reject_surrender =
      add_action(bill, context, args, "reject-surrender", "bill.reject_surrender",
                 "Reject a pending surrender (issuer); the bill is live again with its parties as before.",
                 [](BillArguments& a) -> Result<json::Json> {
                   return json::Json{{"bill", a.bill}, {"remark", a.remark}};
                 });
  reject_surrender->get_option("--remark")->required();

  struct Simple {
    const char* name;
    const char* type;
    const char* help;
  };
  for (const Simple& simple : {
           Simple{"blank-endorse", "bill.blank_endorse",
                  "Endorse the bill in blank (holder of a to-order bill): whoever holds it has title."},
           Simple{"reject-transfer", "bill.reject_transfer",
                  "Refuse a transfer, endorsement or pledge you received; the bill goes back."},
           Simple{"release", "bill.release", "Release a pledge (the bank): the bill returns to the pledgor."},
           Simple{"enforce", "bill.enforce",
                  "Enforce a pledge (the bank, on default): the bank becomes title holder."},
           Simple{"withdraw-surrender", "bill.withdraw_surrender",
                  "Withdraw your pending surrender request."},
           Simple{"accept-surrender", "bill.accept_surrender",
                  "Accept a pending surrender (issuer): DELIVERY surrenders, AMENDMENT voids."},
       }) {
    add_action(bill, context, args, simple.name, simple.type, simple.help,
               [](BillArguments& a) -> Result<json::Json> { return with_remark(bill_only(a), a); });
  }

  auto* reissue = add_action(
      bill, context, args, "reissue", "bill.reissue",
      "Reissue after an accepted amendment (issuer): replace voided bills by new ones (amend, split, merge).",
      [](BillArguments& a) -> Result<json::Json> {
        auto bills = json::read(a.bills_json);
        if (!bills) return bills.problem();
        return with_remark({{"replaces", a.replaces}, {"bills", *bills}}, a);
      },
      false);
  reissue->add_option("--replaces", args->replaces, "A voided bill this reissue replaces (repeat)")
      ->required();
  reissue
      ->add_option(
          "--bills", args->bills_json,
          "JSON array of the new bills: [{id, reference, kind, to_order, legs:[{mode,carrier,from,to}]}]")
      ->required();
}

std::string utc_time_of_ms(std::uint64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d UTC", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return text;
}

std::string text_of(const json::Json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// Customs' provenance view: one line per action or leg event, in chain order, with who signed it.
void print_provenance(const json::Json& answer) {
  std::cout << "bill " << text_of(answer.value("bill", json::Json(""))) << "\n";
  const json::Json entries = answer.value("entries", json::Json::array());
  for (const json::Json& entry : entries) {
    if (!entry.is_object()) continue;
    std::cout << "  block " << text_of(entry.value("height", json::Json(0))) << "  "
              << utc_time_of_ms(entry.value("time_ms", std::uint64_t{0})) << "  "
              << text_of(entry.value("action", json::Json("")));
    if (entry.contains("dcsa")) std::cout << " (" << text_of(entry["dcsa"]) << ")";
    std::cout << "\n      by " << text_of(entry.value("signer_name", json::Json("?"))) << " "
              << text_of(entry.value("signer", json::Json(""))) << "\n";
    if (entry.contains("recipient") && !entry["recipient"].is_null()) {
      std::cout << "      to ";
      if (entry.contains("recipient_name")) std::cout << text_of(entry["recipient_name"]) << " ";
      std::cout << text_of(entry["recipient"]) << "\n";
    }
    if (entry.contains("details") && entry["details"].is_object()) {
      std::string line;
      for (const auto& [key, value] : entry["details"].items()) line += key + "=" + text_of(value) + " ";
      if (!line.empty()) std::cout << "      " << line << "\n";
    }
    if (entry.contains("remark")) std::cout << "      remark: " << text_of(entry["remark"]) << "\n";
    std::cout << "      tx " << text_of(entry.value("tx", json::Json(""))) << "\n";
  }
  if (answer.contains("valid_at") && answer["valid_at"].is_object()) {
    std::cout << "  (as of block " << text_of(answer["valid_at"].value("height", json::Json(0))) << ", hash "
              << text_of(answer["valid_at"].value("block_hash", json::Json(""))) << ")\n";
  }
}

// A page of GET /v1/bills: one block per bill (id, reference, status, parties, route), then how to go on.
void print_bill_list(const json::Json& answer) {
  const json::Json bills = answer.value("bills", json::Json::array());
  if (bills.empty())
    std::cout << "no bills found (a participant sees only the bills it is or was party to)\n";
  for (const json::Json& bill : bills) {
    if (!bill.is_object()) continue;
    std::cout << text_of(bill.value("id", json::Json(""))) << "\n  "
              << text_of(bill.value("reference", json::Json(""))) << "  "
              << text_of(bill.value("kind", json::Json("")))
              << (bill.value("to_order", false) ? " to order" : "") << "  "
              << text_of(bill.value("status", json::Json(""))) << "\n";
    std::cout << "  holder " << text_of(bill.value("holder", json::Json(""))) << "  beneficiary "
              << (bill.contains("beneficiary") && !bill["beneficiary"].is_null()
                      ? text_of(bill["beneficiary"])
                      : "(blank)")
              << "\n";
    if (bill.contains("pledge") && bill["pledge"].is_object()) {
      std::cout << "  pledged to " << text_of(bill["pledge"].value("bank", json::Json(""))) << " (reference "
                << text_of(bill["pledge"].value("reference", json::Json(""))) << ")\n";
    }
    std::string route;
    for (const json::Json& leg : bill.value("legs", json::Json::array())) {
      if (route.empty()) route = text_of(leg.value("from", json::Json("")));
      route += " -" + text_of(leg.value("mode", json::Json(""))) + "-> " +
               text_of(leg.value("to", json::Json("")));
    }
    if (!route.empty()) std::cout << "  route " << route << "\n";
  }
  if (answer.contains("next")) std::cout << "more: repeat with --after " << text_of(answer["next"]) << "\n";
}

// A page of GET /v1/events: one line per history entry naming the party, then the cursor to go on.
void print_events(const json::Json& answer) {
  const json::Json events = answer.value("events", json::Json::array());
  std::cout << "events naming " << text_of(answer.value("party", json::Json(""))) << "\n";
  if (events.empty()) std::cout << "  (none new)\n";
  for (const json::Json& event : events) {
    if (!event.is_object()) continue;
    std::cout << "  block " << text_of(event.value("height", json::Json(0))) << "  "
              << utc_time_of_ms(event.value("time_ms", std::uint64_t{0})) << "  "
              << text_of(event.value("action", json::Json("")));
    if (event.contains("dcsa")) std::cout << " (" << text_of(event["dcsa"]) << ")";
    std::cout << "  bill " << text_of(event.value("bill", json::Json(""))) << "\n      by "
              << text_of(event.value("signer_name", json::Json("?"))) << " "
              << text_of(event.value("signer", json::Json("")));
    if (event.contains("recipient") && !event["recipient"].is_null())
      std::cout << " to " << text_of(event["recipient"]);
    std::cout << "\n";
  }
  const std::string next = answer.value("next", std::string());
  if (!next.empty()) std::cout << "next: --after " << next << "\n";
}

using Printer = std::function<void(const json::Json&)>;

// GET a target (signed when a key is given; the operator on loopback reads without) and print it:
// JSON with --json, else with `print` (an outline by default).
int get_and_print(const ClientOptions& options, const std::string& target, const Printer& print = {}) {
  auto client = connect(options);
  if (!client) return report(client.problem());
  auto reader = load_optional_reader(options);
  if (!reader) return report(reader.problem());
  auto answer = client->get(target, reader->has_value() ? &**reader : nullptr);
  if (!answer) return report(answer.problem());
  if (options.json_output) {
    std::cout << answer->dump(2) << "\n";
  } else if (print) {
    print(*answer);
  } else {
    print_outline(*answer);
  }
  return exit_ok;
}

void add_reads(CLI::App& bill, CommandContext& context, const std::shared_ptr<BillArguments>& args) {
  struct Read {
    const char* name;
    const char* suffix;
    const char* help;
  };
  for (const Read& read : {
           Read{"show", "", "Show a bill: parties, status, pledge, legs."},
           Read{"history", "/history",
                "The bill's provenance: every action and leg event, who signed it, when, in which block."},
           Read{"legs", "/legs", "The bill's legs with their handover events."},
           Read{"control", "/control",
                "Who controls the bill now: possessor, title holder, pledge, status, and the block it is "
                "valid at."},
       }) {
    CLI::App* command = bill.add_subcommand(read.name, read.help);
    command->add_option("bill", args->bill, "Bill id (0x + 64 hex)")->required();
    add_client_options(*command, args->client, false);
    const std::string suffix = read.suffix;
    command->callback([&context, args, suffix] {
      context.run = [args, suffix] {
        return get_and_print(args->client, "/v1/bills/" + args->bill + suffix,
                             suffix == "/history" ? Printer(print_provenance) : Printer());
      };
    });
  }

  CLI::App* find = bill.add_subcommand(
      "find",
      "Search bills, newest first (signed read): by issuer (with --reference: one bill), holder, "
      "beneficiary, "
      "pledgee, carrier, destination or status; options combine (--to SGSIN --status ISSUED). A participant "
      "sees "
      "only the bills it is or was party to; CUSTOMS and the operator see all. Bills pledged to a bank: "
      "--pledgee bank --as bank; bills arriving at a place: --to SGSIN --as customs.");
  find->add_option("--issuer", args->search_issuer,
                   "Issuer (address or key name); with --reference finds one bill");
  find->add_option("--reference", args->reference, "Transport document reference (with --issuer)");
  find->add_option("--holder", args->search_holder, "Current holder");
  find->add_option("--beneficiary", args->search_beneficiary, "Current beneficiary");
  find->add_option("--pledgee", args->search_pledgee, "Bank of a current pledge");
  find->add_option("--carrier", args->search_carrier, "Carrier of any leg");
  find->add_option("--to", args->search_to, "Destination UN/LOCODE (the last leg's `to`)");
  find->add_option("--status", args->search_status, "ISSUED, PENDING_SURRENDER, SURRENDERED or VOIDED");
  find->add_option("--limit", args->limit, "At most this many bills per page (≤ 1000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  find->add_option("--after", args->after, "Continue after this cursor (the `next` of the previous page)");
  add_client_options(*find, args->client, false);
  find->callback([&context, args] {
    context.run = [args] {
      std::string query;
      auto add = [&](const char* name, const std::string& value, bool is_party) -> Status {
        if (value.empty()) return {};
        std::string text = value;
        if (is_party) {
          auto address = resolve_party(args->client, value);
          if (!address) return address.problem();
          text = address->to_string();
        }
        query += (query.empty() ? "?" : "&") + std::string(name) + "=" + text;
        return {};
      };
      for (const auto& status :
           {add("issuer", args->search_issuer, true), add("reference", args->reference, false),
            add("holder", args->search_holder, true), add("beneficiary", args->search_beneficiary, true),
            add("pledgee", args->search_pledgee, true), add("carrier", args->search_carrier, true),
            add("to", args->search_to, false), add("status", args->search_status, false),
            add("after", args->after, false)}) {
        if (!status) return report(status.problem());
      }
      if (query.empty())
        return report(invalid("invalid-argument",
                              "give a search: --issuer, --holder, --beneficiary, --pledgee, --carrier, --to "
                              "or --status (see --help)"));
      query += "&limit=" + std::to_string(args->limit);
      return get_and_print(args->client, "/v1/bills" + query, print_bill_list);
    };
  });
}

// A signed or open GET printed as an outline (status, block, participant, events).
void add_get(CLI::App& parent, CommandContext& context, const std::shared_ptr<BillArguments>& args,
             CLI::App* command, std::function<std::string(BillArguments&)> target, Printer print = {}) {
  (void)parent;
  add_client_options(*command, args->client, false);
  command->callback([&context, args, target, print] {
    context.run = [args, target, print] { return get_and_print(args->client, target(*args), print); };
  });
}

}  // namespace

void add_bill_commands(CLI::App& root, CommandContext& context) {
  auto args = std::make_shared<BillArguments>();

  CLI::App* bill = root.add_subcommand(
      "bill", "Act on bills (issue, transfer, endorse, pledge, surrender, ...) and read them");
  bill->require_subcommand(1);
  add_bill_actions(*bill, context, args);
  add_reads(*bill, context, args);

  CLI::App* leg = root.add_subcommand("leg", "Record handover events of a bill's transport legs (carriers)");
  leg->require_subcommand(1);
  auto* record = add_action(*leg, context, args, "record", "leg.record",
                            "Record a leg event: RECEIVED and DEPARTED at the leg's origin, ARRIVED and "
                            "HANDED_OVER at its destination.",
                            [](BillArguments& a) -> Result<json::Json> {
                              json::Json body{{"bill", a.bill},
                                              {"leg", a.leg},
                                              {"event", a.event},
                                              {"location", a.location},
                                              {"time", a.time.empty() ? rfc3339_ms(std::chrono::system_clock::now()) : a.time}};
                              if (!a.conveyance.empty()) body["conveyance"] = a.conveyance;
                              return with_remark(std::move(body), a);
                            });
  record->add_option("--leg", args->leg, "Leg index, from 0")->required();
  record->add_option("--event", args->event, "RECEIVED, DEPARTED, ARRIVED or HANDED_OVER")->required();
  record->add_option("--location", args->location, "UN/LOCODE where it happened (e.g. CNQZH)")->required();
  record->add_option("--time", args->time, "When, RFC 3339 UTC with milliseconds (default: now)");
  record->add_option("--conveyance", args->conveyance,
                     "Train, truck, vessel or barge (at most 64 characters)");

  CLI::App* gov = root.add_subcommand("gov", "Consortium governance by its admins: propose and approve");
  gov->require_subcommand(1);
  auto* propose = add_action(
      *gov, context, args, "propose", "gov.propose",
      "Propose a governance action (admin); your proposal counts as your approval.",
      [](BillArguments& a) -> Result<json::Json> {
        auto action_args = json::read(a.args_json);
        if (!action_args) return action_args.problem();
        return with_remark(
            {{"action", a.action}, {"args", *action_args}, {"expires_height", a.expires_height}}, a);
      },
      false);
  propose
      ->add_option("--action", args->action,
                   "participant.admit|participant.update|participant.suspend|participant.reinstate|"
                   "validator.set|validator.remove|bill.rectify")
      ->required();
  propose->add_option("--args", args->args_json, "The action's arguments as JSON")->required();
  propose->add_option("--expires-height", args->expires_height, "The proposal lapses at this height")
      ->required();
  auto* approve = add_action(
      *gov, context, args, "approve", "gov.approve", "Approve a proposal (admin).",
      [](BillArguments& a) -> Result<json::Json> {
        return with_remark({{"proposal", a.proposal}}, a);
      },
      false);
  approve->add_option("proposal", args->proposal, "The proposing transaction's id")->required();

  CLI::App* participant = root.add_subcommand("participant", "Read the registry");
  participant->require_subcommand(1);
  CLI::App* show = participant->add_subcommand(
      "show", "Show a participant: organisation, roles, domain, nonces (signed read).");
  show->add_option("address", args->address, "Address or key name")->required();
  add_get(*participant, context, args, show, [](BillArguments& a) {
    auto address = resolve_party(a.client, a.address);
    return "/v1/participants/" + (address ? address->to_string() : a.address);
  });

  CLI::App* status =
      root.add_subcommand("status", "The node's status: chain, height, registry address, validators");
  add_get(root, context, args, status, [](BillArguments&) { return std::string("/v1/status"); });

  CLI::App* block = root.add_subcommand(
      "block",
      "A block: header, hash and commit; its transactions for the operator and CUSTOMS, your own with --as");
  block->add_option("height", args->height, "Block height")->required();
  add_get(root, context, args, block,
          [](BillArguments& a) { return "/v1/blocks/" + std::to_string(a.height); });

  CLI::App* events = root.add_subcommand(
      "events",
      "History entries naming a party, in chain order (signed read). A participant reads its own; CUSTOMS "
      "and the "
      "operator (on the node's machine) name any party. --wait-ms long-polls for new ones.");
  events->add_option("--party", args->party,
                     "The party (address or key name); default: the signer (--as/--key)");
  events->add_option("--after", args->after,
                     "Continue after this cursor (the `next` of the previous answer)");
  events->add_option("--wait-ms", args->wait_ms, "Wait up to this long for new events (≤ 30000)")
      ->check(CLI::Range(0, 30000));
  add_get(
      root, context, args, events,
      [](BillArguments& a) {
        std::string query;
        auto add = [&](const std::string& name, const std::string& value) {
          query += (query.empty() ? "?" : "&") + name + "=" + value;
        };
        if (!a.party.empty()) {
          auto address = resolve_party(a.client, a.party);
          add("party", address ? address->to_string() : a.party);
        }
        if (!a.after.empty()) add("after", a.after);
        if (a.wait_ms > 0) add("wait_ms", std::to_string(a.wait_ms));
        return "/v1/events" + query;
      },
      print_events);
}

}  // namespace onebill::api::cli
