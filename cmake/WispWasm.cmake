# wisp_add_wasm_program(NAME SOURCES... [FREESTANDING] [FLAGS ...] [TARGET T])
# Builds C sources into ${CMAKE_CURRENT_BINARY_DIR}/NAME.wasm with clang for
# wasm32-wasi (or freestanding wasm32 with no imports), as part of `all`. The build
# target is NAME_wasm, or T (for programs of the same name in different folders).
find_program(WISP_WASM_CC NAMES clang clang-14 REQUIRED)
function(wisp_add_wasm_program name)
  cmake_parse_arguments(ARG "FREESTANDING" "TARGET" "SOURCES;FLAGS;EXPORTS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
  set(srcs)
  foreach(s ${ARG_SOURCES})
    list(APPEND srcs ${CMAKE_CURRENT_SOURCE_DIR}/${s})
  endforeach()
  if(ARG_FREESTANDING)
    set(target --target=wasm32 -nostdlib -Wl,--no-entry)
    foreach(e ${ARG_EXPORTS})
      list(APPEND target -Wl,--export=${e})
    endforeach()
  else()
    set(target --target=wasm32-wasi)
  endif()
  add_custom_command(OUTPUT ${out}
    COMMAND ${WISP_WASM_CC} ${target} -O2 -Wall -Werror ${ARG_FLAGS} -o ${out} ${srcs}
    DEPENDS ${srcs}
    COMMENT "Building ${name}.wasm"
    VERBATIM)
  if(NOT ARG_TARGET)
    set(ARG_TARGET ${name}_wasm)
  endif()
  add_custom_target(${ARG_TARGET} ALL DEPENDS ${out})
endfunction()
