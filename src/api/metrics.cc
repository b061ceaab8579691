#include "api/metrics.h"

#include <fmt/format.h>

namespace entente::api {

namespace {
std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '"') o.push_back('\\');
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o.push_back(c);
  }
  return o;
}
}  // namespace

void Metrics::Observe(const std::string& method, const std::string& route, int status,
                      double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{method, route, status}];
  auto& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.counts[i];
  ++h.total;
  h.sum += seconds;
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mu_);
  gauges_.push_back({std::move(name), std::move(help), std::move(read)});
}

std::string Metrics::Render() const {
  std::vector<Gauge> gauges;
  std::string out;
  {
    std::lock_guard lock(mu_);
    gauges = gauges_;
    out += "# HELP entente_http_requests_total HTTP requests by method, route and status.\n";
    out += "# TYPE entente_http_requests_total counter\n";
    for (const auto& [k, n] : requests_) {
      const auto& [method, route, status] = k;
      out += fmt::format(
          "entente_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
          Escape(method), Escape(route), status, n);
    }
    out += "# HELP entente_http_request_duration_seconds Request latency by route.\n";
    out += "# TYPE entente_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      for (size_t i = 0; i < kBuckets.size(); ++i)
        out += fmt::format(
            "entente_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
            Escape(route), kBuckets[i], h.counts[i]);
      out += fmt::format(
          "entente_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
          Escape(route), h.total);
      out += fmt::format("entente_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n",
                         Escape(route), h.sum);
      out += fmt::format("entente_http_request_duration_seconds_count{{route=\"{}\"}} {}\n",
                         Escape(route), h.total);
    }
  }
  for (const auto& g : gauges) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", g.name, g.help, g.name, g.name,
                       g.read());
  }
  return out;
}

}  // namespace entente::api
