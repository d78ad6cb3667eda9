// SPDX-License-Identifier: AGPL-3.0-or-later
// The HTTP transport: GNU libmicrohttpd in front of Api::Handle.
//
// Why not cpp-httplib (used before): it keeps a thread per keep-alive connection, so 1,500 open connections on
// 2 cores meant 1,500 threads taking turns (130 req/s, a separate client waiting up to 4.6 s), its listen
// backlog is compiled in as 5, and it sets SO_REUSEPORT, so a second `vigil serve` on the same port started
// without complaint and the kernel split requests between the two. libmicrohttpd runs a fixed pool of threads,
// each with its own epoll set, so thousands of idle or flooding connections cost a file descriptor and a
// small memory pool each, not a thread. The listening socket is made here (no SO_REUSEPORT, a configurable
// backlog), so "port in use" is an error naming the address.
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "api/api.h"

namespace vigil::api {
namespace {

// What MHD keeps for one request between calls of the access handler.
struct RequestState {
  std::string body;
  bool too_large = false;
};

std::string ClientAddress(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return "";
  char text[INET6_ADDRSTRLEN] = {};
  const sockaddr* address = info->client_addr;
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  }
  return text;
}

MHD_Result CollectPair(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* pairs = static_cast<std::vector<std::pair<std::string, std::string>>*>(cls);
  pairs->emplace_back(key ? key : "", value ? value : "");  // a bare `&flag` has no value
  return MHD_YES;
}

void FreeBody(void* cls) { delete static_cast<std::string*>(cls); }

MHD_Result Queue(MHD_Connection* connection, HttpResponse& response) {
  // The body moves to the heap and MHD frees it after sending: a signals answer is tens of kilobytes.
  auto* body = new std::string(std::move(response.body));
  MHD_Response* reply =
      MHD_create_response_from_buffer_with_free_callback_cls(body->size(), body->data(), FreeBody, body);
  if (reply == nullptr) {
    delete body;
    return MHD_NO;
  }
  MHD_add_response_header(reply, "Content-Type", response.content_type.c_str());
  for (const auto& [name, value] : response.headers) MHD_add_response_header(reply, name.c_str(), value.c_str());
  MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(response.status), reply);
  MHD_destroy_response(reply);
  return queued;
}

HttpResponse PlainError(int status, const std::string& message) {
  HttpResponse response;
  response.status = status;
  response.body = "{\"error\":\"" + message + "\"}";
  return response;
}

}  // namespace

struct Server::Impl {
  Impl(Api& a, ServerOptions o) : api(a), options(std::move(o)) {}
  ~Impl() {
    if (daemon) MHD_stop_daemon(daemon);
    if (listen_fd >= 0) close(listen_fd);
  }

  static MHD_Result Access(void* cls, MHD_Connection* connection, const char* url, const char* method,
                           const char* version, const char* upload_data, size_t* upload_data_size, void** state);
  static void Completed(void* cls, MHD_Connection* connection, void** state, MHD_RequestTerminationCode code);
  static void NewConnection(void* cls, MHD_Connection* connection, void** socket_context,
                            MHD_ConnectionNotificationCode code);
  HttpRequest BuildRequest(MHD_Connection* connection, const char* url, const char* method, RequestState& state);

  Api& api;
  ServerOptions options;
  int listen_fd = -1;
  int port = 0;
  MHD_Daemon* daemon = nullptr;
  std::mutex mu;
  std::condition_variable stopped;
  bool stop_requested = false;
};

HttpRequest Server::Impl::BuildRequest(MHD_Connection* connection, const char* url, const char* method,
                                       RequestState& state) {
  HttpRequest request;
  request.method = method;
  request.path = url;
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, CollectPair, &request.params);
  MHD_get_connection_values(connection, MHD_HEADER_KIND, CollectPair, &request.headers);
  request.body = std::move(state.body);
  request.client = ClientAddress(connection);
  return request;
}

MHD_Result Server::Impl::Access(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                                const char* upload_data, size_t* upload_data_size, void** state_slot) {
  auto* self = static_cast<Impl*>(cls);
  auto* state = static_cast<RequestState*>(*state_slot);
  if (state == nullptr) {  // headers are in; the body (if any) comes in the next calls
    *state_slot = new RequestState;
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    if (state->body.size() + *upload_data_size > self->options.max_body_bytes) {
      state->too_large = true;
      state->body.clear();
    } else if (!state->too_large) {
      state->body.append(upload_data, *upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  HttpResponse response;
  if (state->too_large) {
    response = PlainError(413, "request body larger than " + std::to_string(self->options.max_body_bytes) + " bytes");
  } else {
    HttpRequest request = self->BuildRequest(connection, url, method, *state);
    if (request.params.size() > self->options.max_query_params) {
      response = PlainError(400, "more than " + std::to_string(self->options.max_query_params) + " query parameters");
    } else {
      response = self->api.Handle(request);
    }
  }
  return Queue(connection, response);
}

void Server::Impl::Completed(void*, MHD_Connection*, void** state_slot, MHD_RequestTerminationCode) {
  delete static_cast<RequestState*>(*state_slot);
  *state_slot = nullptr;
}

// Headers and body leave in one buffer, but a response larger than the send buffer goes out in pieces:
// without TCP_NODELAY, Nagle + delayed ACK would hold the last piece ~40 ms.
void Server::Impl::NewConnection(void*, MHD_Connection* connection, void**, MHD_ConnectionNotificationCode code) {
  if (code != MHD_CONNECTION_NOTIFY_STARTED) return;
  const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (info == nullptr) return;
  int yes = 1;
  setsockopt(info->connect_fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
}

Server::Server(Api& api, ServerOptions options) : impl_(std::make_unique<Impl>(api, std::move(options))) {}

Server::~Server() { Stop(); }

Status Server::Bind() {
  const auto& o = impl_->options;
  std::string where =
      (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) + ":" + std::to_string(o.port);
  sockaddr_storage address{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
  if (inet_pton(AF_INET, o.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(o.port));
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, o.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(o.port));
    length = sizeof *v6;
  } else {
    return Status::InvalidArgument("listen address '" + o.host + "' is not a numeric IPv4 or IPv6 address");
  }
  int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket for " + where + ": " + std::strerror(errno));
  // SO_REUSEADDR only lets a restarted server bind while old connections sit in TIME_WAIT; unlike
  // SO_REUSEPORT it never lets two listeners share the port.
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    int error = errno;
    close(fd);
    if (error == EADDRINUSE) {
      return Status::Unavailable(where + " is already in use (another vigil serve?); choose another --listen port");
    }
    return Status::Unavailable("cannot bind " + where + ": " + std::strerror(error));
  }
  if (listen(fd, std::max(1, o.listen_backlog)) != 0) {
    int error = errno;
    close(fd);
    return Status::Unavailable("cannot listen on " + where + ": " + std::strerror(error));
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  impl_->port = ntohs(address.ss_family == AF_INET ? v4->sin_port : v6->sin6_port);
  impl_->listen_fd = fd;
  return Status::Ok();
}

int Server::port() const { return impl_->port; }

void Server::Run() {
  Impl& impl = *impl_;
  if (impl.listen_fd < 0) return;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_SUPPRESS_DATE_NO_CLOCK;
  unsigned threads = static_cast<unsigned>(std::max(1, impl.options.threads));
  impl.daemon = MHD_start_daemon(flags, 0, nullptr, nullptr, &Impl::Access, &impl, MHD_OPTION_LISTEN_SOCKET,
                                 impl.listen_fd, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
                                 static_cast<unsigned>(impl.options.max_connections), MHD_OPTION_CONNECTION_TIMEOUT,
                                 static_cast<unsigned>(impl.options.idle_timeout_s), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                 static_cast<size_t>(impl.options.connection_memory_bytes), MHD_OPTION_NOTIFY_COMPLETED,
                                 &Impl::Completed, nullptr, MHD_OPTION_NOTIFY_CONNECTION, &Impl::NewConnection, nullptr,
                                 MHD_OPTION_END);
  if (impl.daemon == nullptr) return;
  std::unique_lock lock(impl.mu);
  impl.stopped.wait(lock, [&] { return impl.stop_requested; });
  lock.unlock();
  MHD_stop_daemon(impl.daemon);  // closes the listening socket it was given
  impl.daemon = nullptr;
  impl.listen_fd = -1;
}

void Server::Stop() {
  std::lock_guard lock(impl_->mu);
  impl_->stop_requested = true;
  impl_->stopped.notify_all();
}

}  // namespace vigil::api
