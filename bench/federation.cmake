# Federation: replication between two nodes on loopback (objects/s, lag) and
# a simulator of large federations (bench/run-federation.sh runs both).
add_executable(federation_bench federation_bench.cc)
entente_apply_common(federation_bench)
target_link_libraries(federation_bench PRIVATE entente_api spdlog::spdlog)

add_executable(federation_sim federation_sim.cc)
entente_apply_common(federation_sim)
target_link_libraries(federation_sim PRIVATE entente_federation)
