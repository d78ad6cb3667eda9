// SPDX-License-Identifier: AGPL-3.0-or-later
// The HTTP transport: cpp-httplib in front of Api::Handle.
#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>

#include "api/api.h"

namespace vigil::api {
namespace {

// One thread per open connection, up to a limit; connections beyond it wait for a thread to come free.
// httplib's fixed pool gives each connection a worker until the client finishes its request, so a few
// hundred slow clients trickling header lines (slowloris) would hold every worker forever and nobody else
// would be answered. Here a slow client holds only its own, mostly idle, thread; how many requests run the
// API at once is still bounded by ServerOptions::threads (a semaphore around Api::Handle).
class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max_threads) : state_(std::make_shared<State>()) { state_->max = max_threads; }

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->running >= state_->max) {
        state_->pending.push_back(std::move(fn));
        return;
      }
      ++state_->running;
    }
    try {
      std::thread(Work, state_, std::move(fn)).detach();
    } catch (const std::system_error&) {
      // No thread to be had (process limits): the connection waits for a running one, or, when none is
      // running, is served here so that it is never forgotten.
      std::unique_lock lock(state_->mutex);
      if (--state_->running > 0) {
        state_->pending.push_back(std::move(fn));
        return;
      }
      lock.unlock();
      fn();
    }
  }

  void shutdown() override {
    std::unique_lock lock(state_->mutex);
    state_->idle.wait(lock, [&] { return state_->running == 0; });
  }

 private:
  // Shared with the detached threads, so the last of them never touches a destroyed queue.
  struct State {
    std::mutex mutex;
    std::condition_variable idle;
    std::deque<std::function<void()>> pending;
    size_t running = 0;
    size_t max = 0;
  };

  static void Work(std::shared_ptr<State> state, std::function<void()> fn) {
    for (;;) {
      fn();
      std::lock_guard lock(state->mutex);
      if (state->pending.empty()) {
        if (--state->running == 0) state->idle.notify_all();
        return;
      }
      fn = std::move(state->pending.front());
      state->pending.pop_front();
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace

struct Server::Impl {
  Impl(Api& a, ServerOptions o) : api(a), options(std::move(o)) {}
  Api& api;
  ServerOptions options;
  std::counting_semaphore<> handlers{std::max(1, options.threads)};  // requests inside Api::Handle at once
  httplib::Server http;
  int port = 0;
};

Server::Server(Api& api, ServerOptions options) : impl_(std::make_unique<Impl>(api, std::move(options))) {
  auto& http = impl_->http;
  size_t connections = std::max<size_t>(1, impl_->options.max_connections);
  http.new_task_queue = [connections] { return new ConnectionThreads(connections); };
  http.set_payload_max_length(impl_->options.max_body_bytes);
  http.set_read_timeout(10);
  http.set_write_timeout(10);
  http.set_keep_alive_max_count(10000);
  // Headers and body leave in separate writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms each.
  http.set_tcp_nodelay(true);
  size_t max_params = impl_->options.max_query_params;
  auto handler = [this, max_params](const httplib::Request& req, httplib::Response& res) {
    if (req.params.size() > max_params) {
      res.status = 400;
      res.set_content("{\"error\":\"more than " + std::to_string(max_params) + " query parameters\"}",
                      "application/json");
      return;
    }
    HttpRequest request;
    request.method = req.method;
    request.path = req.path;
    request.params.assign(req.params.begin(), req.params.end());
    request.headers.assign(req.headers.begin(), req.headers.end());
    request.body = req.body;
    HttpResponse response;
    {
      struct Slot {
        explicit Slot(std::counting_semaphore<>& s) : sem(s) { sem.acquire(); }
        ~Slot() { sem.release(); }
        std::counting_semaphore<>& sem;
      } slot(impl_->handlers);
      response = impl_->api.Handle(request);
    }
    res.status = response.status;
    for (const auto& [name, value] : response.headers) res.set_header(name, value);
    res.set_content(std::move(response.body), response.content_type);
  };
  http.Get(".*", handler);
  http.Post(".*", handler);
  http.Delete(".*", handler);
  http.Options(".*", handler);
  http.Put(".*", handler);
  http.Patch(".*", handler);
}

Server::~Server() { Stop(); }

Status Server::Bind() {
  const auto& o = impl_->options;
  if (o.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(o.host);
    if (impl_->port <= 0) return Status::Unavailable("cannot bind " + o.host + " on any port");
  } else {
    if (!impl_->http.bind_to_port(o.host, o.port)) {
      return Status::Unavailable("cannot bind " + o.host + ":" + std::to_string(o.port) + " (in use or not permitted)");
    }
    impl_->port = o.port;
  }
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

void Server::Run() { impl_->http.listen_after_bind(); }

void Server::Stop() {
  if (impl_->http.is_running()) impl_->http.stop();
}

}  // namespace vigil::api
