#include "api/bench_driver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <httplib.h>

#include "crypto/hex.h"
#include "crypto/json.h"
#include "crypto/limits.h"

namespace onebill::api::bench {
namespace {

std::unique_ptr<httplib::Client> make_client(const Endpoint& node, int read_timeout_s = 10) {
  auto client = std::make_unique<httplib::Client>(node.host, node.port);
  client->set_tcp_nodelay(true);
  client->set_keep_alive(true);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(read_timeout_s, 0);
  client->set_write_timeout(10, 0);
  return client;
}

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

enum TxState : std::uint8_t { unsent = 0, sent = 1, committed = 2, dead = 3 };

// What the workers and the block follower share.
struct Shared {
  const Workload& workload;
  const SubmitOptions& options;
  Clock::time_point start;
  Clock::time_point send_end;
  std::unique_ptr<std::atomic<std::uint8_t>[]> state;
  std::vector<Clock::time_point> committed_at;  // written before state becomes `committed`
  std::unique_ptr<std::atomic<std::uint32_t>[]> committed_by_sender;
  std::unordered_map<std::string, std::uint32_t> sender_of_address;  // lowercase address → account
  std::vector<std::uint64_t> first_nonce;                            // per account, in this workload
  std::vector<std::vector<std::uint32_t>> by_sender;                 // per account, indexes by nonce order
  std::atomic<bool> stop_sending{false};
  std::atomic<bool> stop_following{false};
  std::mutex mutex;
  std::condition_variable new_block;
  // Follower's record: (time, transactions of the workload committed so far).
  std::vector<std::pair<Clock::time_point, std::uint64_t>> timeline;
  std::atomic<std::uint64_t> committed{0};
  std::atomic<std::uint64_t> block_transactions{0};
  std::atomic<std::uint64_t> last_height{0};
  std::atomic<std::uint64_t> blocks{0};
  std::atomic<std::uint64_t> sent_count{0}, refused{0}, retried{0}, connection_errors{0};
  std::string first_refusal;
  std::atomic<std::uint64_t> follower_errors{0};

  Shared(const Workload& w, const SubmitOptions& o) : workload(w), options(o) {}

  Clock::time_point scheduled(std::size_t index) const {
    if (options.offered_per_s <= 0) return start;
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(index) / options.offered_per_s));
  }
};

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

void follow_blocks(Shared& shared, const Endpoint& node) {
  auto client = make_client(node, 30);
  std::uint64_t height = shared.options.start_height + 1;
  while (!shared.stop_following.load()) {
    const std::string target = "/v1/blocks/" + std::to_string(height);
    auto answer = client->Get(target.c_str());
    if (!answer || answer->status != 200) {
      if (!answer || answer->status != 404) ++shared.follower_errors;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    const auto seen = Clock::now();
    auto block = json::read(answer->body, {.max_bytes = 256 * 1024 * 1024, .max_depth = 64});
    if (!block || !block->is_object()) {
      ++shared.follower_errors;
      continue;
    }
    std::uint64_t count = 0;
    const auto transactions = block->find("transactions");
    if (transactions != block->end() && transactions->is_array()) {
      for (const auto& tx : *transactions) {
        ++count;
        const auto from = tx.find("from");
        const auto nonce = tx.find("nonce");
        if (from == tx.end() || nonce == tx.end() || !from->is_string() || !nonce->is_number_unsigned())
          continue;
        const auto sender = shared.sender_of_address.find(lower(from->get<std::string>()));
        if (sender == shared.sender_of_address.end()) continue;
        const std::uint32_t account = sender->second;
        const std::uint64_t n = nonce->get<std::uint64_t>();
        const auto& indexes = shared.by_sender[account];
        if (indexes.empty() || n < shared.first_nonce[account] ||
            n - shared.first_nonce[account] >= indexes.size())
          continue;
        const std::uint32_t index = indexes[n - shared.first_nonce[account]];
        if (shared.state[index].load() == committed) continue;
        shared.committed_at[index] = seen;
        shared.state[index].store(committed);
        shared.committed_by_sender[account].fetch_add(1);
        shared.committed.fetch_add(1);
      }
    } else {
      count = block->value("transaction_count", std::uint64_t{0});
    }
    shared.block_transactions.fetch_add(count);
    shared.last_height.store(height);
    shared.blocks.fetch_add(1);
    {
      std::lock_guard lock(shared.mutex);
      shared.timeline.emplace_back(seen, shared.committed.load());
    }
    shared.new_block.notify_all();
    ++height;
  }
}

// How the node answered one transaction: its HTTP status (a batch's per-transaction problem status; 202
// when admitted) and the text that names the broken rule (the answer's body, or the problem's rule).
struct SubmitAnswer {
  int status = 0;
  std::string rule_text;
};

// One connection: sends the transactions of the accounts it owns, each account's in nonce order, each
// transaction once the transactions it waits for have committed and its scheduled time has come. With
// `options.batch` > 1 the transactions ready at one pass over the accounts go in one POST /v1/txs (in
// nonce order per account; the node admits a batch's transactions in its order), else one POST /v1/tx
// each.
void send_transactions(Shared& shared, const Endpoint& node, std::vector<std::uint32_t> accounts) {
  auto client = make_client(node, 35);
  std::vector<std::size_t> cursor(accounts.size(), 0);
  std::vector<std::uint32_t> sent_by(accounts.size(), 0);
  std::vector<Clock::time_point> behind_since(accounts.size());  // see the 409 answer below
  const std::size_t cap = shared.options.max_pending_per_sender;
  const std::size_t batch_limit = std::max<std::size_t>(shared.options.batch, 1);
  auto kill_rest = [&](std::size_t a) {
    const auto& queue = shared.by_sender[accounts[a]];
    for (; cursor[a] < queue.size(); ++cursor[a]) shared.state[queue[cursor[a]]].store(dead);
  };
  // Applies the node's answer to account a's next transaction; true when it was admitted.
  auto settle = [&](std::size_t a, std::uint32_t index, const SubmitAnswer& answer, bool resent) {
    if (answer.status == 200 || answer.status == 202 ||
        (resent && answer.status == 409 && answer.rule_text.find("nonce-used") != std::string::npos)) {
      if (shared.state[index].load() == unsent) shared.state[index].store(sent);
      behind_since[a] = Clock::time_point{};
      ++sent_by[a];
      ++cursor[a];
      ++shared.sent_count;
      return true;
    }
    if (answer.status == 503 || answer.status == 429) {
      ++shared.retried;  // busy, mempool full, or the sender's pending limit: later
    } else if ((answer.status == 409 || answer.status == 403) && shared.options.nodes.size() > 1 &&
               !shared.workload.txs[index].after.empty() &&
               (behind_since[a] == Clock::time_point{} ||
                Clock::now() - behind_since[a] < std::chrono::seconds(3))) {
      // The predecessor committed at the followed validator; this signer's validator may not have
      // committed that block yet, and refuses the step on its older state (409, or 403 when the
      // signer is not yet the holder). Later, for up to 3 s.
      if (behind_since[a] == Clock::time_point{}) behind_since[a] = Clock::now();
      ++shared.retried;
    } else {
      if (shared.refused.fetch_add(1) == 0) {
        std::lock_guard lock(shared.mutex);
        shared.first_refusal = shared.workload.txs[index].type + ": HTTP " + std::to_string(answer.status) +
                               " " + answer.rule_text.substr(0, 300);
      }
      kill_rest(a);
    }
    return false;
  };
  // POSTs `body` to `target` until the node answers (200..599) or sending stops.
  auto post = [&](const char* target, const std::string& body,
                  bool& resent) -> std::optional<std::pair<int, std::string>> {
    for (;;) {
      auto answer = client->Post(target, body, "application/json");
      if (answer) return std::make_pair(answer->status, std::move(answer->body));
      ++shared.connection_errors;
      resent = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (shared.stop_sending.load()) return std::nullopt;
    }
  };
  struct Pick {
    std::size_t account;  // index into `accounts`
    std::uint32_t index;  // into the workload
  };
  std::vector<Pick> picks;
  std::vector<std::uint32_t> picked_of(accounts.size(), 0);
  std::vector<char> settled_all(accounts.size(), 1);  // false once one of the batch's picks was not admitted
  std::size_t first_account = 0;  // each pass starts one account later, so a full batch starves none
  std::string body;
  while (!shared.stop_sending.load()) {
    bool progress = false;
    bool remaining = false;
    auto wake = Clock::now() + std::chrono::milliseconds(2);
    picks.clear();
    std::size_t batch_bytes = 0;
    first_account = (first_account + 1) % accounts.size();
    for (std::size_t turn = 0; turn < accounts.size() && !shared.stop_sending.load(); ++turn) {
      const std::size_t a = (first_account + turn) % accounts.size();
      const auto& queue = shared.by_sender[accounts[a]];
      picked_of[a] = 0;
      // Account a's transactions that can go now, consecutive from its cursor.
      while (picks.size() < batch_limit) {
        const std::size_t next = cursor[a] + picked_of[a];
        if (next >= queue.size()) break;
        remaining = true;
        const std::uint32_t index = queue[next];
        const auto due = shared.scheduled(index);
        if (due >= shared.send_end) {
          if (picked_of[a] == 0) cursor[a] = queue.size();  // scheduled after the window: never sent
          break;
        }
        const auto now = Clock::now();
        if (due > now) {
          wake = std::min(wake, due);
          break;
        }
        if (sent_by[a] + picked_of[a] - shared.committed_by_sender[accounts[a]].load() >= cap) break;
        bool ready = true;
        bool broken = false;
        for (std::uint32_t before : shared.workload.txs[index].after) {
          const auto s = shared.state[before].load();
          if (s == dead) broken = true;
          if (s != committed) ready = false;
        }
        if (broken && picked_of[a] == 0) kill_rest(a);
        if (broken || !ready) break;
        // A batch stays under the node's body limit (the array's brackets and commas included).
        const std::size_t size = shared.workload.txs[index].wire.size() + 1;
        if (batch_limit > 1 && !picks.empty() && batch_bytes + size + 1 > limits::max_batch_bytes) break;
        batch_bytes += size;
        picks.push_back(Pick{a, index});
        ++picked_of[a];
      }
      // One transaction per request: send it now, as the pass goes.
      if (batch_limit == 1 && !picks.empty()) {
        bool resent = false;
        const std::uint32_t index = picks[0].index;
        picks.clear();
        auto answer = post("/v1/tx", shared.workload.txs[index].wire, resent);
        if (!answer) break;
        progress =
            settle(a, index, SubmitAnswer{answer->first, std::move(answer->second)}, resent) || progress;
      }
      if (picks.size() >= batch_limit) break;
    }
    if (!picks.empty()) {
      body.assign("[");
      for (std::size_t i = 0; i < picks.size(); ++i) {
        if (i > 0) body.push_back(',');
        body.append(shared.workload.txs[picks[i].index].wire);
      }
      body.push_back(']');
      bool resent = false;
      auto answer = post("/v1/txs", body, resent);
      if (!answer) break;
      auto results = json::read(answer->second, {.max_bytes = 64 * 1024 * 1024, .max_depth = 16});
      const json::Json* list = nullptr;
      if (results && results->is_object()) {
        const auto found = results->find("results");
        if (found != results->end() && found->is_array() && found->size() == picks.size()) list = &*found;
      }
      for (const Pick& pick : picks) settled_all[pick.account] = 1;
      if (list == nullptr) {
        // The batch as a whole was refused, or the answer is not one: every account's first pick
        // settles with the answer, the rest go again. An answer of success without its results
        // cannot say what was admitted: it counts as a refusal, not as sent.
        const int status = answer->first >= 200 && answer->first < 300 ? 0 : answer->first;
        for (const Pick& pick : picks) {
          if (!settled_all[pick.account]) continue;
          settled_all[pick.account] = 0;
          settle(pick.account, pick.index, SubmitAnswer{status, answer->second}, resent);
        }
      } else {
        for (std::size_t i = 0; i < picks.size(); ++i) {
          const std::size_t a = picks[i].account;
          // After one of its transactions was not admitted, an account's later picks were refused for
          // the nonce gap: they go again, in order, on a later pass.
          if (!settled_all[a]) continue;
          const json::Json& result = (*list)[i];
          SubmitAnswer one{202, {}};
          if (result.value("status", std::string()) != "pending") {
            const auto problem = result.find("problem");
            one.status = problem != result.end() && problem->is_object() ? problem->value("status", 0) : 0;
            one.rule_text =
                problem != result.end() && problem->is_object()
                    ? problem->value("rule", std::string()) + ": " + problem->value("detail", std::string())
                    : result.dump();
          }
          if (settle(a, picks[i].index, one, resent)) {
            progress = true;
          } else {
            settled_all[a] = 0;
          }
        }
      }
    }
    if (!remaining) return;
    if (!progress) {
      std::unique_lock lock(shared.mutex);
      shared.new_block.wait_until(lock, wake);
    }
  }
}

std::uint64_t committed_at_time(const std::vector<std::pair<Clock::time_point, std::uint64_t>>& timeline,
                                Clock::time_point when) {
  std::uint64_t value = 0;
  for (const auto& [time, count] : timeline) {
    if (time > when) break;
    value = count;
  }
  return value;
}

}  // namespace

double quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const auto index = static_cast<std::size_t>(std::ceil(position));
  return values[std::min(index, values.size() - 1)];
}

Result<SubmitResult> submit_workload(const Workload& workload, const std::vector<BenchAccount>& accounts,
                                     const SubmitOptions& options) {
  ONEBILL_ASSERT(!options.nodes.empty());
  ONEBILL_ASSERT(options.connections >= options.nodes.size());
  Shared shared(workload, options);
  const std::size_t count = workload.txs.size();
  shared.state = std::make_unique<std::atomic<std::uint8_t>[]>(count);
  for (std::size_t i = 0; i < count; ++i) shared.state[i].store(unsent);
  shared.committed_at.resize(count);
  shared.committed_by_sender = std::make_unique<std::atomic<std::uint32_t>[]>(accounts.size());
  for (std::size_t i = 0; i < accounts.size(); ++i) shared.committed_by_sender[i].store(0);
  shared.first_nonce.assign(accounts.size(), 0);
  shared.by_sender.resize(accounts.size());
  for (std::size_t i = 0; i < accounts.size(); ++i)
    shared.sender_of_address[lower(accounts[i].address_text)] = static_cast<std::uint32_t>(i);
  for (std::size_t i = 0; i < count; ++i) {
    const auto& tx = workload.txs[i];
    auto& queue = shared.by_sender[tx.sender];
    if (queue.empty()) shared.first_nonce[tx.sender] = tx.nonce;
    ONEBILL_ASSERT(tx.nonce == shared.first_nonce[tx.sender] + queue.size());  // contiguous nonces
    queue.push_back(static_cast<std::uint32_t>(i));
  }

  // A signer's transactions go to one node over one connection; connections are spread over the nodes.
  const std::size_t nodes = options.nodes.size();
  const std::size_t connections = (options.connections + nodes - 1) / nodes * nodes;
  std::vector<std::vector<std::uint32_t>> owned(connections);
  for (std::uint32_t a = 0; a < accounts.size(); ++a) owned[a % connections].push_back(a);

  shared.start = Clock::now();
  shared.send_end = shared.start + options.duration;
  std::thread follower(follow_blocks, std::ref(shared), std::cref(options.nodes[0]));
  std::vector<std::thread> workers;
  for (std::size_t c = 0; c < connections; ++c) {
    if (owned[c].empty()) continue;
    workers.emplace_back(send_transactions, std::ref(shared), std::cref(options.nodes[c % nodes]), owned[c]);
  }
  // Sending window, then the drain: until every sent transaction committed, or the drain time is up.
  auto all_done = [&] {
    return shared.committed.load() + shared.refused.load() >= shared.sent_count.load() &&
           shared.sent_count.load() > 0;
  };
  Clock::time_point exhausted_at{};
  while (Clock::now() < shared.send_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (options.progress)
      options.progress(std::chrono::duration<double>(Clock::now() - shared.start).count(),
                       shared.committed.load());
    bool anything_left = false;
    for (std::size_t i = 0; i < count && !anything_left; ++i)
      anything_left = shared.state[i].load() == unsent;
    if (!anything_left && all_done()) {
      exhausted_at = Clock::now();
      break;
    }
  }
  if (options.offered_per_s > 0) {
    // Open loop: a transaction scheduled in the window whose predecessor (another signer's step of its
    // bill) commits after the window is still sent then, so its latency is measured to its commit
    // rather than counted as never committed.
    auto scheduled_settled = [&] {
      for (std::size_t i = 0; i < count; ++i) {
        if (shared.scheduled(i) >= shared.send_end) break;
        const auto s = shared.state[i].load();
        if (s == unsent || s == sent) return false;
      }
      return true;
    };
    const auto drain_end = Clock::now() + options.drain;
    while (Clock::now() < drain_end && !scheduled_settled())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  shared.stop_sending = true;
  shared.new_block.notify_all();
  for (auto& worker : workers) worker.join();
  const auto stopped = Clock::now();
  const auto drain_end = stopped + options.drain;
  while (Clock::now() < drain_end && !all_done()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  shared.stop_following = true;
  follower.join();
  const auto finished = Clock::now();

  SubmitResult result;
  result.committed = shared.committed.load();
  result.block_transactions = shared.block_transactions.load();
  result.sent = shared.sent_count.load();
  result.refused = shared.refused.load();
  result.retried = shared.retried.load();
  result.connection_errors = shared.connection_errors.load();
  result.first_refusal = shared.first_refusal;
  result.last_height = shared.last_height.load();
  result.blocks = shared.blocks.load();
  result.workload_exhausted = exhausted_at != Clock::time_point{};
  const auto window_begin = shared.start + std::min(options.warmup, options.duration / 4);
  const auto window_end = result.workload_exhausted ? exhausted_at : shared.send_end;
  result.window_s = std::chrono::duration<double>(window_end - window_begin).count();
  if (result.window_s > 0) {
    const auto committed_in_window =
        committed_at_time(shared.timeline, window_end) - committed_at_time(shared.timeline, window_begin);
    result.committed_per_s = static_cast<double>(committed_in_window) / result.window_s;
  }
  result.committed_txs.resize(count);
  for (std::size_t i = 0; i < count; ++i) result.committed_txs[i] = shared.state[i].load() == committed;
  if (options.offered_per_s > 0) {
    for (std::size_t i = 0; i < count; ++i) {
      const auto due = shared.scheduled(i);
      if (due >= shared.send_end) break;
      if (shared.state[i].load() == committed) {
        result.latencies_ms.push_back(ms_between(due, shared.committed_at[i]));
      } else {
        result.latencies_ms.push_back(ms_between(due, finished));
        ++result.not_committed;
      }
    }
  }
  return result;
}

std::vector<Hash32> issued_bills(const Workload& workload, const SubmitResult& submitted) {
  std::vector<Hash32> out;
  for (std::size_t i = 0; i < workload.txs.size() && i < submitted.committed_txs.size(); ++i) {
    if (submitted.committed_txs[i] && workload.txs[i].type == "bill.issue")
      out.push_back(workload.bills[workload.txs[i].bill]);
  }
  return out;
}

ReadResult run_reads(const ReadOptions& options) {
  ReadResult result;
  result.offered_per_s = options.offered_per_s;
  if (options.bills.empty() || options.offered_per_s <= 0) return result;
  std::vector<std::string> ids;
  for (const auto& bill : options.bills) ids.push_back(hex::encode(bill));
  auto target_of = [&](std::size_t k) {
    return "/v1/bills/" + ids[(k * 7919) % ids.size()] + (k % 2 == 0 ? "/control" : "/history");
  };
  std::mutex mutex;
  std::condition_variable warmed;
  std::size_t warming = options.connections;
  const auto warmup_started = Clock::now();
  Clock::time_point warmed_at{}, start{}, end{};
  std::vector<double> latencies;
  std::vector<std::vector<double>> by_second(
      static_cast<std::size_t>(std::ceil(std::chrono::duration<double>(options.duration).count())) + 1);
  std::atomic<std::uint64_t> completed{0}, failed{0}, warmup_reads{0};
  Clock::time_point last_done{};
  auto reader = [&](std::size_t connection) {
    ReadConnection reads(options.node, std::chrono::seconds(10));
    if (options.warm_up) {
      for (std::size_t bill = connection; bill < ids.size(); bill += options.connections) {
        for (const char* route : {"/control", "/history"}) {
          auto answer = reads.get("/v1/bills/" + ids[bill] + route);
          if (!answer || answer->first != 200) ++failed;
          ++warmup_reads;
        }
      }
    }
    {
      // The timed phase starts when every connection has warmed up.
      std::unique_lock lock(mutex);
      if (--warming == 0) {
        warmed_at = Clock::now();
        start = warmed_at + std::chrono::milliseconds(20);
        end = start + options.duration;
        last_done = start;
        warmed.notify_all();
      } else {
        warmed.wait(lock, [&] { return warming == 0; });
      }
    }
    std::vector<double> mine;
    std::vector<std::pair<std::size_t, double>> mine_by_second;
    Clock::time_point my_last = start;
    for (std::size_t k = connection;; k += options.connections) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                   static_cast<double>(k) / options.offered_per_s));
      if (due >= end) break;
      std::this_thread::sleep_until(due);
      auto answer = reads.get(target_of(k));
      const auto done = Clock::now();
      if (answer && answer->first == 200) {
        ++completed;
      } else {
        ++failed;
      }
      mine.push_back(ms_between(due, done));
      mine_by_second.emplace_back(static_cast<std::size_t>(static_cast<double>(k) / options.offered_per_s),
                                  mine.back());
      my_last = done;
    }
    std::lock_guard lock(mutex);
    latencies.insert(latencies.end(), mine.begin(), mine.end());
    for (const auto& [second, latency] : mine_by_second)
      by_second[std::min(second, by_second.size() - 1)].push_back(latency);
    last_done = std::max(last_done, my_last);
  };
  std::vector<std::thread> threads;
  for (std::size_t c = 0; c < options.connections; ++c) threads.emplace_back(reader, c);
  for (auto& thread : threads) thread.join();
  result.completed = completed.load();
  result.failed = failed.load();
  result.warmup_reads = warmup_reads.load();
  result.warmup_s = std::chrono::duration<double>(warmed_at - warmup_started).count();
  const double elapsed = std::chrono::duration<double>(last_done - start).count();
  if (elapsed > 0) result.reads_per_s = static_cast<double>(result.completed) / elapsed;
  result.p50_ms = quantile(latencies, 0.50);
  result.p99_ms = quantile(latencies, 0.99);
  for (auto& second : by_second) {
    if (!second.empty()) result.p99_ms_by_second.push_back(quantile(second, 0.99));
  }
  return result;
}

ReadConnection::ReadConnection(Endpoint node, std::chrono::milliseconds timeout)
    : node_(std::move(node)), timeout_(timeout) {}

ReadConnection::~ReadConnection() {
  close_now();
}

void ReadConnection::close_now() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
}

bool ReadConnection::connect_now() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  int on = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  timeval limit{};
  limit.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
  limit.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(node_.port);
  if (::inet_pton(AF_INET, node_.host.c_str(), &address.sin_addr) != 1 ||
      ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close_now();
    return false;
  }
  return true;
}

bool ReadConnection::send_all(const std::string& data) {
  std::size_t offset = 0;
  while (offset < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + offset, data.size() - offset, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    offset += static_cast<std::size_t>(n);
  }
  return true;
}

bool ReadConnection::receive_more() {
  char chunk[16 * 1024];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // closed, or no byte within the timeout
    in_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

std::optional<std::pair<int, std::string>> ReadConnection::get(const std::string& target) {
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: " + node_.host + ":" + std::to_string(node_.port) + "\r\n\r\n";
  // A kept connection the node closed meanwhile (idle, or its request limit) fails the send or the
  // first receive: one retry on a fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool fresh = fd_ < 0;
    if (fresh && !connect_now()) return std::nullopt;
    in_.clear();
    if (!send_all(request)) {
      close_now();
      continue;
    }
    std::size_t head_end = std::string::npos;
    bool broken = false;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (in_.size() > 64 * 1024 || !receive_more()) {
        broken = true;
        break;
      }
    }
    if (broken) {
      const bool nothing_came = in_.empty();
      close_now();
      if (nothing_came && !fresh) continue;
      return std::nullopt;
    }
    // "HTTP/1.1 200 OK": the status after the first space; the length from Content-Length.
    const std::string_view head(in_.data(), head_end);
    int status = 0;
    const auto space = head.find(' ');
    if (space == std::string_view::npos ||
        std::from_chars(head.data() + space + 1, head.data() + head.size(), status).ec != std::errc()) {
      close_now();
      return std::nullopt;
    }
    std::size_t length = 0;
    bool has_length = false;
    bool closes = false;
    // Header names and `close` compare without case (RFC 9110); no copy of the lines.
    auto starts_with = [](std::string_view text, std::string_view prefix) {
      return text.size() >= prefix.size() && ::strncasecmp(text.data(), prefix.data(), prefix.size()) == 0;
    };
    for (std::size_t line = head.find("\r\n"); line != std::string_view::npos;) {
      const std::size_t next = head.find("\r\n", line + 2);
      const std::string_view field =
          head.substr(line + 2, (next == std::string_view::npos ? head.size() : next) - line - 2);
      if (starts_with(field, "content-length:")) {
        const auto begin = field.find_first_not_of(' ', 15);
        has_length =
            begin != std::string_view::npos &&
            std::from_chars(field.data() + begin, field.data() + field.size(), length).ec == std::errc();
      } else if (field.size() == 17 && starts_with(field, "connection: close")) {
        closes = true;
      }
      line = next;
    }
    if (!has_length) {
      close_now();
      return std::nullopt;
    }
    const std::size_t body_start = head_end + 4;
    while (in_.size() < body_start + length) {
      if (!receive_more()) {
        close_now();
        return std::nullopt;
      }
    }
    std::pair<int, std::string> answer{status, in_.substr(body_start, length)};
    in_.erase(0, body_start + length);
    if (closes) close_now();
    return answer;
  }
  return std::nullopt;
}

std::optional<std::string> http_get(const Endpoint& node, const std::string& target, int timeout_s) {
  auto client = make_client(node, timeout_s);
  client->set_connection_timeout(timeout_s, 0);
  auto answer = client->Get(target.c_str());
  if (!answer || answer->status != 200) return std::nullopt;
  return answer->body;
}

std::optional<std::pair<int, std::string>> http_post(const Endpoint& node, const std::string& target,
                                                     const std::string& body, int timeout_s) {
  auto client = make_client(node, timeout_s);
  auto answer = client->Post(target.c_str(), body, "application/json");
  if (!answer) return std::nullopt;
  return std::make_pair(answer->status, answer->body);
}

std::optional<std::uint64_t> node_height(const Endpoint& node) {
  auto body = http_get(node, "/v1/status", 2);
  if (!body) return std::nullopt;
  auto status = json::read(*body);
  if (!status || !status->is_object()) return std::nullopt;
  const auto height = status->find("height");
  if (height == status->end() || !height->is_number_unsigned()) return std::nullopt;
  return height->get<std::uint64_t>();
}

}  // namespace onebill::api::bench
