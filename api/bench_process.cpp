#include "api/bench_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace onebill::api::bench {
namespace {

namespace fs = std::filesystem;

// fork + exec of the binary with stdout and stderr to `log` (appended); -1 on failure.
pid_t spawn_self(const std::vector<std::string>& arguments, const fs::path& log) {
  const std::string binary = self_executable();
  std::vector<std::string> all{binary};
  all.insert(all.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& argument : all) argv.push_back(argument.data());
  argv.push_back(nullptr);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a bench that dies takes its nodes with it
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    // The child must not inherit the bench's blocked signals (a node blocks and waits for SIGTERM itself).
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    // /proc/self/exe is the image this process runs even if the file was rebuilt meanwhile.
    ::execv("/proc/self/exe", argv.data());
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

std::optional<std::string> read_proc(pid_t pid, const char* file) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string self_executable() {
  static const std::string path = [] {
    std::error_code error;
    auto resolved = fs::read_symlink("/proc/self/exe", error);
    return error ? std::string("/proc/self/exe") : resolved.string();
  }();
  return path;
}

Result<int> run_self(const std::vector<std::string>& arguments, const fs::path& log) {
  const pid_t pid = spawn_self(arguments, log);
  if (pid < 0) return local_fault("bench", "cannot start " + self_executable() + ": " + std::strerror(errno));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return local_fault("bench", "cannot wait for a child process");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

ChildNode::~ChildNode() {
  stop(5);
}

Status ChildNode::start(const fs::path& home, const std::vector<std::string>& extra) {
  ONEBILL_ASSERT(pid_ <= 0);
  std::vector<std::string> arguments{"node", "--home", home.string()};
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  pid_ = spawn_self(arguments, home / "bench-node.log");
  if (pid_ < 0) return local_fault("bench", "cannot start a node: " + std::string(std::strerror(errno)));
  cpu_s_now_ = 0;
  return {};
}

void ChildNode::sample() {
  if (pid_ <= 0) return;
  if (auto status = read_proc(pid_, "status")) {
    const auto at = status->find("VmHWM:");
    if (at != std::string::npos) {
      const std::uint64_t kib = std::strtoull(status->c_str() + at + 6, nullptr, 10);
      peak_rss_bytes_ = std::max(peak_rss_bytes_, kib * 1024);
    }
  }
  if (auto stat = read_proc(pid_, "stat")) {
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const auto close = stat->rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(stat->substr(close + 2));
      std::string field;
      std::uint64_t utime = 0, stime = 0;
      for (int index = 3; fields >> field; ++index) {
        if (index == 14) utime = std::stoull(field);
        if (index == 15) {
          stime = std::stoull(field);
          break;
        }
      }
      const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
      cpu_s_now_ = static_cast<double>(utime + stime) / ticks;
    }
  }
}

void ChildNode::stop(int grace_s) {
  if (pid_ <= 0) return;
  sample();
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_s);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_ || (done < 0 && errno != EINTR)) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cpu_s_done_ += cpu_s_now_;
  cpu_s_now_ = 0;
  pid_ = -1;
}

bool ChildNode::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t done = 0;
  do {
    done = ::waitpid(pid_, &status, WNOHANG);
  } while (done < 0 && errno == EINTR);
  if (done == 0) return true;  // still running; done == pid_ exited, < 0 not our child (any more)
  cpu_s_done_ += cpu_s_now_;   // its last sample: /proc has nothing of a reaped process
  cpu_s_now_ = 0;
  pid_ = -1;
  return false;
}

std::uint64_t ChildNode::peak_rss_bytes() {
  sample();
  return peak_rss_bytes_;
}

double ChildNode::cpu_s() {
  sample();
  return cpu_s_done_ + cpu_s_now_;
}

std::uint64_t directory_bytes(const fs::path& path) {
  std::uint64_t total = 0;
  std::error_code error;
  for (fs::recursive_directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
    std::error_code size_error;
    if (it->is_regular_file(size_error)) {
      const auto size = it->file_size(size_error);
      if (!size_error) total += size;
    }
  }
  return total;
}

bool port_is_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

}  // namespace onebill::api::bench
