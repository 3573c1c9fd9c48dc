#include "api/bench_workload.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>

#include "api/time_text.h"
#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/json.h"
#include "ledger/transaction.h"

namespace onebill::api::bench {
namespace {

using json::Json;

struct Planned {
  std::uint32_t sender = 0;
  std::uint32_t bill = 0;
  std::string type;
  Json body;
  std::vector<std::uint32_t> after;
};

std::string role_word(ledger::Role role) {
  switch (role) {
    case ledger::Role::carrier:
      return "carrier";
    case ledger::Role::bank:
      return "bank";
    case ledger::Role::customs:
      return "customs";
    case ledger::Role::trader:
      return "trader";
    case ledger::Role::admin:
      return "admin";
  }
  return "party";
}

// The parties and legs of one bill.
struct BillPlan {
  Hash32 id_hash{};
  std::string id;
  std::string reference;
  std::size_t issuer = 0, second = 0, third = 0;  // carriers (third only with 3 legs)
  std::size_t shipper = 0, consignee = 0, bank = 0;
  bool three_legs = false;
  bool transfer_owners = false;
};

}  // namespace

std::vector<BenchAccount> make_accounts(const AccountCounts& counts) {
  std::vector<BenchAccount> accounts;
  auto add = [&](std::size_t count, ledger::Role role) {
    for (std::size_t i = 0; i < count; ++i) {
      const PrivateKey key = PrivateKey::generate();
      const std::string word = role_word(role);
      accounts.push_back(BenchAccount{key, key.address(), key.address().to_string(), role,
                                      "Bench " + word + " " + std::to_string(i),
                                      "bench-" + word + "-" + std::to_string(i) + ".example"});
    }
  };
  add(counts.carriers, ledger::Role::carrier);
  add(counts.traders, ledger::Role::trader);
  add(counts.banks, ledger::Role::bank);
  add(counts.customs, ledger::Role::customs);
  return accounts;
}

WorkloadGenerator::WorkloadGenerator(std::string chain, const std::vector<BenchAccount>& accounts,
                                     std::uint64_t seed)
    : chain_(std::move(chain)), accounts_(accounts), next_nonce_(accounts.size(), 0), seed_(seed) {
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (accounts[i].role == ledger::Role::carrier) carriers_.push_back(i);
    if (accounts[i].role == ledger::Role::trader) traders_.push_back(i);
    if (accounts[i].role == ledger::Role::bank) banks_.push_back(i);
  }
  ONEBILL_ASSERT(carriers_.size() >= 3 && traders_.size() >= 2 && !banks_.empty());
}

void WorkloadGenerator::set_next_nonces(const std::vector<std::uint64_t>& next_nonces) {
  ONEBILL_ASSERT(next_nonces.size() == next_nonce_.size());
  next_nonce_ = next_nonces;
}

Result<Workload> WorkloadGenerator::generate(std::size_t cohorts, std::size_t bills_per_cohort,
                                             unsigned threads) {
  ONEBILL_ASSERT(bills_per_cohort > 0);
  const std::string time_text = rfc3339_ms(std::chrono::system_clock::now());
  // Plan every bill first: ids, parties, legs.
  std::vector<BillPlan> plans;
  plans.reserve(cohorts * bills_per_cohort);
  for (std::size_t i = 0; i < cohorts * bills_per_cohort; ++i) {
    const std::uint64_t n = bill_counter_++;
    BillPlan plan;
    const std::string seed_text = "onebill bench " + std::to_string(seed_) + " " + std::to_string(n);
    plan.id_hash = keccak256(std::string_view(seed_text));
    plan.id = hex::encode(plan.id_hash);
    plan.reference = "BN" + std::to_string(seed_ % 100000) + "-" + std::to_string(n);
    // Spread roles so that each account's share is even; mixing strides keeps parties distinct.
    plan.issuer = carriers_[n % carriers_.size()];
    plan.second = carriers_[(n * 7 + 1) % carriers_.size()];
    if (plan.second == plan.issuer) plan.second = carriers_[(n + 1) % carriers_.size()];
    plan.three_legs = n % 3 == 0;
    plan.third = carriers_[(n * 13 + 2) % carriers_.size()];
    if (plan.third == plan.second || plan.third == plan.issuer)
      plan.third = carriers_[(n + 2) % carriers_.size()];
    plan.shipper = traders_[n % traders_.size()];
    plan.consignee = traders_[(n * 5 + 1) % traders_.size()];
    if (plan.consignee == plan.shipper) plan.consignee = traders_[(n + 1) % traders_.size()];
    plan.bank = banks_[n % banks_.size()];
    plan.transfer_owners = n % 2 == 1;
    plans.push_back(std::move(plan));
  }

  std::vector<Planned> planned;
  planned.reserve(static_cast<std::size_t>(static_cast<double>(plans.size()) * transactions_per_bill) + 16);
  // The transactions of each bill's previous step, as indexes into `planned`.
  std::vector<std::vector<std::uint32_t>> previous_step(plans.size());
  const auto& a = accounts_;
  auto leg_event = [&](const BillPlan& bill, unsigned leg, const char* event, const char* location) {
    Json body = {
        {"bill", bill.id}, {"leg", leg}, {"event", event}, {"location", location}, {"time", time_text}};
    if (std::string_view(event) == "RECEIVED")
      body["conveyance"] = leg == 1 ? "MV Lancang" : "X8083 Chongqing-Qinzhou";
    return body;
  };

  const std::size_t rounds = cohorts + steps_per_bill - 1;
  for (std::size_t round = 0; round < rounds; ++round) {
    for (std::size_t slot = 0; slot < bills_per_cohort; ++slot) {
      for (std::size_t step = 0; step < steps_per_bill; ++step) {
        if (step > round || round - step >= cohorts) continue;
        const std::size_t bill_index = (round - step) * bills_per_cohort + slot;
        const BillPlan& bill = plans[bill_index];
        std::vector<std::uint32_t> this_step;
        auto emit = [&](std::size_t sender, const char* type, Json body) {
          Planned tx;
          tx.sender = static_cast<std::uint32_t>(sender);
          tx.bill = static_cast<std::uint32_t>(bill_index);
          tx.type = type;
          tx.body = std::move(body);
          for (std::uint32_t before : previous_step[bill_index])
            if (planned[before].sender != tx.sender) tx.after.push_back(before);
          this_step.push_back(static_cast<std::uint32_t>(planned.size()));
          planned.push_back(std::move(tx));
        };
        switch (step) {
          case 0: {
            Json legs = Json::array();
            legs.push_back({{"mode", "RAIL"},
                            {"carrier", a[bill.issuer].address_text},
                            {"from", "CNCKG"},
                            {"to", "CNQZH"}});
            legs.push_back({{"mode", "SEA"},
                            {"carrier", a[bill.second].address_text},
                            {"from", "CNQZH"},
                            {"to", "SGSIN"}});
            if (bill.three_legs)
              legs.push_back({{"mode", "ROAD"},
                              {"carrier", a[bill.third].address_text},
                              {"from", "SGSIN"},
                              {"to", "MYJHB"}});
            emit(bill.issuer, "bill.issue",
                 {{"id", bill.id},
                  {"reference", bill.reference},
                  {"kind", "BOL"},
                  {"to_order", true},
                  {"holder", a[bill.shipper].address_text},
                  {"beneficiary", a[bill.shipper].address_text},
                  {"legs", legs}});
            emit(bill.issuer, "leg.record", leg_event(bill, 0, "RECEIVED", "CNCKG"));
            emit(bill.issuer, "leg.record", leg_event(bill, 0, "DEPARTED", "CNCKG"));
            break;
          }
          case 1:
            emit(bill.shipper, "bill.pledge",
                 {{"bill", bill.id},
                  {"bank", a[bill.bank].address_text},
                  {"reference", "LC-" + bill.reference}});
            emit(bill.issuer, "leg.record", leg_event(bill, 0, "ARRIVED", "CNQZH"));
            emit(bill.issuer, "leg.record", leg_event(bill, 0, "HANDED_OVER", "CNQZH"));
            break;
          case 2:
            emit(bill.bank, "bill.release", {{"bill", bill.id}});
            emit(bill.second, "leg.record", leg_event(bill, 1, "RECEIVED", "CNQZH"));
            emit(bill.second, "leg.record", leg_event(bill, 1, "DEPARTED", "CNQZH"));
            break;
          case 3:
            if (bill.transfer_owners) {
              emit(bill.shipper, "bill.transfer_owners",
                   {{"bill", bill.id},
                    {"beneficiary", a[bill.consignee].address_text},
                    {"holder", a[bill.consignee].address_text}});
            } else {
              emit(bill.shipper, "bill.endorse", {{"bill", bill.id}, {"to", a[bill.consignee].address_text}});
              emit(bill.shipper, "bill.transfer_holder",
                   {{"bill", bill.id}, {"to", a[bill.consignee].address_text}});
            }
            emit(bill.second, "leg.record", leg_event(bill, 1, "ARRIVED", "SGSIN"));
            break;
          case 4:
            emit(bill.consignee, "bill.surrender", {{"bill", bill.id}, {"purpose", "DELIVERY"}});
            if (bill.three_legs) {
              emit(bill.third, "leg.record", leg_event(bill, 2, "RECEIVED", "SGSIN"));
              emit(bill.third, "leg.record", leg_event(bill, 2, "DEPARTED", "SGSIN"));
            }
            break;
          case 5:
            emit(bill.issuer, "bill.accept_surrender", {{"bill", bill.id}});
            if (bill.three_legs) emit(bill.third, "leg.record", leg_event(bill, 2, "ARRIVED", "MYJHB"));
            break;
          case 6:
            if (bill.three_legs) {
              emit(bill.third, "leg.record", leg_event(bill, 2, "HANDED_OVER", "MYJHB"));
            } else {
              emit(bill.second, "leg.record", leg_event(bill, 1, "HANDED_OVER", "SGSIN"));
            }
            break;
          default:
            ONEBILL_ASSERT(false);
        }
        previous_step[bill_index] = std::move(this_step);
      }
    }
  }

  // Nonces in schedule order, then sign in parallel (signing is the costly part).
  Workload workload;
  workload.txs.resize(planned.size());
  for (std::size_t i = 0; i < planned.size(); ++i) {
    workload.txs[i].sender = planned[i].sender;
    workload.txs[i].nonce = next_nonce_[planned[i].sender]++;
    workload.txs[i].type = planned[i].type;
    workload.txs[i].bill = planned[i].bill;
    workload.txs[i].after = std::move(planned[i].after);
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mutex;
  auto sign_some = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= planned.size() || failed.load()) return;
      const BenchAccount& signer = accounts_[planned[i].sender];
      auto unsigned_tx = ledger::build_transaction(chain_, planned[i].type, workload.txs[i].nonce,
                                                   signer.address, planned[i].body);
      Result<Json> signed_tx = unsigned_tx ? ledger::sign_transaction(*unsigned_tx, signer.key)
                                           : Result<Json>(unsigned_tx.problem());
      if (!signed_tx) {
        std::lock_guard lock(failure_mutex);
        failure = planned[i].type + ": " + signed_tx.problem().rule + ": " + signed_tx.problem().detail;
        failed = true;
        return;
      }
      workload.txs[i].wire = json::canonical(*signed_tx);
    }
  };
  std::vector<std::thread> signers;
  for (unsigned t = 1; t < std::max(1u, threads); ++t) signers.emplace_back(sign_some);
  sign_some();
  for (auto& thread : signers) thread.join();
  if (failed) return local_fault("bench", "the bench could not sign its workload: " + failure);
  for (const auto& plan : plans) workload.bills.push_back(plan.id_hash);
  return workload;
}

}  // namespace onebill::api::bench
