# SPDX-License-Identifier: Apache-2.0
# Third-party libraries, all from Debian packages named in scripts/deps.sh.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(CLAVE_PC REQUIRED IMPORTED_TARGET
    libcrypto>=3.0 libssl>=3.0 jansson libcbor libargon2 p11-kit-1 sqlite3>=3.37 libpq)
find_library(GMP_LIBRARY gmp REQUIRED)
# src/lib/ml: CBLAS from OpenBLAS (libopenblas-dev; Debian 12's pkg-config name is `openblas`).
pkg_check_modules(CLAVE_BLAS REQUIRED IMPORTED_TARGET openblas)

add_library(clave_deps INTERFACE)
target_link_libraries(clave_deps INTERFACE PkgConfig::CLAVE_PC PkgConfig::CLAVE_BLAS ${GMP_LIBRARY} m Threads::Threads ${CMAKE_DL_LIBS})

# claved (src/claved/): libevent 2.1 evhttp over bufferevent_openssl, with pthreads locking.
pkg_check_modules(CLAVE_EVENT REQUIRED IMPORTED_TARGET libevent libevent_openssl libevent_pthreads)
# The CLI talks HTTPS to claved through libcurl built against OpenSSL.
pkg_check_modules(CLAVE_CURL REQUIRED IMPORTED_TARGET libcurl)
# clave-runner (src/runner/): its seccomp allowlist (libseccomp-dev).
pkg_check_modules(CLAVE_SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
