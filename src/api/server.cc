// The HTTP transport: cpp-httplib in front of Api::Handle.
#include <httplib.h>

#include "api/api.h"

namespace vigil::api {

struct Server::Impl {
  Impl(Api& a, ServerOptions o) : api(a), options(std::move(o)) {}
  Api& api;
  ServerOptions options;
  httplib::Server http;
  int port = 0;
};

Server::Server(Api& api, ServerOptions options) : impl_(std::make_unique<Impl>(api, std::move(options))) {
  auto& http = impl_->http;
  int threads = std::max(1, impl_->options.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  http.set_payload_max_length(impl_->options.max_body_bytes);
  http.set_read_timeout(10);
  http.set_write_timeout(10);
  http.set_keep_alive_max_count(10000);
  size_t max_params = impl_->options.max_query_params;
  auto handler = [this, max_params](const httplib::Request& req, httplib::Response& res) {
    if (req.params.size() > max_params) {
      res.status = 400;
      res.set_content("{\"error\":\"more than " + std::to_string(max_params) + " query parameters\"}", "application/json");
      return;
    }
    HttpRequest request;
    request.method = req.method;
    request.path = req.path;
    request.params.assign(req.params.begin(), req.params.end());
    request.headers.assign(req.headers.begin(), req.headers.end());
    request.body = req.body;
    HttpResponse response = impl_->api.Handle(request);
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
    if (impl_->port <= 0) return Status::Error("cannot bind " + o.host + " on any port");
  } else {
    if (!impl_->http.bind_to_port(o.host, o.port)) {
      return Status::Error("cannot bind " + o.host + ":" + std::to_string(o.port) + " (in use or not permitted)");
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
