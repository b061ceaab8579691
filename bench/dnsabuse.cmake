# DNS abuse observatory (bench/run-dnsabuse.sh): the input generator and the
# measurements (zone parse rate, daily computation, SQL aggregation).
add_executable(dnsabuse_gen dnsabuse_gen.cc)
entente_apply_common(dnsabuse_gen)
target_link_libraries(dnsabuse_gen PRIVATE fmt::fmt)

add_executable(dnsabuse_bench dnsabuse_bench.cc)
entente_apply_common(dnsabuse_bench)
target_link_libraries(dnsabuse_bench PRIVATE entente_dnsabuse entente_store fmt::fmt)
