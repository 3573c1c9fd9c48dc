// The processes of `onebill bench`: nodes run as real child processes of the same binary
// (/proc/self/exe node --home ...), and what /proc tells of them (peak resident memory, CPU time).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crypto/result.h"

namespace onebill::api::bench {

// The running binary, for children (`/proc/self/exe` resolved once).
std::string self_executable();

// Runs the binary with `arguments` to completion, its output to `log`; the exit code, or a local fault.
Result<int> run_self(const std::vector<std::string>& arguments, const std::filesystem::path& log);

class ChildNode {
 public:
  ChildNode() = default;
  ChildNode(const ChildNode&) = delete;
  ChildNode& operator=(const ChildNode&) = delete;
  ~ChildNode();

  // Starts `onebill node --home home [extra...]`, output appended to home/bench-node.log.
  Status start(const std::filesystem::path& home, const std::vector<std::string>& extra);
  // SIGTERM, then wait (SIGKILL after `grace_s`); adds this run's CPU time to cpu_s() first.
  void stop(int grace_s = 20);
  // False once the process has exited (it is reaped then: a node that could not start, or crashed).
  bool running();
  pid_t pid() const { return pid_; }

  // Peak resident set (VmHWM) of the running process, bytes; the largest seen when it was stopped.
  std::uint64_t peak_rss_bytes();
  // User + system CPU seconds of every run of this node so far.
  double cpu_s();

 private:
  void sample();
  pid_t pid_ = -1;
  std::uint64_t peak_rss_bytes_ = 0;
  double cpu_s_done_ = 0;  // of runs already stopped
  double cpu_s_now_ = 0;   // of the running process, at its last sample
};

// Bytes of every regular file under `path`.
std::uint64_t directory_bytes(const std::filesystem::path& path);

// True when nothing listens on 127.0.0.1:port and it can be bound.
bool port_is_free(std::uint16_t port);

}  // namespace onebill::api::bench
