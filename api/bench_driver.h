// The load side of `onebill bench`: submits a pre-signed workload over many keep-alive connections
// (TCP_NODELAY), follows the committed blocks to learn when each transaction committed, and makes reads
// at a fixed rate. Times come from the committed blocks the node serves, never from submit answers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/bench_workload.h"
#include "crypto/result.h"

namespace onebill::api::bench {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

struct SubmitOptions {
  std::vector<Endpoint> nodes;   // a signer always submits to the same node (its mempool orders its nonces)
  std::size_t connections = 24;  // keep-alive connections in all (see BenchOptions::connections)
  double offered_per_s = 0;      // 0: as fast as the node admits (saturation); else open loop at this rate
  std::chrono::milliseconds duration{10'000};  // how long to send
  std::chrono::milliseconds drain{0};          // after sending stops, how long to wait for commits
  std::chrono::milliseconds warmup{1'000};     // excluded from the throughput window
  std::uint64_t start_height = 0;              // blocks above this are followed
  std::size_t max_pending_per_sender = 48;     // below limits::max_pending_per_sender
  // Transactions per request: 1 sends each alone (POST /v1/tx); more sends what one connection has
  // ready at once, up to this many, in one POST /v1/txs (at most limits::max_batch_transactions).
  std::size_t batch = 1;
  // Called about every 100 ms with (elapsed s, committed transactions so far) for a progress bar.
  std::function<void(double, std::uint64_t)> progress;
};

struct SubmitResult {
  std::uint64_t committed = 0;           // workload transactions seen in blocks
  std::uint64_t block_transactions = 0;  // all transactions in the blocks followed
  std::uint64_t sent = 0;                // admitted by the node (202/200)
  std::uint64_t refused = 0;             // answered with a problem other than busy/full
  // 503/429 answers, and 409/403s of a validator behind the followed one: sent again later.
  std::uint64_t retried = 0;
  std::uint64_t connection_errors = 0;
  std::string first_refusal;   // rule and detail of the first refusal, if any
  double committed_per_s = 0;  // committed in the window / window length
  double window_s = 0;
  bool workload_exhausted = false;  // every transaction was sent before the end
  std::uint64_t last_height = 0;
  std::uint64_t blocks = 0;
  // Open loop only: commit time − scheduled send time of every transaction scheduled in the sending
  // window (a transaction not committed by the end of the drain counts with the time it has waited).
  std::vector<double> latencies_ms;
  std::uint64_t not_committed = 0;
  std::vector<bool> committed_txs;  // by index into the workload's transactions
};

// The bills of `workload` whose bill.issue committed in `submitted` (readable at the node now).
std::vector<Hash32> issued_bills(const Workload& workload, const SubmitResult& submitted);

Result<SubmitResult> submit_workload(const Workload& workload, const std::vector<BenchAccount>& accounts,
                                     const SubmitOptions& options);

struct ReadOptions {
  Endpoint node;
  std::size_t connections = 16;
  double offered_per_s = 20'000;
  std::chrono::milliseconds duration{10'000};
  // Before the timed reads, every bill's two answers are read once (closed loop, the same connections):
  // a bill's first read renders its answer, later reads are served from the rendered answers, so the
  // timed phase measures reads of bills read before, as a bank re-checks a bill. Timed on its own.
  bool warm_up = true;
  std::vector<Hash32> bills;  // read in turn: /control, then /history
};

struct ReadResult {
  std::uint64_t completed = 0;  // 200 answers in the timed phase
  std::uint64_t failed = 0;     // anything else (warm-up included)
  double reads_per_s = 0;       // answered / the time from the phase's start to the last answer
  double p50_ms = 0, p99_ms = 0;
  std::uint64_t warmup_reads = 0;  // the warm-up's reads (two per bill), and how long they took
  double warmup_s = 0;
  double offered_per_s = 0;
  std::vector<double> p99_ms_by_second;  // of the reads scheduled in each second of the phase
};

ReadResult run_reads(const ReadOptions& options);

// One keep-alive HTTP/1.1 connection that makes GET requests, for the reads phase. The bench shares the
// machine with the node it measures, so its reader costs two system calls per read (one send, usually
// one receive) where cpp-httplib's client makes four to six (a liveness poll, a poll before each
// receive): the node, not the bench, should bound the figure. Answers with a Content-Length only (what
// the node sends). Connects on first use and again after an error or a close.
class ReadConnection {
 public:
  ReadConnection(Endpoint node, std::chrono::milliseconds timeout);
  ~ReadConnection();
  ReadConnection(const ReadConnection&) = delete;
  ReadConnection& operator=(const ReadConnection&) = delete;
  // The answer's status and body; nullopt when there was no complete answer (the connection is closed).
  std::optional<std::pair<int, std::string>> get(const std::string& target);

 private:
  bool connect_now();
  void close_now();
  bool send_all(const std::string& data);
  bool receive_more();
  Endpoint node_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string in_;  // bytes received and not yet consumed
};

// The q-quantile (0..1) of values (sorted in place).
double quantile(std::vector<double>& values, double q);

// GET target from a node; nullopt on anything but 200.
std::optional<std::string> http_get(const Endpoint& node, const std::string& target, int timeout_s = 5);
// POST a JSON body; (status, body) of the answer, or nullopt when the node did not answer.
std::optional<std::pair<int, std::string>> http_post(const Endpoint& node, const std::string& target,
                                                     const std::string& body, int timeout_s = 30);
// The node's /v1/status height, or nullopt.
std::optional<std::uint64_t> node_height(const Endpoint& node);

}  // namespace onebill::api::bench
