# STIX import throughput: IntelRepository::Import of a generated bundle on
# SQLite (and PostgreSQL when ENTENTE_BENCH_PG_URL is set) beside a plain
# parse-and-insert loop; bench/run-intel.sh adds Python's json + sqlite3.
add_executable(intel_bench intel_bench.cc)
entente_apply_common(intel_bench)
target_link_libraries(intel_bench PRIVATE entente_intel entente_store PkgConfig::SQLITE)

# Correlation of many observables with heavy repetition (intel::Correlate
# beside an uncapped self-join on the same postings).
add_executable(intel_correlation_bench intel_correlation_bench.cc)
entente_apply_common(intel_correlation_bench)
target_link_libraries(intel_correlation_bench PRIVATE entente_intel entente_store PkgConfig::SQLITE)
