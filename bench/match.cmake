# The matching engine: index build, bytes per indicator, lookups per kind,
# log scanning and RPZ generation (bench/match_bench.cc, driven by
# bench/run-match.sh, which compares the scan with grep -F).
add_executable(match_bench match_bench.cc)
entente_apply_common(match_bench)
target_link_libraries(match_bench PRIVATE entente_match nlohmann_json::nlohmann_json fmt::fmt)
