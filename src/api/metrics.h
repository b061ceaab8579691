// Prometheus metrics of one process: requests by route and status, a
// latency histogram by route, and gauges read at scrape time. Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace entente::api {

class Metrics {
 public:
  void Observe(const std::string& method, const std::string& route, int status, double seconds);
  // A gauge whose value is read when scraped.
  void AddGauge(std::string name, std::string help, std::function<double()> read);
  // Prometheus text exposition format 0.0.4.
  std::string Render() const;

  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,  0.1,    0.25,  0.5,  1.0};

 private:
  struct Histogram {
    std::array<unsigned long long, kBuckets.size()> counts{};
    unsigned long long total = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, unsigned long long> requests_;
  std::map<std::string, Histogram> latency_;
  struct Gauge {
    std::string name, help;
    std::function<double()> read;
  };
  std::vector<Gauge> gauges_;
};

}  // namespace entente::api
