/* SPDX-License-Identifier: Apache-2.0 */
/* Numeric host:port resolution (include/clave/netaddr.h). */
#include "core/check.h"

#include <clave/netaddr.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

clave_status clave_netaddr_resolve(const char *address, bool passive, struct addrinfo **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char host[CLAVE_NETADDR_MAX + 1];
    struct addrinfo hints;
    *out = NULL;
    CLAVE_ENSURE(address != NULL, CLAVE_ERR_ARG, "address: missing");
    size_t len = strnlen(address, CLAVE_NETADDR_MAX + 1);
    const char *colon = strrchr(address, ':');
    CLAVE_ENSURE(len <= CLAVE_NETADDR_MAX && colon != NULL && colon != address && colon[1] != '\0',
                 CLAVE_ERR_ARG, "address '%.64s' is not host:port", address);
    unsigned long port = 0;
    for (const char *c = colon + 1; *c != '\0'; c++) { /* getaddrinfo takes 99999 and wraps it */
        CLAVE_ENSURE(*c >= '0' && *c <= '9' && port <= 65535, CLAVE_ERR_ARG,
                     "address '%.64s': the port is not a number in 1..65535", address);
        port = port * 10 + (unsigned long)(*c - '0');
    }
    CLAVE_ENSURE(port <= 65535 && (port > 0 || passive), CLAVE_ERR_ARG,
                 "address '%.64s': the port is not a number in 1..65535", address);
    size_t host_len = (size_t)(colon - address);
    const char *start = address;
    if (host_len >= 2 && address[0] == '[' && address[host_len - 1] == ']') {
        start++;
        host_len -= 2;
    }
    memcpy(host, start, host_len);
    host[host_len] = '\0';
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    int rc = getaddrinfo(host, colon + 1, &hints, out);
    CLAVE_ENSURE(rc == 0 && *out != NULL, CLAVE_ERR_ARG,
                 "address '%.64s' is not a numeric host:port", address);
    st = CLAVE_OK;
done:
    return st;
}
