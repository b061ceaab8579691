# One definition of how every Entente module is built.
#
#   entente_module(NAME jcs SOURCES a.cc b.cc DEPS core nlohmann_json::nlohmann_json)
# defines the static library `entente_<NAME>` with the project's warnings,
# include root `src/` (headers are included as "<module>/file.h").
#
#   entente_test(NAME jcs SOURCES jcs_test.cc DEPS jcs LABELS unit)
# adds a GoogleTest executable `<NAME>_test` registered with CTest.

set(ENTENTE_WARNINGS
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wvla -Wcast-align
  -Woverloaded-virtual -Wimplicit-fallthrough
  -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  list(APPEND ENTENTE_WARNINGS -Wthread-safety -Wno-gnu-statement-expression-from-macro-expansion
       -Wno-gnu-statement-expression -Wno-c++20-extensions)
endif()
if(ENTENTE_WERROR)
  list(APPEND ENTENTE_WARNINGS -Werror)
endif()

set(ENTENTE_SANITIZE_FLAGS "")
if(ENTENTE_SANITIZE)
  set(ENTENTE_SANITIZE_FLAGS -fsanitize=${ENTENTE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${ENTENTE_SANITIZE_FLAGS})
  add_link_options(${ENTENTE_SANITIZE_FLAGS})
endif()

# A fuzzing build instruments every module once for libFuzzer's coverage
# (-fsanitize=fuzzer-no-link), so the fuzz targets link the same module
# libraries as the tests instead of a second, instrumented copy of each: one
# compilation of the tree serves the test suite under the sanitizers and the
# fuzzers. Executables that are not fuzz targets get the coverage callbacks'
# default (empty) definitions from the sanitizer runtime.
if(ENTENTE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ENTENTE_FUZZ needs clang (e.g. -DCMAKE_CXX_COMPILER=clang++-19)")
  endif()
  if(NOT ENTENTE_SANITIZE)
    message(FATAL_ERROR "ENTENTE_FUZZ needs -DENTENTE_SANITIZE=address,undefined")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=fuzzer-no-link)
endif()

function(entente_apply_common target)
  target_compile_options(${target} PRIVATE ${ENTENTE_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
endfunction()

# Module names (core, store, ...) become their targets (entente_core, ...);
# anything else (imported targets) is kept as is.
function(entente_resolve_deps out)
  set(resolved "")
  foreach(d ${ARGN})
    if(TARGET entente_${d})
      list(APPEND resolved entente_${d})
    else()
      list(APPEND resolved ${d})
    endif()
  endforeach()
  set(${out} ${resolved} PARENT_SCOPE)
endfunction()

function(entente_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(entente_${M_NAME} STATIC ${M_SOURCES})
  entente_apply_common(entente_${M_NAME})
  entente_resolve_deps(resolved ${M_DEPS})
  target_link_libraries(entente_${M_NAME} PUBLIC ${resolved})
endfunction()

# The tests' own translation units are compiled without optimisation in
# optimised builds: the code under test (the module libraries) keeps the build
# type's flags, while the test files, which are mostly GoogleTest macros and
# JSON literals, compile about 30 % faster at -O0 (g++ 12,
# tests/match/match_api_test.cc: 27.4 against 38.7 CPU s) and are three
# quarters of the tree's compile time.
function(entente_test_code_unoptimised target)
  target_compile_options(${target} PRIVATE $<$<CONFIG:RelWithDebInfo,Release,MinSizeRel>:-O0>)
endfunction()

function(entente_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${T_NAME}_test ${T_SOURCES})
  entente_apply_common(${T_NAME}_test)
  entente_resolve_deps(resolved ${T_DEPS})
  target_link_libraries(${T_NAME}_test PRIVATE ${resolved} GTest::gtest GTest::gtest_main)
  target_include_directories(${T_NAME}_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  entente_test_code_unoptimised(${T_NAME}_test)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME}_test)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}"
    ENVIRONMENT "ENTENTE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

#   entente_backend_test(NAME store SOURCES a_test.cc DEPS store)
# adds one GoogleTest executable `<NAME>_test` for tests that run against both
# storage backends (parameterized with names containing "Sqlite" / "Postgres",
# see tests/store/test_databases.h) and registers it twice with CTest:
#   <NAME>_sqlite    label `sqlite`:   everything except the PostgreSQL
#                    instantiations (--gtest_filter=-*Postgres*), so
#                    backend-independent tests run here too;
#   <NAME>_postgres  label `postgres`: the PostgreSQL instantiations
#                    (--gtest_filter=*Postgres*); they fail unless
#                    ENTENTE_TEST_PG_URL is set (scripts/pg-test-env.sh).
function(entente_backend_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${T_NAME}_test ${T_SOURCES})
  entente_apply_common(${T_NAME}_test)
  entente_resolve_deps(resolved ${T_DEPS})
  target_link_libraries(${T_NAME}_test PRIVATE ${resolved} GTest::gtest GTest::gtest_main)
  target_include_directories(${T_NAME}_test PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  entente_test_code_unoptimised(${T_NAME}_test)
  add_test(NAME ${T_NAME}_sqlite COMMAND ${T_NAME}_test --gtest_filter=-*Postgres*)
  add_test(NAME ${T_NAME}_postgres COMMAND ${T_NAME}_test --gtest_filter=*Postgres*)
  set_tests_properties(${T_NAME}_sqlite PROPERTIES LABELS sqlite
    ENVIRONMENT "ENTENTE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
  set_tests_properties(${T_NAME}_postgres PROPERTIES LABELS postgres
    ENVIRONMENT "ENTENTE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()
