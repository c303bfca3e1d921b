/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numeric socket addresses: "host:port" with a literal IPv4 address, or "[v6]:port", never a
 * name to look up (no DNS: a peer's address in a configuration or on a command line is what is
 * used, nothing else).
 */
#ifndef CLAVE_NETADDR_H
#define CLAVE_NETADDR_H

#include <clave/status.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct addrinfo; /* <netdb.h> */

#define CLAVE_NETADDR_MAX 128 /* longest accepted address text, terminator excluded */

/**
 * Resolve `address` (untrusted text, borrowed) for a TCP stream socket: `passive` for bind()
 * (where port 0, "any free port", is also accepted; otherwise ports are 1..65535).
 * Caller frees `*out` with freeaddrinfo(). Thread-safe.
 * @return CLAVE_OK; CLAVE_ERR_ARG naming what is wrong (not host:port, too long, not numeric)
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_netaddr_resolve(const char *address, bool passive,
                                                            struct addrinfo **out);

#ifdef __cplusplus
}
#endif
#endif
