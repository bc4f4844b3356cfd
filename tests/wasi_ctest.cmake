# WASI conformance tests under CTest: builds the C programs of tests/wasi/src with clang
# for wasm32-wasi (as part of `all`) and runs tests/wasi/run-tests.py against the wisp
# binary, once with openat2 path resolution and once with the portable resolver.
#
# Needs clang with the wasm32 target, wasm-ld, the WASI libc and the wasm32 builtins
# (Debian/Ubuntu: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32). A
# missing toolchain stops the configuration: these tests must not silently vanish.

find_package(Python3 COMPONENTS Interpreter REQUIRED)
find_program(WISP_WASI_CC NAMES clang clang-14 clang-15 clang-16 clang-17 clang-18 clang-19)
if(NOT WISP_WASI_CC)
  message(FATAL_ERROR "WASI tests: clang not found. Install clang, lld, wasi-libc and "
                      "libclang-rt-14-dev-wasm32 (or configure with -DWISP_TESTS=OFF).")
endif()

# The sysroot, found like run-tests.py does; Debian's wasi-libc lives in /usr, which
# clang uses for wasm32-wasi by default (no --sysroot needed).
set(WISP_WASI_SYSROOT "$ENV{WASI_SYSROOT}" CACHE PATH "WASI sysroot (empty: autodetect)")
if(NOT WISP_WASI_SYSROOT)
  foreach(candidate /usr/share/wasi-sysroot /opt/wasi-sdk/share/wasi-sysroot)
    if(IS_DIRECTORY ${candidate})
      set(WISP_WASI_SYSROOT ${candidate})
      break()
    endif()
  endforeach()
endif()
set(wisp_wasi_target --target=wasm32-wasi)
if(WISP_WASI_SYSROOT)
  list(APPEND wisp_wasi_target --sysroot=${WISP_WASI_SYSROOT})
endif()

# Prove the toolchain works now rather than failing in the middle of the build.
set(wisp_wasi_probe_dir ${CMAKE_BINARY_DIR}/CMakeFiles/wisp-wasi-probe)
file(MAKE_DIRECTORY ${wisp_wasi_probe_dir})
file(WRITE ${wisp_wasi_probe_dir}/probe.c
     "#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n")
execute_process(
  COMMAND ${WISP_WASI_CC} ${wisp_wasi_target} -O2 -o ${wisp_wasi_probe_dir}/probe.wasm
          ${wisp_wasi_probe_dir}/probe.c
  RESULT_VARIABLE wisp_wasi_probe_result
  OUTPUT_VARIABLE wisp_wasi_probe_output
  ERROR_VARIABLE wisp_wasi_probe_output)
if(NOT wisp_wasi_probe_result EQUAL 0)
  message(FATAL_ERROR
    "WASI tests: ${WISP_WASI_CC} cannot build a wasm32-wasi program:\n${wisp_wasi_probe_output}\n"
    "Install clang, lld, wasi-libc and libclang-rt-14-dev-wasm32, set WASI_SYSROOT, or "
    "configure with -DWISP_TESTS=OFF.")
endif()

set(wisp_wasi_src ${CMAKE_SOURCE_DIR}/tests/wasi/src)
set(wisp_wasi_out ${CMAKE_BINARY_DIR}/tests/wasi)
file(GLOB wisp_wasi_programs CONFIGURE_DEPENDS ${wisp_wasi_src}/*.c)
set(wisp_wasi_outputs)
foreach(source ${wisp_wasi_programs})
  get_filename_component(name ${source} NAME_WE)
  set(out ${wisp_wasi_out}/${name}.wasm)
  # Same flags as run-tests.py.
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${wisp_wasi_out}
    COMMAND ${WISP_WASI_CC} ${wisp_wasi_target} -O2 -Wall -Wextra -Wno-unused-parameter
            -o ${out} ${source}
    DEPENDS ${source} ${wisp_wasi_src}/wasi_test.h
    COMMENT "Building WASI test program ${name}.wasm"
    VERBATIM)
  list(APPEND wisp_wasi_outputs ${out})
endforeach()
add_custom_target(wisp_wasi_test_programs ALL DEPENDS ${wisp_wasi_outputs})

set(wisp_wasi_runner ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/wasi/run-tests.py
    --runtime wisp --wisp $<TARGET_FILE:wisp> --wasm-dir ${wisp_wasi_out} --trap-exit-code 134)
add_test(NAME wasi-conformance COMMAND ${wisp_wasi_runner})
add_test(NAME wasi-conformance-portable-resolver COMMAND ${wisp_wasi_runner})
set_tests_properties(wasi-conformance-portable-resolver PROPERTIES
  ENVIRONMENT WISP_WASI_RESOLVER=portable)
set_tests_properties(wasi-conformance wasi-conformance-portable-resolver PROPERTIES
  TIMEOUT 900 LABELS wasi)
