# SPDX-License-Identifier: Apache-2.0
# Warnings and hardening flags (STYLE.md "Tests, fuzzing, tooling").
add_compile_options(-Wall -Wextra -Wshadow -Wconversion -Wformat=2 -Wstrict-prototypes
    -Wmissing-prototypes -Wvla -Wpointer-arith -Wcast-qual -Wundef -fno-common
    -fstack-protector-strong -fvisibility=hidden)
if(CLAVE_WERROR)
    add_compile_options(-Werror)
endif()
if(NOT CLAVE_ASAN AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    add_compile_definitions(_FORTIFY_SOURCE=2)
endif()
add_link_options(-Wl,-z,relro,-z,now,-z,noexecstack)

set(CLAVE_SAN_FLAGS "")
if(CLAVE_ASAN)
    list(APPEND CLAVE_SAN_FLAGS -fsanitize=address -fno-omit-frame-pointer)
endif()
if(CLAVE_UBSAN)
    list(APPEND CLAVE_SAN_FLAGS -fsanitize=undefined -fno-sanitize-recover=all)
    if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
        list(APPEND CLAVE_SAN_FLAGS -fsanitize=integer -fno-sanitize=unsigned-integer-overflow
            -fno-sanitize=unsigned-shift-base)
    endif()
endif()
if(CLAVE_FUZZ)
    list(APPEND CLAVE_SAN_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
endif()
if(CLAVE_SAN_FLAGS)
    add_compile_options(${CLAVE_SAN_FLAGS})
    add_link_options(${CLAVE_SAN_FLAGS})
endif()
