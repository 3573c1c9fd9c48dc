#include "api/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <thread>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "api/http_problem.h"

namespace onebill::api {
namespace {

using Clock = std::chrono::steady_clock;

// Set on the acceptor thread while it runs a connection the full queue cannot take: the connection is
// answered 503 at once instead of being served.
thread_local bool t_refuse_connection = false;
// Set by a handler or the pre-routing check to close the connection after the response (a 413 whose
// body was never read would otherwise be parsed as the next request).
thread_local bool t_close_after_response = false;

// Tells the client, too: a keep-alive client must not send its next request on this connection.
void close_after_response(httplib::Response& response) {
  t_close_after_response = true;
  response.set_header("Connection", "close");
}

constexpr std::chrono::milliseconds poll_slice{50};
constexpr std::chrono::milliseconds idle_grace_under_pressure{100};
constexpr std::size_t stream_buffer_bytes = 16 * 1024;

int slice_ms(Clock::duration remaining) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(remaining);
  return static_cast<int>(std::clamp<std::int64_t>(ms.count(), 0, poll_slice.count()));
}

std::string lowercase_media_type(const std::string& content_type) {
  std::string media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.back()))) media.pop_back();
  std::size_t start = 0;
  while (start < media.size() && std::isspace(static_cast<unsigned char>(media[start]))) ++start;
  media = media.substr(start);
  std::transform(media.begin(), media.end(), media.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return media;
}

bool ip_and_port(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    if (inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text) == nullptr) return false;
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    if (inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text) == nullptr) return false;
    port = ntohs(v6->sin6_port);
  } else {
    return false;
  }
  ip = text;
  return true;
}

}  // namespace

class HttpServer::Impl {
 public:
  explicit Impl(HttpServerLimits limits_in) : limits(limits_in), server(*this) {}

  // Our connection handling in place of cpp-httplib's (whose keep-alive count, queue and timeouts are
  // compiled into the shared library).
  class Server final : public httplib::Server {
   public:
    explicit Server(Impl& impl) : impl_(impl) {}
    using httplib::Server::process_request;
    void widen_backlog() {
      // The library listens with a backlog of 5; a burst of clients would see dropped SYNs.
      if (svr_sock_ != INVALID_SOCKET) ::listen(svr_sock_, 1024);
    }

   private:
    bool process_and_close_socket(socket_t sock) override { return impl_.serve_connection(sock); }
    Impl& impl_;
  };

  // Workers and a bounded queue of accepted connections (DESIGN §7: 32 workers, 1,024 queued).
  class BoundedTaskQueue final : public httplib::TaskQueue {
   public:
    explicit BoundedTaskQueue(Impl& impl) : impl_(impl) {
      for (std::size_t i = 0; i < impl_.limits.worker_threads; ++i) workers_.emplace_back([this] { work(); });
    }
    ~BoundedTaskQueue() override = default;

    void enqueue(std::function<void()> job) override {
      {
        std::lock_guard lock(mutex_);
        if (!stopping_ && jobs_.size() < impl_.limits.max_queued_connections) {
          jobs_.push_back(std::move(job));
          impl_.queued.store(jobs_.size());
          ready_.notify_one();
          return;
        }
      }
      // Full: run the job here in refusal mode (serve_connection answers 503 "busy" and closes).
      t_refuse_connection = true;
      job();
      t_refuse_connection = false;
    }

    void shutdown() override {
      {
        std::lock_guard lock(mutex_);
        stopping_ = true;
      }
      ready_.notify_all();
      for (auto& worker : workers_) worker.join();
      workers_.clear();
    }

   private:
    void work() {
      ::pthread_setname_np(::pthread_self(), "http");
      for (;;) {
        std::function<void()> job;
        {
          std::unique_lock lock(mutex_);
          ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
          if (jobs_.empty()) return;  // stopping, and nothing left to close
          job = std::move(jobs_.front());
          jobs_.pop_front();
          impl_.queued.store(jobs_.size());
        }
        job();
      }
    }

    Impl& impl_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> workers_;
    bool stopping_ = false;
  };

  // A socket stream with buffered reads and our timeouts: a read waits at most read_timeout without
  // progress, never past the request's deadline, and gives up on a request still arriving after
  // stall_under_pressure while other connections wait for a worker.
  class ConnectionStream final : public httplib::Stream {
   public:
    ConnectionStream(int fd, Impl& impl) : fd_(fd), impl_(impl), buffer_(stream_buffer_bytes) {}

    void begin_request() {
      request_started_ = Clock::now();
      request_deadline_ = request_started_ + impl_.limits.request_deadline;
      last_progress_ = request_started_;
    }
    bool has_buffered() const { return begin_ < end_; }

    bool is_readable() const override { return has_buffered() || wait_readable(); }
    bool is_writable() const override { return wait_writable(); }

    ssize_t read(char* out, size_t size) override {
      if (!has_buffered() && !fill()) return end_of_stream_ ? 0 : -1;
      const std::size_t n = std::min(size, end_ - begin_);
      std::memcpy(out, buffer_.data() + begin_, n);
      begin_ += n;
      return static_cast<ssize_t>(n);
    }

    // cpp-httplib writes an answer's head and its body separately: two system calls and, with
    // TCP_NODELAY, two packets the client reads one by one. They are gathered here and leave in one
    // send when the answer is complete (flush), or before the next read (an interim "100 Continue").
    ssize_t write(const char* data, size_t size) override {
      if (out_.size() + size > stream_buffer_bytes && !flush()) return -1;
      if (size >= stream_buffer_bytes) return send_all(data, size) ? static_cast<ssize_t>(size) : -1;
      out_.insert(out_.end(), data, data + size);
      return static_cast<ssize_t>(size);
    }

    bool flush() {
      const bool sent = send_all(out_.data(), out_.size());
      out_.clear();
      return sent;
    }

    // Between requests: one receive that waits up to poll_slice (the socket's receive timeout) for the
    // next request, so a kept connection costs one system call per request, not a poll and a receive.
    enum class Arrival { request, nothing_yet, closed };
    Arrival wait_for_bytes() { return receive(0); }

    // cpp-httplib asks for both addresses with every request; a connection's addresses never change,
    // so each is asked of the kernel once per connection (two system calls per request saved).
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
      if (!remote_known_) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
          ip_and_port(address, remote_ip_, remote_port_);
        remote_known_ = true;
      }
      ip = remote_ip_;
      port = remote_port_;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
      if (!local_known_) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0)
          ip_and_port(address, local_ip_, local_port_);
        local_known_ = true;
      }
      ip = local_ip_;
      port = local_port_;
    }
    socket_t socket() const override { return fd_; }

   private:
    bool send_all(const char* data, std::size_t size) {
      while (size > 0) {
        const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
          data += n;
          size -= static_cast<std::size_t>(n);
          continue;
        }
        if (errno == EINTR) continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_writable()) return false;
      }
      return true;
    }

    // One receive into the empty buffer; `flags` MSG_DONTWAIT, or 0 to wait up to the socket's timeout.
    Arrival receive(int flags) {
      begin_ = end_ = 0;
      for (;;) {
        const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), flags);
        if (n > 0) {
          end_ = static_cast<std::size_t>(n);
          last_progress_ = Clock::now();
          return Arrival::request;
        }
        if (n == 0) {
          end_of_stream_ = true;
          return Arrival::closed;
        }
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? Arrival::nothing_yet : Arrival::closed;
      }
    }

    // The rest of a request: a receive without waiting, else poll under the request's deadlines.
    bool fill() {
      if (!out_.empty() && !flush()) return false;
      for (;;) {
        const Arrival arrival = receive(MSG_DONTWAIT);
        if (arrival != Arrival::nothing_yet) return arrival == Arrival::request;
        if (!wait_readable()) return false;
      }
    }

    bool wait_readable() const {
      for (;;) {
        const auto now = Clock::now();
        if (now >= request_deadline_) return impl_.note_stalled();
        if (now - last_progress_ >= impl_.limits.read_timeout) return impl_.note_stalled();
        // While others wait for a worker, a request still arriving after stall_under_pressure is cut
        // off even if it trickles: an honest client sends a request in milliseconds.
        if (impl_.under_pressure() && now - request_started_ >= impl_.limits.stall_under_pressure) {
          return impl_.note_stalled();
        }
        if (impl_.stopping.load()) return false;
        pollfd entry{fd_, POLLIN, 0};
        const int ready = ::poll(&entry, 1, slice_ms(request_deadline_ - now));
        if (ready > 0) return true;
        if (ready < 0 && errno != EINTR) return false;
      }
    }

    bool wait_writable() const {
      const auto deadline = Clock::now() + impl_.limits.write_timeout;
      for (;;) {
        const auto now = Clock::now();
        if (now >= deadline || impl_.stopping.load()) return false;
        pollfd entry{fd_, POLLOUT, 0};
        const int ready = ::poll(&entry, 1, slice_ms(deadline - now));
        if (ready > 0) return (entry.revents & (POLLERR | POLLHUP | POLLNVAL)) == 0;
        if (ready < 0 && errno != EINTR) return false;
      }
    }

    int fd_;
    Impl& impl_;
    std::vector<char> buffer_;
    std::vector<char> out_;  // an answer being written, sent by flush()
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    bool end_of_stream_ = false;
    Clock::time_point request_started_ = Clock::now();
    Clock::time_point request_deadline_ = Clock::now();
    Clock::time_point last_progress_ = Clock::now();
    mutable bool remote_known_ = false;
    mutable std::string remote_ip_;
    mutable int remote_port_ = 0;
    mutable bool local_known_ = false;
    mutable std::string local_ip_;
    mutable int local_port_ = 0;
  };

  bool under_pressure() const { return queued.load() > 0; }
  bool note_stalled() {
    counters.connections_closed_stalled.fetch_add(1);
    return false;
  }

  // Waits for the next request on a connection: up to keep_alive_timeout, or only a short grace while
  // other connections wait for a worker.
  bool wait_for_request(ConnectionStream& stream) {
    if (stream.has_buffered()) return true;  // a pipelined request
    const auto idle_since = Clock::now();
    for (;;) {
      if (stopping.load()) return false;
      const auto idle = Clock::now() - idle_since;
      if (idle >= limits.keep_alive_timeout || (under_pressure() && idle >= idle_grace_under_pressure)) {
        counters.connections_closed_idle.fetch_add(1);
        return false;
      }
      switch (stream.wait_for_bytes()) {
        case ConnectionStream::Arrival::request:
          return true;
        case ConnectionStream::Arrival::closed:
          return false;
        case ConnectionStream::Arrival::nothing_yet:
          break;
      }
    }
  }

  static void close_gracefully(int fd) {
    // Half-close, then drain briefly, so the client reads our last answer instead of a reset.
    ::shutdown(fd, SHUT_WR);
    char sink[4096];
    const auto deadline = Clock::now() + std::chrono::milliseconds(500);
    std::size_t drained = 0;
    while (Clock::now() < deadline && drained < 4 * 1024 * 1024) {
      pollfd entry{fd, POLLIN, 0};
      if (::poll(&entry, 1, 20) <= 0) continue;
      const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
      if (n <= 0) break;
      drained += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }

  void refuse_busy(int fd) {
    counters.connections_refused_busy.fetch_add(1);
    static const std::string answer = [] {
      const std::string body =
          dump_json(problem_json(invalid("busy", "The server is at capacity; retry later."), 503));
      return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
             "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    (void)::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    char sink[4096];
    while (::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
    ::close(fd);
  }

  bool serve_connection(int fd) {
    if (t_refuse_connection) {
      refuse_busy(fd);
      return false;
    }
    counters.connections_accepted.fetch_add(1);
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    // Only the wait between requests blocks (ConnectionStream::wait_for_bytes), a slice at a time.
    timeval slice{0, static_cast<suseconds_t>(std::chrono::microseconds(poll_slice).count())};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &slice, sizeof slice);
    ConnectionStream stream(fd, *this);
    bool served = false;
    bool close_after = false;
    for (std::size_t remaining = limits.keep_alive_max_requests; remaining > 0; --remaining) {
      if (!wait_for_request(stream)) break;
      stream.begin_request();
      t_close_after_response = false;
      bool connection_closed = false;
      served = server.process_request(stream, remaining == 1, connection_closed, {});
      if (!stream.flush()) served = false;
      counters.requests.fetch_add(1);
      if (t_close_after_response) close_after = true;
      if (!served || connection_closed || close_after) break;
    }
    if (close_after) {
      close_gracefully(fd);
    } else {
      ::close(fd);
    }
    return served;
  }

  std::size_t body_limit_for(const httplib::Request& request) const {
    if (request.method == "POST") {
      for (const auto& [pattern, limit] : post_limits) {
        if (std::regex_match(request.path, pattern)) return limit;
      }
    }
    return limits.default_max_body_bytes;
  }

  HttpServerLimits limits;
  Server server;
  HttpServerCounters counters;
  std::atomic<std::size_t> queued{0};
  std::atomic<bool> stopping{false};
  std::vector<std::pair<std::regex, std::size_t>> post_limits;
  std::size_t max_route_body_bytes = 0;
  std::vector<RouteInfo> routes;

  // GET routes, matched before cpp-httplib's own table, which runs a std::regex match for every route
  // in turn until one matches (about a sixth of the node's CPU at 20,000 reads/s). A route whose
  // literal prefix and suffix the path does not have is passed over without its regex.
  struct FastRoute {
    std::string prefix;  // the pattern's literal start (nothing optional in it)
    std::string suffix;  // the pattern's literal end
    bool literal = false;
    std::regex pattern;
    Handler handler;
  };
  std::vector<FastRoute> get_routes;

  static bool is_regex_special(char c) {
    return std::string_view(".[]()\\*+?{}|^$").find(c) != std::string_view::npos;
  }

  static FastRoute fast_route(const std::string& pattern, Handler handler) {
    FastRoute route{{}, {}, false, std::regex(pattern), std::move(handler)};
    if (pattern.find('|') != std::string::npos) return route;  // alternatives: no literal ends
    std::size_t begin = 0;
    while (begin < pattern.size() && !is_regex_special(pattern[begin])) ++begin;
    if (begin == pattern.size()) {
      route.prefix = pattern;
      route.literal = true;
      return route;
    }
    const char stop = pattern[begin];
    if ((stop == '?' || stop == '*' || stop == '{' || stop == '+') && begin > 0) --begin;  // quantified
    route.prefix = pattern.substr(0, begin);
    std::size_t end = pattern.size();
    while (end > 0 && !is_regex_special(pattern[end - 1])) --end;
    if (end > 0 && pattern[end - 1] == '\\') ++end;  // an escaped character is not literal text here
    route.suffix = pattern.substr(std::min(end, pattern.size()));
    return route;
  }

  bool dispatch_get(const httplib::Request& request, httplib::Response& response) const {
    const std::string& path = request.path;
    for (const auto& route : get_routes) {
      if (route.literal) {
        if (path != route.prefix) continue;
      } else {
        if (path.size() < route.prefix.size() + route.suffix.size() ||
            path.compare(0, route.prefix.size(), route.prefix) != 0 ||
            path.compare(path.size() - route.suffix.size(), route.suffix.size(), route.suffix) != 0)
          continue;
        // cpp-httplib passes the request it owns (not a const object) as const; the handler reads
        // `matches` as it would after the library's own routing.
        auto& matches = const_cast<httplib::Request&>(request).matches;
        if (!std::regex_match(path, matches, route.pattern)) continue;
      }
      route.handler(request, response);
      return true;
    }
    return false;
  }
  Observer observer;

  // Times a handler and reports it to the observer (set before run(), so read without a lock).
  Handler observed(RouteInfo route, Handler handler) {
    routes.push_back(route);
    return [this, route = std::move(route), handler = std::move(handler)](const httplib::Request& request,
                                                                          httplib::Response& response) {
      const auto started = Clock::now();
      handler(request, response);
      if (observer) observer(route, response, Clock::now() - started);
    };
  }
};

HttpServer::HttpServer(HttpServerLimits limits) : impl_(std::make_unique<Impl>(limits)) {
  Impl& impl = *impl_;
  auto& server = impl.server;
  impl.max_route_body_bytes = limits.default_max_body_bytes;
  server.new_task_queue = [&impl] { return new Impl::BoundedTaskQueue(impl); };
  server.set_tcp_nodelay(true);
  // httplib's default sets SO_REUSEPORT, which lets a second process bind the same port and silently
  // take half of the connections (a second node started on a busy port would not fail). SO_REUSEADDR
  // alone allows a quick restart after a crash and refuses a port in use.
  server.set_socket_options([](socket_t socket) {
    int on = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  });
  server.set_keep_alive_max_count(limits.keep_alive_max_requests);
  server.set_keep_alive_timeout(std::max<time_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(limits.keep_alive_timeout).count()));
  server.set_read_timeout(limits.read_timeout);
  server.set_write_timeout(limits.write_timeout);
  server.set_payload_max_length(limits.default_max_body_bytes);

  server.set_pre_routing_handler([&impl](const httplib::Request& request, httplib::Response& response) {
    const std::size_t limit = impl.body_limit_for(request);
    const std::string length_text = request.get_header_value("Content-Length");
    if (!length_text.empty()) {
      std::size_t length = 0;
      bool numeric = length_text.size() <= 19;
      for (char c : length_text) {
        if (c < '0' || c > '9') {
          numeric = false;
          break;
        }
        length = length * 10 + static_cast<std::size_t>(c - '0');
      }
      if (!numeric || length > limit) {
        close_after_response(response);
        answer_problem(response, numeric ? invalid("too-large", "The body exceeds this route's limit of " +
                                                                    std::to_string(limit) + " bytes.")
                                         : invalid("bad-request", "Content-Length is not a decimal number."));
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    if (request.method == "GET" && impl.dispatch_get(request, response))
      return httplib::Server::HandlerResponse::Handled;
    return httplib::Server::HandlerResponse::Unhandled;
  });

  server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                                   httplib::Response& response) {
    if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    switch (response.status) {
      case 404:
        answer_problem(response, invalid("not-found", "No such resource."), 404);
        break;
      case 413:
      case 414:
      case 431:
        close_after_response(response);
        answer_problem(response, invalid("too-large", "The request exceeds a size limit."), response.status);
        break;
      case 503:
        answer_problem(response, invalid("busy", "The server is at capacity; retry later."), 503);
        break;
      default:
        if (response.status >= 500) {
          answer_problem(response, local_fault("internal", "The node failed to answer."), response.status);
        } else {
          answer_problem(response, invalid("bad-request", "The HTTP request is malformed."), response.status);
        }
    }
    return httplib::Server::HandlerResponse::Handled;
  }));

  server.set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
        std::string what = "unknown exception";
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& exception) {
          what = exception.what();
        } catch (...) {
        }
        spdlog::error("http: {} {} failed: {}", request.method, request.path, what);
        answer_problem(response, local_fault("internal", "The node failed to answer this request."), 500);
      });
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::get(const std::string& pattern, Handler handler) {
  Handler observed = impl_->observed(RouteInfo{"GET", pattern}, std::move(handler));
  impl_->get_routes.push_back(Impl::fast_route(pattern, observed));
  impl_->server.Get(pattern, std::move(observed));  // HEAD requests, which the library routes as GET
}

std::vector<RouteInfo> HttpServer::routes() const {
  return impl_->routes;
}

void HttpServer::set_observer(Observer observer) {
  impl_->observer = std::move(observer);
}

void HttpServer::post(const std::string& pattern, std::size_t max_body_bytes, Handler handler) {
  impl_->post_limits.emplace_back(std::regex(pattern), max_body_bytes);
  impl_->max_route_body_bytes = std::max(impl_->max_route_body_bytes, max_body_bytes);
  impl_->server.set_payload_max_length(impl_->max_route_body_bytes);
  handler = impl_->observed(RouteInfo{"POST", pattern}, std::move(handler));
  impl_->server.Post(pattern, [handler = std::move(handler), max_body_bytes](const httplib::Request& request,
                                                                             httplib::Response& response) {
    // A chunked body has no Content-Length for the pre-routing check: check what arrived.
    if (request.body.size() > max_body_bytes) {
      close_after_response(response);
      answer_problem(response, invalid("too-large", "The body exceeds this route's limit of " +
                                                        std::to_string(max_body_bytes) + " bytes."));
      return;
    }
    if (lowercase_media_type(request.get_header_value("Content-Type")) != "application/json") {
      answer_problem(response,
                     invalid("unsupported-media-type", "POST bodies must be sent as application/json."));
      return;
    }
    handler(request, response);
  });
}

Result<int> HttpServer::bind(const std::string& host, int port) {
  auto& server = impl_->server;
  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
    if (bound <= 0) return local_fault("config", "cannot bind the API to " + host + " on any port");
  } else if (!server.bind_to_port(host, port)) {
    return local_fault("config", "cannot bind the API to " + host + ":" + std::to_string(port) +
                                     " (in use, or not an address of this machine)");
  }
  server.widen_backlog();
  return bound;
}

void HttpServer::run() {
  impl_->server.listen_after_bind();
}

void HttpServer::stop() {
  impl_->stopping.store(true);
  impl_->server.stop();
}

const HttpServerCounters& HttpServer::counters() const {
  return impl_->counters;
}
std::size_t HttpServer::queued_connections() const {
  return impl_->queued.load();
}

}  // namespace onebill::api
