/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz clave_netaddr_resolve (addresses from configuration files and command lines). Invariants:
 * a refusal leaves nothing allocated; an accepted address resolves to a TCP socket address whose
 * port is the one written after the last colon.
 */
#define _POSIX_C_SOURCE 200809L
#include <clave/netaddr.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (int passive = 0; passive <= 1; passive++) {
        struct addrinfo *ai = NULL;
        if (clave_netaddr_resolve(text, passive != 0, &ai) != CLAVE_OK) {
            if (ai != NULL) {
                abort();
            }
            continue;
        }
        const char *colon = strrchr(text, ':');
        unsigned long want = strtoul(colon + 1, NULL, 10);
        unsigned port =
            ai->ai_family == AF_INET
                ? ntohs(((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_port)
                : ntohs(((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_port);
        if (port != want || want > 65535) {
            abort();
        }
        freeaddrinfo(ai);
    }
    free(text);
    return 0;
}
