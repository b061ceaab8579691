// The project's own small HTTP interface; cpp-httplib sits behind it.
//
// Server: binds an address (port 0 picks a free port), serves requests on a
// thread pool by handing each Request to one dispatcher function, and
// enforces the transport limits (body size, header size, read/write
// timeouts). TLS when a certificate and key are given.
// Client: a minimal blocking client for tests, the CLI and peers.
//
// Thread-safety: the dispatcher is called concurrently from the pool; Server
// methods other than Stop() must be called from one thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace entente::http {

struct CaseLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::multimap<std::string, std::string, CaseLess>;

struct Request {
  std::string method;
  std::string path;  // without query
  std::multimap<std::string, std::string> query;
  Headers headers;
  std::string body;
  std::string remote_addr;
  std::map<std::string, std::string> path_params;  // filled by the router

  std::string Header(const std::string& name) const;
  std::optional<std::string> Query(const std::string& name) const;
  std::string Cookie(const std::string& name) const;
};

// Writes one chunk of a streamed response; false when the client is gone.
using StreamWriter = std::function<bool(std::string_view)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  Headers headers;
  // When set, the body is streamed instead (chunked): called once on a
  // server thread, it writes until it returns (e.g. server-sent events).
  std::function<void(const StreamWriter&)> stream;
};

using Dispatcher = std::function<Response(Request&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string tls_cert_file;  // both set: HTTPS
  std::string tls_key_file;
  size_t max_body_bytes = 1 << 20;
  int read_timeout_seconds = 10;
  int write_timeout_seconds = 10;
  int threads = 8;
};

class Server {
 public:
  Server(ServerOptions opts, Dispatcher dispatcher);
  ~Server();
  // Binds and starts serving in a background thread; returns the bound port.
  Result<int> Start();
  // Blocks until Stop() is called from another thread (or a signal handler thread).
  void Wait();
  void Stop();
  bool tls() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ClientResponse {
  int status = 0;
  Headers headers;
  std::string body;
  std::string Header(const std::string& name) const;
};

// Blocking request to `base_url` ("http://127.0.0.1:8080"). kUnavailable on
// connection failures.
Result<ClientResponse> Send(const std::string& base_url, const std::string& method,
                            const std::string& path_and_query, const std::string& body = {},
                            const Headers& headers = {}, int timeout_seconds = 10);

// Percent-decoding / encoding for path segments and query values.
std::string UrlEncode(std::string_view s);

// The reason phrase of an error status the node answers with (RFC 9110,
// e.g. 404 -> "Not Found"), used as the title of problem and TAXII error
// documents; any other status reads "Internal Server Error".
const char* StatusTitle(int status);

}  // namespace entente::http
