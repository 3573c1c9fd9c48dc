// The workload of `onebill bench` (issue 9): many participant accounts and pre-signed transactions that
// walk bills of lading through their lives as carriers, traders and banks do, in an order that stays
// valid per account.
//
// A bill's life is seven steps; each step's transactions need the previous step committed (another
// signer acted), while transactions of one signer within a step only need to arrive in nonce order:
//   0 issuer: bill.issue (2 or 3 legs), leg 0 RECEIVED, DEPARTED
//   1 shipper: bill.pledge to a bank; issuer: leg 0 ARRIVED, HANDED_OVER
//   2 bank: bill.release; second carrier: leg 1 RECEIVED, DEPARTED
//   3 shipper: bill.endorse + bill.transfer_holder to the consignee (or bill.transfer_owners, every
//     other bill); second carrier: leg 1 ARRIVED
//   4 consignee: bill.surrender for DELIVERY; third carrier (3 legs): leg 2 RECEIVED, DEPARTED
//   5 issuer: bill.accept_surrender; third carrier: leg 2 ARRIVED
//   6 the last leg's carrier: HANDED_OVER (delivery, after the surrender)
// Bills come in cohorts of `bills_per_cohort`; round k holds step r of cohort k - r, bill by bill, so
// a bill's consecutive steps are one round apart and every round mixes every kind of transaction.
// Nonces follow that order, so a signer's transactions are never blocked behind a later round.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/address.h"
#include "crypto/bytes.h"
#include "crypto/secp256k1.h"
#include "ledger/state.h"

namespace onebill::api::bench {

struct BenchAccount {
  PrivateKey key;
  Address address;
  std::string address_text;  // EIP-55, as it appears in `from`
  ledger::Role role;
  std::string name;
  std::string domain;
};

// The participants a bench admits before timing: carriers sign most transactions (issue, legs,
// surrender answers), so they are the most numerous.
struct AccountCounts {
  std::size_t carriers = 160;
  std::size_t traders = 160;
  std::size_t banks = 24;
  std::size_t customs = 4;
};
std::vector<BenchAccount> make_accounts(const AccountCounts& counts);

struct SignedTx {
  std::uint32_t sender = 0;  // index into the accounts
  std::uint64_t nonce = 0;
  std::string wire;                  // the signed transaction, canonical JSON
  std::vector<std::uint32_t> after;  // transactions (of other signers) that must be committed first
  std::string type;                  // "bill.issue", ...
  std::uint32_t bill = 0;            // the bill it steps: an index into Workload::bills
};

struct Workload {
  std::vector<SignedTx> txs;  // in schedule order
  std::vector<Hash32> bills;  // the bills issued by this workload
};

// Plans and signs workloads with one account set; nonces continue from one workload to the next.
class WorkloadGenerator {
 public:
  WorkloadGenerator(std::string chain, const std::vector<BenchAccount>& accounts, std::uint64_t seed);

  // Sets each account's next nonce (after a phase that left transactions unsent).
  void set_next_nonces(const std::vector<std::uint64_t>& next_nonces);

  // `cohorts` cohorts of `bills_per_cohort` bills, every step of each; signed on `threads` threads.
  Result<Workload> generate(std::size_t cohorts, std::size_t bills_per_cohort, unsigned threads);

  // Transactions per bill, on average, of the plan above (for sizing a workload).
  static constexpr double transactions_per_bill = 15.5;
  static constexpr std::size_t steps_per_bill = 7;

 private:
  std::string chain_;
  const std::vector<BenchAccount>& accounts_;
  std::vector<std::size_t> carriers_, traders_, banks_;
  std::vector<std::uint64_t> next_nonce_;
  std::uint64_t bill_counter_ = 0;
  std::uint64_t seed_;
};

}  // namespace onebill::api::bench
