# SPDX-License-Identifier: AGPL-3.0-or-later
# vigil_library(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
#   One static library per module: target vigil_<NAME>, includes rooted at src/.
function(vigil_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(vigil_${name} STATIC ${ARG_SOURCES})
  target_include_directories(vigil_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(vigil_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# vigil_test(NAME SOURCES ... [DEPS ...] [LABELS ...] [TIMEOUT s])
#   A GoogleTest binary whose tests are registered one by one with CTest.
#   Tests get VIGIL_SHARED_DIR (../shared), VIGIL_SOURCE_DIR and VIGIL_BINARY_DIR (to find build/vigil).
function(vigil_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    VIGIL_SHARED_DIR="${VIGIL_SHARED_DIR}"
    VIGIL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    VIGIL_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
