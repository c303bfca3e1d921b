/* SPDX-License-Identifier: Apache-2.0 */
/* Numeric host:port resolution: IPv4, bracketed IPv6, passive; names, missing parts and
 * over-long text refused with CLAVE_ERR_ARG. */
#define _POSIX_C_SOURCE 200809L
#include "testlib.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

static void test_numeric(void **state)
{
    (void)state;
    struct addrinfo *ai = NULL;
    T_OK(clave_netaddr_resolve("127.0.0.1:8443", false, &ai));
    assert_int_equal(ai->ai_family, AF_INET);
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)ai->ai_addr;
    assert_int_equal(ntohs(v4->sin_port), 8443);
    assert_int_equal(ntohl(v4->sin_addr.s_addr), 0x7f000001u);
    freeaddrinfo(ai);
    T_OK(clave_netaddr_resolve("[::1]:9", true, &ai));
    assert_int_equal(ai->ai_family, AF_INET6);
    assert_int_equal(ntohs(((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_port), 9);
    freeaddrinfo(ai);
    T_OK(clave_netaddr_resolve("0.0.0.0:0", true, &ai)); /* bind: any free port */
    freeaddrinfo(ai);
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        "",
        ":",
        "127.0.0.1",
        "127.0.0.1:",
        ":443",
        "localhost:443",
        "127.0.0.1:https",
        "[::1:443",
        "1.2.3.4.5:80",
        "127.0.0.1:99999",
    };
    struct addrinfo *ai = NULL;
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        if (clave_netaddr_resolve(BAD[i], false, &ai) != CLAVE_ERR_ARG) {
            fail_msg("accepted: '%s'", BAD[i]);
        }
        assert_null(ai);
    }
    char long_addr[CLAVE_NETADDR_MAX + 16];
    memset(long_addr, '1', sizeof(long_addr) - 1);
    long_addr[sizeof(long_addr) - 1] = '\0';
    long_addr[sizeof(long_addr) - 4] = ':';
    T_ERR(clave_netaddr_resolve(long_addr, false, &ai), CLAVE_ERR_ARG);
    T_ERR(clave_netaddr_resolve(NULL, false, &ai), CLAVE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
