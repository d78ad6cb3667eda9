// SPDX-License-Identifier: AGPL-3.0-or-later
// The RIS Live WebSocket client over libwebsockets (docs/rislive.md says why that library).
//
// One thread owns the libwebsockets context and the connection; the consumer only touches the event queue
// (under a mutex). Connection attempts are sequential: connect, serve until the connection ends, wait out the
// backoff, connect again. The stop flag is checked between service calls, which lws_cancel_service wakes.
#include <libwebsockets.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "acquire/acquire.h"

namespace vigil::acquire {
namespace {

double WallNow() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

struct ParsedUrl {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string path;  // with its leading '/' and query
};

Result<ParsedUrl> ParseWsUrl(const std::string& url) {
  std::string buffer = url;
  const char* scheme = nullptr;
  const char* host = nullptr;
  const char* path = nullptr;
  int port = 0;
  if (url.size() > 2048 || lws_parse_uri(buffer.data(), &scheme, &host, &port, &path) != 0 || !scheme || !host ||
      !*host) {
    return Status::InvalidArgument("--ris-live " + url + ": not a ws:// or wss:// URL");
  }
  ParsedUrl out;
  std::string s = scheme;
  if (s == "wss") {
    out.tls = true;
  } else if (s != "ws") {
    return Status::InvalidArgument("--ris-live " + url + ": the scheme must be ws or wss");
  }
  out.host = host;
  out.port = port;  // lws_parse_uri fills 80 / 443 by scheme when absent
  out.path = std::string("/") + (path ? path : "");
  if (out.path.find("client=") == std::string::npos) {
    out.path += out.path.find('?') == std::string::npos ? "?client=vigil" : "&client=vigil";
  }
  return out;
}

}  // namespace

struct RisLiveClient::Impl {
  RisLiveOptions options;
  ParsedUrl url;

  mutable std::mutex mu;
  std::condition_variable wake;
  std::deque<LiveEvent> queue;
  RisLiveStats stats;
  std::atomic<bool> stop{false};
  std::thread thread;
  lws_context* context = nullptr;  // the thread's; read by the destructor to cancel a blocking service

  // Connection state (the thread's only).
  lws* wsi = nullptr;
  bool closed = false;
  std::string close_reason;
  std::string rx;
  std::deque<std::string> to_send;
  double last_rx = 0;
  bool received_any = false;

  void Push(LiveEvent event, bool bounded) {
    std::lock_guard lock(mu);
    if (bounded && queue.size() >= options.max_queue) return;
    queue.push_back(std::move(event));
  }
  bool QueueFull() const {
    std::lock_guard lock(mu);
    return queue.size() >= options.max_queue;
  }
  void SetStatus(const std::string& status) {
    std::lock_guard lock(mu);
    stats.status = status;
  }

  void Close(std::string reason) {
    if (!closed) close_reason = std::move(reason);
    closed = true;
  }

  int OnReceive(lws* w, const void* in, size_t len) {
    if (rx.size() + len > options.max_frame_bytes) {
      Close("a frame longer than " + std::to_string(options.max_frame_bytes) + " bytes");
      return -1;
    }
    rx.append(static_cast<const char*>(in), len);
    last_rx = WallNow();
    if (!lws_is_final_fragment(w) || lws_remaining_packet_payload(w) != 0) return 0;
    std::string frame = std::move(rx);
    rx.clear();
    int64_t number;
    {
      std::lock_guard lock(mu);
      number = ++stats.frames;
    }
    auto parsed = ParseRisLiveText(frame, "RIS Live frame " + std::to_string(number));
    if (!parsed.ok()) {
      {
        std::lock_guard lock(mu);
        ++stats.malformed;
      }
      Push(LiveEvent{LiveEvent::Kind::kMalformed, last_rx, {}, parsed.message()}, false);
      return 0;
    }
    for (LiveMessage& m : *parsed) {
      if (m.kind == LiveMessageKind::kServerError) {
        Close("the server said: " + m.error);
        return -1;
      }
      if (m.kind == LiveMessageKind::kControl) continue;
      if (QueueFull()) {
        {
          std::lock_guard lock(mu);
          ++stats.slow_consumer_drops;
        }
        Close("slow consumer: " + std::to_string(options.max_queue) + " messages waiting");
        return -1;
      }
      {
        std::lock_guard lock(mu);
        ++stats.messages;
      }
      received_any = true;
      Push(LiveEvent{LiveEvent::Kind::kMessage, last_rx, std::move(m), {}}, true);
    }
    return 0;
  }

  int OnWritable(lws* w) {
    if (to_send.empty()) return 0;
    std::string frame = std::move(to_send.front());
    to_send.pop_front();
    std::vector<unsigned char> buffer(LWS_PRE + frame.size());
    std::memcpy(buffer.data() + LWS_PRE, frame.data(), frame.size());
    int n = lws_write(w, buffer.data() + LWS_PRE, frame.size(), LWS_WRITE_TEXT);
    if (n < int(frame.size())) {
      Close("writing to the server failed");
      return -1;
    }
    if (!to_send.empty()) lws_callback_on_writable(w);
    return 0;
  }

  int OnTimer(lws* w) {
    if (WallNow() - last_rx > options.silence_timeout_s) {
      Close("nothing received for " + std::to_string(int(options.silence_timeout_s)) + " s");
      return -1;
    }
    to_send.push_back(R"({"type":"ping"})");
    lws_callback_on_writable(w);
    lws_set_timer_usecs(w, lws_usec_t(options.ping_interval_s * 1e6));
    return 0;
  }

  static int Callback(lws* w, lws_callback_reasons reason, void* /*user*/, void* in, size_t len) {
    lws_context* ctx = lws_get_context(w);
    Impl* self = ctx ? static_cast<Impl*>(lws_context_user(ctx)) : nullptr;
    if (!self) return 0;
    switch (reason) {
      case LWS_CALLBACK_CLIENT_ESTABLISHED:
        self->last_rx = WallNow();
        for (const std::string& c : self->options.collectors) {
          for (std::string& f : RisLiveSubscribeFrames(c)) self->to_send.push_back(std::move(f));
        }
        lws_callback_on_writable(w);
        lws_set_timer_usecs(w, lws_usec_t(self->options.ping_interval_s * 1e6));
        {
          std::lock_guard lock(self->mu);
          ++self->stats.connections;
          self->stats.status = "connected";
        }
        self->Push(LiveEvent{LiveEvent::Kind::kConnected, WallNow(), {}, {}}, false);
        return 0;
      case LWS_CALLBACK_CLIENT_RECEIVE:
        return self->OnReceive(w, in, len);
      case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        self->last_rx = WallNow();
        return 0;
      case LWS_CALLBACK_CLIENT_WRITEABLE:
        return self->OnWritable(w);
      case LWS_CALLBACK_TIMER:
        return self->OnTimer(w);
      case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        self->Close(in && len ? std::string(static_cast<const char*>(in), len)
                    : in      ? std::string(static_cast<const char*>(in))
                              : "connection failed");
        self->wsi = nullptr;
        return 0;
      case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        self->Close("the server closed the connection");
        return 0;
      case LWS_CALLBACK_CLIENT_CLOSED:
        self->Close("the connection closed");
        self->wsi = nullptr;
        return 0;
      default:
        return 0;
    }
  }

  bool Connect() {
    closed = false;
    close_reason.clear();
    rx.clear();
    to_send.clear();
    received_any = false;
    lws_client_connect_info info;
    std::memset(&info, 0, sizeof info);
    info.context = context;
    info.address = url.host.c_str();
    info.port = url.port;
    info.path = url.path.c_str();
    info.host = url.host.c_str();
    info.origin = url.host.c_str();
    info.ssl_connection = url.tls ? LCCSCF_USE_SSL : 0;
    info.pwsi = &wsi;
    if (!lws_client_connect_via_info(&info)) {
      Close("could not start a connection to " + url.host);
      wsi = nullptr;
      return false;
    }
    return true;
  }

  void Run() {
    static const lws_protocols protocols[] = {{"ris-live", &Impl::Callback, 0, 65536, 0, nullptr, 0},
                                              {nullptr, nullptr, 0, 0, 0, nullptr, 0}};
    lws_context_creation_info ci;
    std::memset(&ci, 0, sizeof ci);
    ci.port = CONTEXT_PORT_NO_LISTEN;
    ci.protocols = protocols;
    ci.gid = -1;
    ci.uid = -1;
    ci.user = this;
    ci.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (!options.ca_file.empty()) ci.client_ssl_ca_filepath = options.ca_file.c_str();
    lws_context* ctx = lws_create_context(&ci);
    {
      std::lock_guard lock(mu);
      context = ctx;
    }
    if (!ctx) {
      SetStatus("stopped: libwebsockets could not start");
      return;
    }
    std::mt19937_64 rng(std::random_device{}());
    int attempt = 0;
    while (!stop) {
      SetStatus(stats.connections == 0 ? "connecting" : "reconnecting");
      if (Connect()) {
        while (!stop && !closed) lws_service(ctx, 0);
      }
      if (stop) break;
      if (received_any) attempt = 0;  // the connection worked: start the backoff over
      double delay = std::min(options.backoff_max_s, options.backoff_initial_s * double(1LL << std::min(attempt, 20)));
      delay *= std::uniform_real_distribution<double>(0.5, 1.0)(rng);  // jitter: clients do not reconnect in step
      ++attempt;
      char text[64];
      std::snprintf(text, sizeof text, "reconnecting in %.1f s: ", delay);
      {
        std::lock_guard lock(mu);
        stats.status = text + close_reason;
        ++stats.reconnects;
      }
      Push(LiveEvent{LiveEvent::Kind::kDisconnected, WallNow(), {}, close_reason}, false);
      std::unique_lock lock(mu);
      wake.wait_for(lock, std::chrono::duration<double>(delay), [&] { return stop.load(); });
    }
    {
      std::lock_guard lock(mu);
      context = nullptr;
      stats.status = "stopped";
    }
    lws_context_destroy(ctx);
  }
};

Result<std::unique_ptr<RisLiveClient>> RisLiveClient::Start(RisLiveOptions options) {
  auto url = ParseWsUrl(options.url);
  if (!url.ok()) return url.status();
  if (options.collectors.empty()) return Status::InvalidArgument("--ris-live: no collector to subscribe to");
  lws_set_log_level(0, nullptr);  // failures reach the user through the events and the status
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->url = *url;
  impl->stats.status = "connecting";
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<RisLiveClient>(new RisLiveClient(std::move(impl)));
}

RisLiveClient::RisLiveClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RisLiveClient::~RisLiveClient() {
  impl_->stop = true;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->context) lws_cancel_service(impl_->context);
  }
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::vector<LiveEvent> RisLiveClient::Drain() {
  std::lock_guard lock(impl_->mu);
  std::vector<LiveEvent> out(std::make_move_iterator(impl_->queue.begin()),
                             std::make_move_iterator(impl_->queue.end()));
  impl_->queue.clear();
  return out;
}

RisLiveStats RisLiveClient::Stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace vigil::acquire
