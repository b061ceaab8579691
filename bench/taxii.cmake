# TAXII 2.1 objects served per second with pagination over loopback, beside
# the same pages served from memory by the same HTTP server and the same
# objects read straight from SQLite (bench/taxii_bench.cc).
add_executable(taxii_bench taxii_bench.cc)
entente_apply_common(taxii_bench)
target_link_libraries(taxii_bench PRIVATE entente_api entente_intel spdlog::spdlog)
