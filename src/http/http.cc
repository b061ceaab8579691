#include "http/http.h"

#include <httplib.h>
#include <strings.h>

#include <atomic>
#include <cctype>

namespace entente::http {

bool CaseLess::operator()(const std::string& a, const std::string& b) const {
  return strcasecmp(a.c_str(), b.c_str()) < 0;
}

std::string Request::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::string Request::Cookie(const std::string& name) const {
  auto range = headers.equal_range("Cookie");
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view c = it->second;
    while (!c.empty()) {
      size_t semi = c.find(';');
      std::string_view part = c.substr(0, semi);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      size_t eq = part.find('=');
      if (eq != std::string_view::npos && part.substr(0, eq) == name)
        return std::string(part.substr(eq + 1));
      if (semi == std::string_view::npos) break;
      c.remove_prefix(semi + 1);
    }
  }
  return {};
}

std::string ClientResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

struct Server::Impl {
  ServerOptions opts;
  Dispatcher dispatcher;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  std::atomic<bool> running{false};
  std::atomic<bool> listen_returned{false};
};

Server::Server(ServerOptions opts, Dispatcher dispatcher) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(opts);
  impl_->dispatcher = std::move(dispatcher);
}

Server::~Server() { Stop(); }

bool Server::tls() const { return !impl_->opts.tls_cert_file.empty(); }

Result<int> Server::Start() {
  auto& o = impl_->opts;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty())
      return Invalid("TLS needs both a certificate and a key file");
    auto s = std::make_unique<httplib::SSLServer>(o.tls_cert_file.c_str(), o.tls_key_file.c_str());
    if (!s->is_valid())
      return Invalid("cannot load TLS certificate " + o.tls_cert_file + " or key " +
                     o.tls_key_file);
    impl_->server = std::move(s);
  } else {
    impl_->server = std::make_unique<httplib::Server>();
  }
  auto& srv = *impl_->server;
  int threads = o.threads;
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  srv.set_payload_max_length(o.max_body_bytes);
  srv.set_read_timeout(o.read_timeout_seconds, 0);
  srv.set_write_timeout(o.write_timeout_seconds, 0);
  srv.set_keep_alive_max_count(100);
  auto handler = [this](const httplib::Request& hreq, httplib::Response& hres) {
    Request req;
    req.method = hreq.method;
    req.path = hreq.path;
    for (const auto& [k, v] : hreq.params) req.query.emplace(k, v);
    for (const auto& [k, v] : hreq.headers) req.headers.emplace(k, v);
    req.body = hreq.body;
    req.remote_addr = hreq.remote_addr;
    Response res = impl_->dispatcher(req);
    hres.status = res.status;
    for (const auto& [k, v] : res.headers) hres.set_header(k.c_str(), v);
    if (res.stream) {
      auto stream = std::move(res.stream);
      hres.set_chunked_content_provider(
          res.content_type, [stream](size_t, httplib::DataSink& sink) {
            stream([&sink](std::string_view chunk) {
              return sink.is_writable() && sink.write(chunk.data(), chunk.size());
            });
            sink.done();
            return true;
          });
      return;
    }
    hres.set_content(res.body, res.content_type.c_str());
  };
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"}) {
    std::string method = m;
    if (method == "GET")
      srv.Get(".*", handler);
    else if (method == "POST")
      srv.Post(".*", handler);
    else if (method == "PUT")
      srv.Put(".*", handler);
    else if (method == "PATCH")
      srv.Patch(".*", handler);
    else if (method == "DELETE")
      srv.Delete(".*", handler);
    else if (method == "OPTIONS")
      srv.Options(".*", handler);
  }
  // Oversize bodies and other transport errors: problem+json, not HTML.
  srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string title = res.status == 413 ? "Payload Too Large" : "Error";
    res.set_content("{\"type\":\"about:blank\",\"title\":\"" + title +
                        "\",\"status\":" + std::to_string(res.status) + "}",
                    "application/problem+json");
  });
  int port = o.port;
  if (port == 0) {
    port = srv.bind_to_any_port(o.host.c_str());
    if (port < 0) return Fail(ErrorCode::kUnavailable, "cannot bind " + o.host);
  } else if (!srv.bind_to_port(o.host.c_str(), port)) {
    return Fail(ErrorCode::kUnavailable,
                "cannot bind " + o.host + ":" + std::to_string(port) + " (in use?)");
  }
  impl_->running = true;
  impl_->thread = std::thread([this] {
    impl_->server->listen_after_bind();
    impl_->listen_returned = true;
  });
  // Return once the accept loop runs: httplib's stop() before that is lost
  // and Stop() would then wait forever. The loop starts within microseconds.
  while (!srv.is_running() && !impl_->listen_returned) std::this_thread::yield();
  return port;
}

void Server::Wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Server::Stop() {
  if (impl_->server && impl_->running.exchange(false)) impl_->server->stop();
  if (impl_->thread.joinable() && impl_->thread.get_id() != std::this_thread::get_id())
    impl_->thread.join();
}

const char* StatusTitle(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<ClientResponse> Send(const std::string& base_url, const std::string& method,
                            const std::string& path_and_query, const std::string& body,
                            const Headers& headers, int timeout_seconds) {
  httplib::Client cli(base_url);
  if (!cli.is_valid()) return Invalid("invalid URL " + base_url);
  cli.set_connection_timeout(timeout_seconds, 0);
  cli.set_read_timeout(timeout_seconds, 0);
  cli.set_write_timeout(timeout_seconds, 0);
  cli.enable_server_certificate_verification(false);  // callers pin keys, not CAs
  httplib::Headers h;
  std::string content_type = "application/json";
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), "Content-Type") == 0)
      content_type = v;
    else
      h.emplace(k, v);
  }
  httplib::Result r(nullptr, httplib::Error::Unknown);
  if (method == "GET")
    r = cli.Get(path_and_query, h);
  else if (method == "DELETE")
    r = cli.Delete(path_and_query, h, body, content_type);
  else if (method == "POST")
    r = cli.Post(path_and_query, h, body, content_type);
  else if (method == "PUT")
    r = cli.Put(path_and_query, h, body, content_type);
  else if (method == "PATCH")
    r = cli.Patch(path_and_query, h, body, content_type);
  else if (method == "OPTIONS")
    r = cli.Options(path_and_query, h);
  else
    return Invalid("unsupported method " + method);
  if (!r)
    return Fail(ErrorCode::kUnavailable,
                "request to " + base_url + " failed: " + httplib::to_string(r.error()));
  ClientResponse out;
  out.status = r->status;
  for (const auto& [k, v] : r->headers) out.headers.emplace(k, v);
  out.body = r->body;
  return out;
}

}  // namespace entente::http
