// `onebill bench [--validators N] [--seconds S] [--json] [--history T] [--keep DIR]` (issue 9): a
// temporary consortium made by `onebill init`, its nodes run as child processes of this binary, many
// participants admitted by governance, then, with a workload signed before any timing:
//   throughput at saturation, latency at half of it (open loop), reads at a fixed rate over 16
//   connections, memory, CPU and disk of the nodes, restart of a node holding the history, sync of a
//   fresh observer, document verification here and in the reference npm library, and secp256k1
//   recovery on every core of this machine as the ceiling the throughput is compared with.
// Figures come from what the nodes report (committed blocks, /proc), never from submit answers.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "api/bench_driver.h"
#include "api/bench_process.h"
#include "api/bench_workload.h"
#include "api/cli.h"
#include "api/key_file.h"
#include "crypto/eip191.h"
#include "crypto/hash.h"
#include "crypto/hex.h"
#include "crypto/json.h"
#include "crypto/limits.h"
#include "ledger/transaction.h"
#include "node/config.h"
#include "tradetrust/bill_template.h"
#include "tradetrust/registry.h"
#include "tradetrust/verify.h"
#include "tradetrust/wrap.h"

namespace onebill::api::cli {
namespace {

namespace fs = std::filesystem;
using json::Json;
using namespace onebill::api::bench;

struct BenchOptions {
  std::size_t validators = 1;
  unsigned seconds = 10;
  bool json_output = false;
  std::uint64_t history = 0;  // 0: the history the run makes
  std::string keep;
  std::uint64_t block_interval_ms = 0;  // 0: the node's configured default
  std::string node_log_level = "warn";  // debug: each height's cost in bench-node.log
  double read_rate = 20'000;
  // Below the node's HTTP workers (HttpServerLimits::worker_threads, 32) with the block follower and the
  // status polls: a connection beyond them waits for a worker, and the node then closes idle kept
  // connections after 100 ms, so the bench's senders would reconnect in turn (send delays of 0.1-0.4 s).
  std::size_t connections = 24;
  // Transactions per submit request (SubmitOptions::batch): a carrier's or a bank's system sends the
  // transactions it has ready together (POST /v1/txs), as a gateway would; --batch 1 sends each alone.
  std::size_t batch = 64;
  double workload_tx_per_s = 0;  // sizes the saturation workload (tx per second of it); 0: from a probe run
};

// CPU seconds (user + system) of this process so far: what the bench itself costs the machine.
double own_cpu_s() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A progress bar on stderr, only when stderr is a terminal.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled) {}
  void show(const std::string& phase, double done, double total, const std::string& detail) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (dirty_ && now - last_ < std::chrono::milliseconds(100)) return;  // at most 10 redraws a second
    last_ = now;
    if (total > 0) {
      const int width = 30;
      const double fraction = std::clamp(done / total, 0.0, 1.0);
      const int filled = static_cast<int>(fraction * width);
      std::fprintf(stderr, "\r  %-12s [%s%s] %5.1f/%.0f s  %-32s", phase.c_str(),
                   std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total,
                   detail.c_str());
    } else {
      std::fprintf(stderr, "\r  %-12s %6.1f s  %-40s", phase.c_str(), done, detail.c_str());
    }
    std::fflush(stderr);
    dirty_ = true;
  }
  void note(const std::string& line) {
    if (!enabled_) return;
    end();
    std::fprintf(stderr, "  %s\n", line.c_str());
  }
  void end() {
    if (!enabled_ || !dirty_) return;
    std::fprintf(stderr, "\n");
    dirty_ = false;
  }

 private:
  bool enabled_;
  bool dirty_ = false;
  Clock::time_point last_{};
};

// ---- secp256k1 recovery on every core: the ceiling of a node that recovers each signer once ------

double measure_recover_per_s(double seconds) {
  std::vector<std::pair<Hash32, Signature>> samples;
  for (int i = 0; i < 64; ++i) {
    const PrivateKey key = PrivateKey::generate();
    const Hash32 digest = keccak256(std::string_view("onebill bench recover " + std::to_string(i)));
    samples.emplace_back(digest, key.sign_digest(digest));
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::uint64_t> total{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (unsigned t = 0; t < cores; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t count = 0;
      for (std::size_t i = t; !stop.load(std::memory_order_relaxed); ++i) {
        auto address =
            recover_address_uncached(samples[i % samples.size()].first, samples[i % samples.size()].second);
        ONEBILL_ASSERT(address.ok());
        ++count;
      }
      total += count;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& thread : threads) thread.join();
  return static_cast<double>(total.load()) / seconds_since(start);
}

// ---- document verification: tradetrust/ here, the reference library in node --------------------

Result<std::vector<Json>> make_documents(std::size_t count, const std::string& chain) {
  std::vector<Json> documents;
  for (std::size_t i = 0; i < count; ++i) {
    tradetrust::BillTemplate terms;
    terms.chain = chain;
    terms.issuer = PrivateKey::generate().address();
    terms.sea_carrier = PrivateKey::generate().address();
    terms.reference = "BENCH-" + std::to_string(i);
    auto wrapped = tradetrust::wrap_document(tradetrust::bill_of_lading_template(terms));
    ONEBILL_TRY(wrapped);
    documents.push_back(std::move(*wrapped));
  }
  return documents;
}

double measure_verify_per_s(const std::vector<Json>& documents, double seconds, bool& all_intact) {
  all_intact = true;
  std::uint64_t count = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < seconds || count < documents.size()) {
    const auto verification = tradetrust::verify_document(documents[count % documents.size()], nullptr);
    if (tradetrust::verdict_of(verification.fragments) != tradetrust::Verdict::intact_offline)
      all_intact = false;
    ++count;
  }
  return static_cast<double>(count) / seconds_since(start);
}

// The repository: ONEBILL_SOURCE_DIR, else the folder above the binary that holds tests/bench.
std::optional<fs::path> source_dir() {
  const char* from_env = std::getenv("ONEBILL_SOURCE_DIR");
  if (from_env != nullptr && *from_env != '\0') return fs::path(from_env);
  fs::path dir = fs::path(self_executable()).parent_path();
  for (int up = 0; up < 5 && !dir.empty(); ++up, dir = dir.parent_path()) {
    std::error_code error;
    if (fs::exists(dir / "tests" / "bench" / "verify_reference.js", error)) return dir;
    if (dir == dir.parent_path()) break;
  }
  return std::nullopt;
}

std::optional<fs::path> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// Runs tests/bench/verify_reference.js on the same documents; the rate, or why it was not measured.
Result<double> measure_reference_verify_per_s(const fs::path& documents_file, double seconds) {
  const auto node = find_on_path("node");
  if (!node) return invalid("not-measured", "not measured (node not found)");
  const auto source = source_dir();
  if (!source)
    return invalid("not-measured",
                   "not measured (tests/bench/verify_reference.js not found; set ONEBILL_SOURCE_DIR)");
  const fs::path modules = *source / "tests" / "conformance" / "node_modules";
  std::error_code error;
  if (!fs::exists(modules / "@tradetrust-tt" / "tradetrust", error))
    return invalid("not-measured",
                   "not measured (@tradetrust-tt/tradetrust not installed: run scripts/setup)");
  const std::string command =
      "NODE_PATH=" + shell_quote(modules.string()) + " " + shell_quote(node->string()) + " " +
      shell_quote((*source / "tests" / "bench" / "verify_reference.js").string()) + " " +
      shell_quote(documents_file.string()) + " " + std::to_string(seconds) + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return invalid("not-measured", "not measured (cannot run node)");
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  const auto last_line_start = output.rfind('{');
  if (status != 0 || last_line_start == std::string::npos)
    return invalid("not-measured",
                   "not measured (the reference script failed: " + output.substr(0, 300) + ")");
  auto answer = json::read(output.substr(last_line_start));
  if (!answer || !answer->is_object() || !answer->contains("docs_per_s") ||
      !(*answer)["docs_per_s"].is_number())
    return invalid("not-measured", "not measured (unreadable answer from the reference script)");
  if (answer->value("valid", std::uint64_t{0}) != answer->value("verified", std::uint64_t{1}))
    return invalid("not-measured", "not measured (the reference library refused some of the documents)");
  return (*answer)["docs_per_s"].get<double>();
}

// ---- the consortium -------------------------------------------------------------------------------

// HTTP ports base.., peer ports base+1000..: both below the kernel's ephemeral range (32768 and up by
// default), from which the bench's and the nodes' own outgoing connections take their local ports: a
// port free when picked could be taken by one of those before the node that needs it binds it (an
// observer started late failed so: "cannot listen for peers ... Address already in use").
std::uint16_t pick_base_port(std::size_t nodes) {
  std::mt19937 random(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto base = static_cast<std::uint16_t>(20000 + random() % 11000);
    bool free = true;
    for (std::size_t i = 0; i < nodes && free; ++i)
      free = port_is_free(static_cast<std::uint16_t>(base + i)) &&
             port_is_free(static_cast<std::uint16_t>(base + 1000 + i));
    if (free) return base;
  }
  return 0;
}

// The last non-empty line of a node's log, for a note ("" when there is none).
std::string last_log_line(const fs::path& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last.substr(0, 300);
}

Status wait_until_answering(const Endpoint& node, ChildNode& child, double timeout_s) {
  const auto start = Clock::now();
  while (seconds_since(start) < timeout_s) {
    if (node_height(node)) return {};
    if (!child.running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return local_fault("bench", "the node on port " + std::to_string(node.port) + " did not answer in " +
                                  std::to_string(static_cast<int>(timeout_s)) +
                                  " s (see its bench-node.log)");
}

Result<Json> get_json(const Endpoint& node, const std::string& target) {
  auto body = http_get(node, target, 10);
  if (!body) return local_fault("bench", "GET " + target + " failed");
  return json::read(*body, {.max_bytes = 64 * 1024 * 1024, .max_depth = 64});
}

Result<std::uint64_t> next_nonce(const Endpoint& node, const Address& address,
                                 const char* field = "next_nonce") {
  auto account = get_json(node, "/v1/participants/" + address.to_string());
  ONEBILL_TRY(account);
  if (!account->is_object() || !account->contains(field)) return std::uint64_t{0};
  return (*account)[field].get<std::uint64_t>();
}

// Waits until the node's mempool is empty (what was sent has committed or been refused).
void wait_mempool_empty(const Endpoint& node, double timeout_s) {
  const auto start = Clock::now();
  while (seconds_since(start) < timeout_s) {
    auto status = get_json(node, "/v1/status");
    if (status && status->is_object() && (*status)["mempool"].value("size", std::uint64_t{1}) == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// Admits the accounts through governance: the demo consortium's single ADMIN proposes each admission
// (with one admin, a proposal executes at once), 64 at a time (the pending limit per sender).
Status admit_accounts(const Endpoint& node, const std::string& chain, const PrivateKey& admin,
                      const std::vector<BenchAccount>& accounts, std::uint64_t height, Progress& progress) {
  auto nonce = next_nonce(node, admin.address(), "pending_nonce");
  ONEBILL_TRY(nonce);
  std::size_t done = 0;
  const auto start = Clock::now();
  while (done < accounts.size()) {
    const std::size_t chunk = std::min<std::size_t>(60, accounts.size() - done);
    Json batch = Json::array();
    for (std::size_t i = 0; i < chunk; ++i) {
      const BenchAccount& account = accounts[done + i];
      Json args = {{"address", account.address_text},
                   {"name", account.name},
                   {"roles", Json::array({std::string(ledger::role_name(account.role))})},
                   {"domain", account.domain}};
      Json body = {{"action", "participant.admit"}, {"args", args}, {"expires_height", height + 1'000'000}};
      auto unsigned_tx = ledger::build_transaction(chain, "gov.propose", *nonce + i, admin.address(), body);
      ONEBILL_TRY(unsigned_tx);
      auto signed_tx = ledger::sign_transaction(*unsigned_tx, admin);
      ONEBILL_TRY(signed_tx);
      batch.push_back(std::move(*signed_tx));
    }
    auto answer = http_post(node, "/v1/txs", json::canonical(batch));
    if (!answer || answer->first >= 300)
      return local_fault("bench", "admitting participants failed: " +
                                      (answer ? answer->second.substr(0, 300) : "no answer"));
    auto parsed = json::read(answer->second);
    if (!parsed || !parsed->is_object() || parsed->value("accepted", std::uint64_t{0}) != chunk)
      return local_fault(
          "bench", "admitting participants: some proposals were refused: " + answer->second.substr(0, 300));
    *nonce += chunk;
    // Wait for the proposals to commit (the admin's committed nonce reaches the batch's end).
    for (;;) {
      auto committed = next_nonce(node, admin.address());
      ONEBILL_TRY(committed);
      if (*committed >= *nonce) break;
      if (seconds_since(start) > 120) return local_fault("bench", "admitting participants took over 120 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    done += chunk;
    progress.show("admit", seconds_since(start), 0,
                  std::to_string(done) + "/" + std::to_string(accounts.size()) + " participants");
  }
  progress.end();
  return {};
}

double round_to(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

// Everything the run measures; null in the JSON when not measured (with the reason in notes).
struct Figures {
  std::optional<double> committed_tx_per_s, p50, p95, p99, reads_per_s, read_p99_ms, cpu_s_per_node,
      disk_bytes_per_tx, restart_s, sync_s, verify_docs_per_s, verify_docs_per_s_reference, recover_per_s;
  std::optional<std::uint64_t> peak_rss_bytes;
  double offered_tx_per_s = 0;
  double signed_tx_per_s = 0;  // the bench's own signing, before timing
  std::uint64_t history_tx = 0;
  std::uint64_t refused = 0;
  std::vector<std::string> notes;
  std::vector<std::pair<std::string, double>> phase_s;  // wall time of each phase, in run order
  Json diagnostics = Json::object();                    // counts behind the figures, per phase
};

class BenchRun {
 public:
  explicit BenchRun(const BenchOptions& options) : options_(options), progress_(::isatty(2) == 1) {}
  ~BenchRun() { stop_all(); }

  int run();

 private:
  int run_phases();
  Status prepare_home();
  Status start_validators();
  Status measure_throughput_and_latency();
  Status refresh_nonces();
  Status grow_history();
  void measure_resources();
  // CPU seconds (user + system) of the validators so far, together.
  double nodes_cpu_s() {
    double cpu = 0;
    for (std::size_t i = 0; i < options_.validators; ++i) cpu += nodes_[i]->cpu_s();
    return cpu;
  }
  Status measure_restart_and_sync();
  void print(const Figures& figures) const;
  void stop_all() {
    for (auto& node : nodes_) node->stop();
  }
  Endpoint endpoint(std::size_t i) const {
    return Endpoint{"127.0.0.1", static_cast<std::uint16_t>(base_port_ + i)};
  }
  fs::path node_home(std::size_t i) const { return consortium_ / "nodes" / std::to_string(i); }
  std::vector<std::string> node_arguments() const {
    std::vector<std::string> extra{"--log-level", options_.node_log_level};
    if (options_.block_interval_ms != 0) {
      extra.push_back("--block-interval-ms");
      extra.push_back(std::to_string(options_.block_interval_ms));
    }
    return extra;
  }
  unsigned signing_threads() const { return std::max(1u, std::thread::hardware_concurrency()); }

  BenchOptions options_;
  Progress progress_;
  Figures figures_;
  fs::path home_;
  fs::path consortium_;
  bool remove_home_ = false;
  std::uint16_t base_port_ = 0;
  std::string chain_;
  std::vector<std::unique_ptr<ChildNode>> nodes_;  // validators, then the observer
  std::vector<BenchAccount> accounts_;
  std::unique_ptr<WorkloadGenerator> generator_;
  std::vector<Hash32> read_bills_;
  std::uint64_t committed_total_ = 0;  // workload transactions committed in all phases
};

Status BenchRun::prepare_home() {
  if (!options_.keep.empty()) {
    home_ = options_.keep;
    std::error_code error;
    fs::create_directories(home_, error);
    if (!fs::is_empty(home_, error))
      return invalid("home-exists", home_.string() + " is not empty; --keep needs a new or empty directory");
  } else {
    std::string pattern = (fs::temp_directory_path() / "onebill-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      return local_fault("bench", "cannot create a temporary directory");
    home_ = pattern;
    remove_home_ = true;
  }
  consortium_ = home_ / "consortium";
  base_port_ = pick_base_port(options_.validators + 1);
  if (base_port_ == 0) return local_fault("bench", "no free ports for the consortium");
  auto code =
      run_self({"init", "--dir", consortium_.string(), "--validators", std::to_string(options_.validators),
                "--observers", "1", "--base-port", std::to_string(base_port_)},
               home_ / "init.log");
  ONEBILL_TRY(code);
  if (*code != 0) return local_fault("bench", "onebill init failed: see " + (home_ / "init.log").string());
  return {};
}

Status BenchRun::start_validators() {
  for (std::size_t i = 0; i <= options_.validators; ++i) nodes_.push_back(std::make_unique<ChildNode>());
  for (std::size_t i = 0; i < options_.validators; ++i)
    ONEBILL_TRY(nodes_[i]->start(node_home(i), node_arguments()));
  for (std::size_t i = 0; i < options_.validators; ++i)
    ONEBILL_TRY(wait_until_answering(endpoint(i), *nodes_[i], 60));
  auto status = get_json(endpoint(0), "/v1/status");
  ONEBILL_TRY(status);
  chain_ = status->value("chain", std::string());
  auto admin = read_key_file(consortium_ / "keys" / "admin.json");
  ONEBILL_TRY(admin);
  accounts_ = make_accounts(AccountCounts{});
  ONEBILL_TRY(admit_accounts(endpoint(0), chain_, *admin, accounts_,
                             status->value("height", std::uint64_t{0}), progress_));
  generator_ = std::make_unique<WorkloadGenerator>(chain_, accounts_,
                                                   static_cast<std::uint64_t>(std::random_device{}()));
  return {};
}

Status BenchRun::refresh_nonces() {
  wait_mempool_empty(endpoint(0), 60);
  std::vector<std::uint64_t> nonces;
  for (std::size_t a = 0; a < accounts_.size(); ++a) {
    // From the node the account submits to (submit_workload: account a → node a mod N), with what its
    // mempool still holds: a phase that ended before its transactions committed leaves no nonce gap.
    auto nonce = next_nonce(endpoint(a % options_.validators), accounts_[a].address, "pending_nonce");
    ONEBILL_TRY(nonce);
    nonces.push_back(*nonce);
  }
  generator_->set_next_nonces(nonces);
  return {};
}

Status BenchRun::measure_throughput_and_latency() {
  std::vector<Endpoint> validators;
  for (std::size_t i = 0; i < options_.validators; ++i) validators.push_back(endpoint(i));
  const auto seconds = static_cast<double>(options_.seconds);

  // 0. A probe sizes the saturation workload (signing is costly on a small machine): one cohort of
  // bills for a few seconds; its rate is not reported.
  const std::size_t per_cohort = 600;
  double size_rate = options_.workload_tx_per_s;
  if (size_rate <= 0) {
    auto probe = generator_->generate(1, per_cohort, signing_threads());
    ONEBILL_TRY(probe);
    auto probe_height = node_height(validators[0]);
    if (!probe_height) return local_fault("bench", "the node stopped answering");
    SubmitOptions options;
    options.nodes = validators;
    options.connections = options_.connections;
    options.batch = options_.batch;
    options.duration = std::chrono::milliseconds(static_cast<long>(std::min(3.0, seconds) * 1000));
    options.warmup = std::chrono::milliseconds(0);
    options.start_height = *probe_height;
    options.progress = [this, seconds](double elapsed, std::uint64_t committed) {
      progress_.show("probe", elapsed, std::min(3.0, seconds), std::to_string(committed) + " committed");
    };
    auto probed = submit_workload(*probe, accounts_, options);
    ONEBILL_TRY(probed);
    progress_.end();
    figures_.refused += probed->refused;
    const double rate = probed->committed_per_s;
    size_rate = probed->workload_exhausted ? std::max(4 * rate, 12'000.0) : std::max(2.5 * rate, 1'000.0);
    figures_.diagnostics["probe"] = {{"committed_per_s", round_to(rate, 1)},
                                     {"exhausted", probed->workload_exhausted},
                                     {"sizing_tx_per_s", round_to(size_rate, 1)}};
    ONEBILL_TRY(refresh_nonces());
  }
  // 1. Saturation: a workload larger than the node should commit in the time, signed before timing.
  const double planned = size_rate * seconds;
  const auto cohorts = static_cast<std::size_t>(
      std::ceil(planned / (WorkloadGenerator::transactions_per_bill * static_cast<double>(per_cohort))));
  progress_.note("signing the saturation workload (" + std::to_string(cohorts * per_cohort) + " bills)");
  const auto signing_started = Clock::now();
  auto workload = generator_->generate(std::max<std::size_t>(cohorts, 1), per_cohort, signing_threads());
  ONEBILL_TRY(workload);
  figures_.phase_s.emplace_back("sign_saturation", seconds_since(signing_started));
  figures_.signed_tx_per_s = static_cast<double>(workload->txs.size()) / seconds_since(signing_started);
  auto height = node_height(validators[0]);
  if (!height) return local_fault("bench", "the node stopped answering");
  SubmitOptions submit;
  submit.nodes = validators;
  submit.connections = options_.connections;
  submit.batch = options_.batch;
  submit.duration = std::chrono::milliseconds(options_.seconds * 1000);
  submit.start_height = *height;
  submit.progress = [this, seconds](double elapsed, std::uint64_t committed) {
    progress_.show("throughput", elapsed, seconds, std::to_string(committed) + " committed");
  };
  const double bench_cpu_before = own_cpu_s();
  const double nodes_cpu_before = nodes_cpu_s();
  auto saturation = submit_workload(*workload, accounts_, submit);
  ONEBILL_TRY(saturation);
  figures_.diagnostics["saturation_bench_cpu_s"] = round_to(own_cpu_s() - bench_cpu_before, 2);
  // What a committed transaction costs the validators in CPU (all of them, over the whole phase, the
  // drain included): the figure that, unlike tx/s, does not move with what else the machine runs.
  if (saturation->committed > 0) {
    figures_.diagnostics["saturation_node_cpu_us_per_tx"] =
        round_to((nodes_cpu_s() - nodes_cpu_before) * 1e6 / static_cast<double>(saturation->committed), 1);
  }
  progress_.end();
  figures_.committed_tx_per_s = saturation->committed_per_s;
  figures_.refused += saturation->refused;
  committed_total_ += saturation->committed;
  if (saturation->refused > 0)
    figures_.notes.push_back("saturation: " + std::to_string(saturation->refused) +
                             " refused, first: " + saturation->first_refusal);
  figures_.diagnostics["saturation"] = {{"sent", saturation->sent},
                                        {"committed", saturation->committed},
                                        {"busy_retries", saturation->retried},
                                        {"connection_errors", saturation->connection_errors},
                                        {"blocks", saturation->blocks},
                                        {"window_s", round_to(saturation->window_s, 2)}};
  if (saturation->workload_exhausted)
    figures_.notes.push_back("saturation: the workload ran out before --seconds; raise --workload-tx-per-s");
  // Bills whose issue committed, for the reads (every read of them answers 200).
  read_bills_ = issued_bills(*workload, *saturation);
  workload = Workload{};
  ONEBILL_TRY(refresh_nonces());

  // 2. Latency at half the peak, open loop: send times fixed before the start.
  const double rate = std::max(10.0, saturation->committed_per_s / 2);
  figures_.offered_tx_per_s = rate;
  // Rounds of about two seconds, so that a bill's next step is scheduled well after its previous one.
  const auto bills =
      static_cast<std::size_t>(std::max(1.0, std::ceil(rate * 2 / WorkloadGenerator::transactions_per_bill)));
  const auto latency_cohorts =
      static_cast<std::size_t>(std::ceil(
          rate * seconds / (WorkloadGenerator::transactions_per_bill * static_cast<double>(bills)))) +
      1;
  progress_.note("signing the latency workload at " + std::to_string(static_cast<long>(rate)) + " tx/s");
  auto open_loop = generator_->generate(latency_cohorts, bills, signing_threads());
  ONEBILL_TRY(open_loop);
  height = node_height(validators[0]);
  if (!height) return local_fault("bench", "the node stopped answering");
  submit.offered_per_s = rate;
  submit.drain = std::chrono::milliseconds(10'000);
  submit.start_height = *height;
  submit.progress = [this, seconds](double elapsed, std::uint64_t committed) {
    progress_.show("latency", elapsed, seconds, std::to_string(committed) + " committed");
  };
  auto latency = submit_workload(*open_loop, accounts_, submit);
  ONEBILL_TRY(latency);
  progress_.end();
  figures_.refused += latency->refused;
  committed_total_ += latency->committed;
  figures_.diagnostics["latency"] = {{"sent", latency->sent},
                                     {"committed", latency->committed},
                                     {"busy_retries", latency->retried},
                                     {"connection_errors", latency->connection_errors},
                                     {"blocks", latency->blocks},
                                     {"scheduled", latency->latencies_ms.size()}};
  figures_.p50 = quantile(latency->latencies_ms, 0.50);
  figures_.p95 = quantile(latency->latencies_ms, 0.95);
  figures_.p99 = quantile(latency->latencies_ms, 0.99);
  if (latency->not_committed > 0)
    figures_.notes.push_back(
        "latency: " + std::to_string(latency->not_committed) +
        " scheduled transactions had not committed 10 s after the window; counted with the time they waited");
  if (latency->refused > 0)
    figures_.notes.push_back("latency: " + std::to_string(latency->refused) +
                             " refused, first: " + latency->first_refusal);
  if (read_bills_.empty()) read_bills_ = issued_bills(*open_loop, *latency);
  open_loop = Workload{};
  return refresh_nonces();
}

std::optional<std::uint64_t> committed_since_start(const Endpoint& node);

Status BenchRun::grow_history() {
  committed_total_ = committed_since_start(endpoint(0)).value_or(committed_total_);
  if (options_.history <= committed_total_) return {};
  std::vector<Endpoint> validators;
  for (std::size_t i = 0; i < options_.validators; ++i) validators.push_back(endpoint(i));
  const auto start = Clock::now();
  while (committed_total_ < options_.history) {
    const double missing = static_cast<double>(options_.history - committed_total_);
    const std::size_t per_cohort = 600;
    const auto cohorts = static_cast<std::size_t>(
        std::clamp(std::ceil(missing / (WorkloadGenerator::transactions_per_bill * per_cohort)), 1.0, 10.0));
    auto workload = generator_->generate(cohorts, per_cohort, signing_threads());
    ONEBILL_TRY(workload);
    auto height = node_height(validators[0]);
    if (!height) return local_fault("bench", "the node stopped answering");
    SubmitOptions submit;
    submit.nodes = validators;
    submit.connections = options_.connections;
    submit.batch = options_.batch;
    submit.duration = std::chrono::hours(1);
    submit.start_height = *height;
    const std::uint64_t before = committed_total_;
    submit.progress = [&](double, std::uint64_t committed) {
      progress_.show("history", seconds_since(start), 0,
                     std::to_string(before + committed) + "/" + std::to_string(options_.history) + " tx");
    };
    auto result = submit_workload(*workload, accounts_, submit);
    ONEBILL_TRY(result);
    committed_total_ += result->committed;
    figures_.refused += result->refused;
    if (result->committed == 0)
      return local_fault("bench", "history: nothing committed; " + result->first_refusal);
    ONEBILL_TRY(refresh_nonces());
  }
  progress_.end();
  return {};
}

// A counter of the node's /metrics (loopback only) without labels.
std::optional<std::uint64_t> metric_value(const Endpoint& node, std::string_view family) {
  auto text = http_get(node, "/metrics", 10);
  if (!text) return std::nullopt;
  const std::string name = "\n" + std::string(family) + " ";
  const auto at = text->find(name);
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(text->c_str() + at + name.size(), nullptr, 10);
}

// Transactions the node has committed since it started.
std::optional<std::uint64_t> committed_since_start(const Endpoint& node) {
  return metric_value(node, "onebill_transactions_committed_total");
}

void BenchRun::measure_resources() {
  std::uint64_t peak = 0;
  for (std::size_t i = 0; i < options_.validators; ++i) peak = std::max(peak, nodes_[i]->peak_rss_bytes());
  figures_.peak_rss_bytes = peak;
  figures_.cpu_s_per_node = nodes_cpu_s() / static_cast<double>(options_.validators);
  // The first validator has run since the chain began: what it committed is the whole history.
  figures_.history_tx = committed_since_start(endpoint(0)).value_or(committed_total_);
  // Pending queues applied again after commits (the mempool's re-check), against the transactions.
  if (auto reapplied = metric_value(endpoint(0), "onebill_mempool_reapplications_total"))
    figures_.diagnostics["mempool_reapplications"] = *reapplied;
  if (figures_.history_tx > 0) {
    figures_.disk_bytes_per_tx = static_cast<double>(directory_bytes(node_home(0) / "data")) /
                                 static_cast<double>(figures_.history_tx);
  }
}

// How long the bench waits for a fresh observer to sync the history.
constexpr double max_sync_s = 900;

Status BenchRun::measure_restart_and_sync() {
  // Restart: stop the first validator (it holds the whole history) and time until it answers again.
  auto target = node_height(endpoint(0));
  if (!target) return local_fault("bench", "the node stopped answering");
  nodes_[0]->stop();
  const auto restart_started = Clock::now();
  ONEBILL_TRY(nodes_[0]->start(node_home(0), node_arguments()));
  ONEBILL_TRY(wait_until_answering(endpoint(0), *nodes_[0], 600));
  figures_.restart_s = seconds_since(restart_started);

  // Sync: a fresh observer follows the chain from its peers up to the height the validators hold.
  target = node_height(endpoint(0));
  if (!target) return local_fault("bench", "the node stopped answering after its restart");
  const std::size_t observer = options_.validators;
  const auto sync_started = Clock::now();
  ONEBILL_TRY(nodes_[observer]->start(node_home(observer), node_arguments()));
  for (;;) {
    auto height = node_height(endpoint(observer));
    if (height && *height >= *target) break;
    if (!nodes_[observer]->running()) {
      // The other figures stand; this one is null, and the note says why (the log's last line).
      progress_.end();
      figures_.notes.push_back("sync_s: the observer exited at height " + std::to_string(height.value_or(0)) +
                               " of " + std::to_string(*target) + "; not measured (" +
                               last_log_line(node_home(observer) / "bench-node.log") + ")");
      return {};
    }
    if (seconds_since(sync_started) > max_sync_s) {
      // A long history syncs longer than the bench waits: the other figures stand, this one is null.
      progress_.end();
      figures_.notes.push_back("sync_s: the observer reached height " + std::to_string(height.value_or(0)) +
                               " of " + std::to_string(*target) + " in " + std::to_string(max_sync_s) +
                               " s; not measured");
      return {};
    }
    progress_.show("sync", seconds_since(sync_started), 0,
                   "height " + std::to_string(height.value_or(0)) + "/" + std::to_string(*target));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  progress_.end();
  figures_.sync_s = seconds_since(sync_started);
  return {};
}

int BenchRun::run() {
  const int code = run_phases();
  if (code != exit_ok && !home_.empty()) {
    remove_home_ = false;  // keep the nodes' logs of a failed run
    std::cerr << "bench: the consortium and the nodes' logs (bench-node.log) stay in " << home_.string()
              << "\n";
  }
  return code;
}

int BenchRun::run_phases() {
  const auto seconds = static_cast<double>(options_.seconds);
  // The machine's ceiling first, while nothing else of ours runs.
  progress_.note("secp256k1 recovery on " +
                 std::to_string(std::max(1u, std::thread::hardware_concurrency())) + " cores");
  auto phase_start = Clock::now();
  auto phase_done = [&](const char* name) {
    figures_.phase_s.emplace_back(name, seconds_since(phase_start));
    phase_start = Clock::now();
  };
  figures_.recover_per_s = measure_recover_per_s(std::clamp(seconds / 5, 1.0, 3.0));
  phase_done("recover");

  if (auto status = prepare_home(); !status) return report(status.problem());
  phase_done("init");
  // Document verification, the same documents here and in the reference library.
  {
    auto documents = make_documents(100, chain_.empty() ? "onebill-bench" : chain_);
    if (!documents) return report(documents.problem());
    bool intact = false;
    figures_.verify_docs_per_s = measure_verify_per_s(*documents, std::clamp(seconds / 5, 1.0, 3.0), intact);
    if (!intact) figures_.notes.push_back("verify: tradetrust/ did not find every bench document intact");
    const fs::path file = home_ / "bench-documents.json";
    std::ofstream(file) << Json(*documents).dump();
    auto reference = measure_reference_verify_per_s(file, std::clamp(seconds / 5, 1.0, 3.0));
    if (reference) {
      figures_.verify_docs_per_s_reference = *reference;
    } else {
      figures_.notes.push_back("verify_docs_per_s_reference: " + reference.problem().detail);
    }
  }
  phase_done("verify");
  if (auto status = start_validators(); !status) return report(status.problem());
  phase_done("start_and_admit");
  if (auto status = measure_throughput_and_latency(); !status) return report(status.problem());
  phase_done("throughput_and_latency");

  // 3. Reads as banks and customs make them: a bill's control and history, open loop.
  {
    ReadOptions reads;
    reads.node = endpoint(0);
    reads.offered_per_s = options_.read_rate;
    reads.duration = std::chrono::milliseconds(options_.seconds * 1000);
    reads.bills = read_bills_;
    progress_.note("reads at " + std::to_string(static_cast<long>(options_.read_rate)) +
                   "/s over 16 connections");
    const ReadResult result = run_reads(reads);
    if (result.completed > 0) {
      figures_.reads_per_s = result.reads_per_s;
      figures_.read_p99_ms = result.p99_ms;
    } else {
      figures_.notes.push_back("reads: none answered (no bill committed?)");
    }
    if (result.failed > 0) figures_.notes.push_back("reads: " + std::to_string(result.failed) + " failed");
    Json by_second = Json::array();
    for (double p99 : result.p99_ms_by_second) by_second.push_back(round_to(p99, 2));
    figures_.diagnostics["reads"] = {{"completed", result.completed},
                                     {"failed", result.failed},
                                     {"p50_ms", round_to(result.p50_ms, 2)},
                                     {"warmup_reads", result.warmup_reads},
                                     {"warmup_s", round_to(result.warmup_s, 2)},
                                     {"p99_ms_by_second", std::move(by_second)}};
  }
  phase_done("reads");
  if (auto status = grow_history(); !status) return report(status.problem());
  phase_done("history");
  measure_resources();
  if (auto status = measure_restart_and_sync(); !status) return report(status.problem());
  phase_done("restart_and_sync");
  stop_all();
  print(figures_);
  if (remove_home_) {
    std::error_code error;
    fs::remove_all(home_, error);
  } else {
    std::cerr << "bench: the consortium stays in " << home_.string() << "\n";
  }
  home_.clear();
  return exit_ok;
}

void BenchRun::print(const Figures& f) const {
  std::optional<double> ratio;
  if (f.committed_tx_per_s && f.recover_per_s && *f.recover_per_s > 0)
    ratio = *f.committed_tx_per_s / *f.recover_per_s;
  std::optional<double> verify_ratio;
  if (f.verify_docs_per_s && f.verify_docs_per_s_reference && *f.verify_docs_per_s_reference > 0)
    verify_ratio = *f.verify_docs_per_s / *f.verify_docs_per_s_reference;
  const char* commit = std::getenv("ONEBILL_COMMIT");
  if (options_.json_output) {
    auto r = [](std::optional<double> v, int digits) -> Json {
      return v ? Json(round_to(*v, digits)) : Json(nullptr);
    };
    Json out = {{"committed_tx_per_s", r(f.committed_tx_per_s, 1)},
                {"latency_ms", {{"p50", r(f.p50, 1)}, {"p95", r(f.p95, 1)}, {"p99", r(f.p99, 1)}}},
                {"reads_per_s", r(f.reads_per_s, 1)},
                {"read_p99_ms", r(f.read_p99_ms, 2)},
                {"peak_rss_bytes", f.peak_rss_bytes ? Json(*f.peak_rss_bytes) : Json(nullptr)},
                {"cpu_s_per_node", r(f.cpu_s_per_node, 2)},
                {"disk_bytes_per_tx", r(f.disk_bytes_per_tx, 1)},
                {"restart_s", r(f.restart_s, 3)},
                {"sync_s", r(f.sync_s, 3)},
                {"verify_docs_per_s", r(f.verify_docs_per_s, 1)},
                {"verify_docs_per_s_reference", r(f.verify_docs_per_s_reference, 1)},
                {"verify_ratio_to_reference", r(verify_ratio, 2)},
                {"recover_per_s", r(f.recover_per_s, 1)},
                {"ratio_to_recover", r(ratio, 4)},
                {"validators", options_.validators},
                {"seconds", options_.seconds},
                {"offered_tx_per_s", round_to(f.offered_tx_per_s, 1)},
                {"submit_batch", options_.batch},
                {"read_offered_per_s", options_.read_rate},
                {"history_tx", f.history_tx},
                {"bench_signed_tx_per_s", round_to(f.signed_tx_per_s, 1)},
                {"refused", f.refused},
                {"cores", std::thread::hardware_concurrency()},
                {"cpu", cpu_model()},
                {"commit", commit != nullptr ? Json(std::string(commit)) : Json(nullptr)},
                {"notes", f.notes}};
    Json phases = Json::object();
    for (const auto& [name, value] : f.phase_s) phases[name] = round_to(value, 2);
    out["phase_s"] = phases;
    out["diagnostics"] = f.diagnostics;
    std::cout << out.dump() << std::endl;
    return;
  }
  auto show = [](std::optional<double> v, int digits, const char* unit) {
    if (!v) return std::string("not measured");
    char text[64];
    std::snprintf(text, sizeof text, "%.*f%s", digits, *v, unit);
    return std::string(text);
  };
  std::cout << "OneBill bench: " << options_.validators << " validator(s), " << options_.seconds
            << " s per phase, " << std::thread::hardware_concurrency() << " cores (" << cpu_model() << ")"
            << (commit != nullptr ? std::string(", commit ") + commit : std::string()) << "\n"
            << "  committed           " << show(f.committed_tx_per_s, 0, " tx/s") << " at saturation ("
            << show(ratio, 3, "") << " of secp256k1 recovery; up to " << options_.batch
            << " transactions per submit request)\n"
            << "  latency at " << show(f.offered_tx_per_s, 0, " tx/s") << "  p50 " << show(f.p50, 1, " ms")
            << "  p95 " << show(f.p95, 1, " ms") << "  p99 " << show(f.p99, 1, " ms")
            << " (submit to commit, open loop)\n"
            << "  reads               " << show(f.reads_per_s, 0, "/s") << " of " << options_.read_rate
            << "/s offered, p99 " << show(f.read_p99_ms, 2, " ms") << "\n"
            << "  node memory (peak)  "
            << (f.peak_rss_bytes ? show(static_cast<double>(*f.peak_rss_bytes) / 1048576.0, 1, " MiB")
                                 : "not measured")
            << "   CPU per node " << show(f.cpu_s_per_node, 1, " s") << "   disk "
            << show(f.disk_bytes_per_tx, 0, " bytes/tx") << " (" << f.history_tx << " tx)\n"
            << "  restart             " << show(f.restart_s, 2, " s") << " (node holding " << f.history_tx
            << " tx)\n"
            << "  sync (new observer) " << show(f.sync_s, 2, " s") << "\n"
            << "  verify documents    " << show(f.verify_docs_per_s, 0, "/s") << " tradetrust/, "
            << show(f.verify_docs_per_s_reference, 0, "/s") << " reference library (ratio "
            << show(verify_ratio, 2, "") << ")\n"
            << "  secp256k1 recovery  " << show(f.recover_per_s, 0, "/s") << " on all cores\n";
  for (const auto& note : f.notes) std::cout << "  note: " << note << "\n";
}

}  // namespace

void add_bench_command(CLI::App& root, CommandContext& context) {
  auto* command = root.add_subcommand("bench",
                                      "Measure a consortium this command starts: throughput, latency, reads, "
                                      "memory, restart, sync, verification");
  auto options = std::make_shared<BenchOptions>();
  command->add_option("--validators", options->validators, "Validators of the consortium (default 1)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16}));
  command->add_option("--seconds", options->seconds, "Length of each timed phase (default 10)")
      ->check(CLI::Range(1u, 3600u));
  command->add_flag("--json", options->json_output, "Print one JSON object instead of the summary");
  command->add_option("--history", options->history,
                      "Transactions the restarted node holds (default: what the run commits)");
  command->add_option("--keep", options->keep,
                      "Build the consortium in this (new or empty) directory and keep it");
  command->add_option("--block-interval-ms", options->block_interval_ms,
                      "Passed to the nodes (default: their configuration's)");
  command
      ->add_option("--node-log-level", options->node_log_level,
                   "Log level of the nodes' bench-node.log (default warn; debug logs each height's cost)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  command->add_option("--read-rate", options->read_rate, "Reads per second offered (default 20000)")
      ->check(CLI::Range(1.0, 1e7));
  command
      ->add_option("--connections", options->connections,
                   "Keep-alive connections that submit, spread over the validators (default 24: with the "
                   "bench's other connections, below a node's 32 HTTP workers)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  command
      ->add_option("--batch", options->batch,
                   "Transactions per submit request (default 64): what a connection has ready, up to this "
                   "many, goes in one POST /v1/txs; 1 posts each to /v1/tx")
      ->check(CLI::Range(std::size_t{1}, limits::max_batch_transactions));
  command
      ->add_option("--workload-tx-per-s", options->workload_tx_per_s,
                   "Size of the saturation workload, in transactions per second of --seconds (default: from "
                   "a short probe run)")
      ->check(CLI::Range(100.0, 1e7));
  command->callback([&context, options] {
    context.run = [options] {
      BenchRun run(*options);
      return run.run();
    };
  });
}

}  // namespace onebill::api::cli
