/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RA-TLS: real TLS 1.3 handshakes over loopback TCP between two threads, with sim evidence in
 * the certificates. Success when the evidence binds the key under a policy trusting the dev
 * root; failure for a wrong binding, an untrusted root and tampered evidence.
 */
#include "attest_testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char *g_dir;
static char g_sim[4096];

struct party {
    uint8_t *cert;
    size_t cert_len;
    struct clave_pkey *key;
};

struct server {
    int listen_fd;
    const struct party *me;
    struct clave_ratls_verifier *verifier; /* NULL: no client authentication */
    bool handshake_ok;
};

static int setup(void **state)
{
    (void)state;
    g_dir = t_tempdir();
    (void)snprintf(g_sim, sizeof(g_sim), "%s/sim", g_dir);
    T_OK(clave_attest_sim_init(g_sim));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t_rmtree(g_dir);
    free(g_dir);
    return 0;
}

/* A party whose sim evidence binds `bind_key` (its own key if NULL); `flip` tampers a byte. */
static struct party make_party(const char *format, const struct clave_pkey *bind_key, bool flip)
{
    struct party p = {0};
    uint8_t binding[CLAVE_RATLS_BINDING_LEN];
    uint8_t *ev = NULL;
    size_t len = 0;
    T_OK(clave_pkey_generate(CLAVE_PKEY_P256, &p.key));
    T_OK(clave_ratls_binding(bind_key != NULL ? bind_key : p.key, binding));
    struct clave_attest_sim_input in = {.report_data = binding, .report_data_len = sizeof(binding)};
    T_OK(clave_attest_sim_evidence(g_sim, format, &in, &ev, &len));
    if (flip) {
        ev[len / 3] ^= 0x10;
    }
    T_OK(clave_ratls_cert_create(p.key, format, ev, len, 3600, &p.cert, &p.cert_len));
    free(ev);
    return p;
}

static void party_free(struct party *p)
{
    free(p->cert);
    clave_pkey_free(p->key);
}

static struct clave_attest_policy *dev_policy(void)
{
    static const char JSON[] = "{\"version\":1,\"tees\":{"
                               "\"sim-nitro\":{\"trusted_roots\":[\"root.pem\"]},"
                               "\"sim-snp\":{\"trusted_roots\":[\"root.pem\"]}}}";
    struct clave_attest_policy *p = NULL;
    T_OK(clave_attest_policy_parse(JSON, sizeof(JSON) - 1, g_sim, &p));
    return p;
}

static SSL_CTX *new_ctx(bool server, const struct party *me, struct clave_ratls_verifier *v)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION), 1);
    if (me != NULL) {
        T_OK(clave_ratls_ssl_ctx_use(ctx, me->cert, me->cert_len, me->key));
    }
    if (v != NULL) {
        T_OK(clave_ratls_ssl_ctx_verify(ctx, v));
    }
    return ctx;
}

static void *server_main(void *arg)
{
    struct server *s = arg;
    SSL_CTX *ctx = new_ctx(true, s->me, s->verifier);
    int fd = accept(s->listen_fd, NULL, NULL);
    SSL *ssl = SSL_new(ctx);
    char buf[8] = {0};
    if (fd >= 0 && ssl != NULL && SSL_set_fd(ssl, fd) == 1 && SSL_accept(ssl) == 1) {
        s->handshake_ok = SSL_read(ssl, buf, 4) == 4 && SSL_write(ssl, "pong", 4) == 4;
        (void)SSL_shutdown(ssl);
    }
    ERR_clear_error();
    SSL_free(ssl);
    if (fd >= 0) {
        close(fd);
    }
    SSL_CTX_free(ctx);
    return NULL;
}

/* One handshake: client verifies the server under `client_policy`; the server verifies the
 * client when `client` is given. Returns whether the client completed and exchanged data. */
static bool handshake(const struct party *server_party, const struct clave_attest_policy *cp,
                      const struct party *client)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(addr);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(lfd, 1), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&addr, &alen), 0);
    struct clave_attest_policy *sp = dev_policy();
    struct clave_ratls_verifier *sv = NULL;
    struct clave_ratls_verifier *cv = NULL;
    if (client != NULL) {
        T_OK(clave_ratls_verifier_new(sp, g_sim, &sv));
    }
    T_OK(clave_ratls_verifier_new(cp, g_sim, &cv));
    struct server s = {.listen_fd = lfd, .me = server_party, .verifier = sv};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, server_main, &s), 0);
    SSL_CTX *ctx = new_ctx(false, client, cv);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    SSL *ssl = SSL_new(ctx);
    char buf[8] = {0};
    bool ok = false;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 && SSL_set_fd(ssl, fd) == 1 &&
        SSL_connect(ssl) == 1) {
        ok = SSL_write(ssl, "ping", 4) == 4 && SSL_read(ssl, buf, 4) == 4 &&
             memcmp(buf, "pong", 4) == 0; // lint:public
        (void)SSL_shutdown(ssl);
    }
    ERR_clear_error();
    SSL_free(ssl);
    close(fd); /* unblocks the server if the client gave up */
    assert_int_equal(pthread_join(thread, NULL), 0);
    close(lfd);
    SSL_CTX_free(ctx);
    clave_ratls_verifier_free(sv);
    clave_ratls_verifier_free(cv);
    clave_attest_policy_free(sp);
    return ok && (client == NULL || s.handshake_ok);
}

static void test_handshake_succeeds_with_bound_sim_evidence(void **state)
{
    (void)state;
    struct clave_attest_policy *p = dev_policy();
    const char *formats[] = {"nitro", "snp"};
    for (size_t i = 0; i < 2; i++) {
        struct party server = make_party(formats[i], NULL, false);
        struct party client = make_party(formats[1 - i], NULL, false);
        assert_true(handshake(&server, p, NULL));
        assert_true(handshake(&server, p, &client)); /* mutual: both sides verify */
        party_free(&client);
        party_free(&server);
    }
    clave_attest_policy_free(p);
}

static void test_wrong_binding_fails(void **state)
{
    (void)state;
    struct clave_attest_policy *p = dev_policy();
    struct party other = make_party("snp", NULL, false);
    struct party server = make_party("snp", other.key, false);
    assert_false(handshake(&server, p, NULL));
    /* The report says why. */
    struct clave_attest_report *r = NULL;
    T_OK(clave_attest_report_new(&r));
    struct clave_attest_options opts = {.policy = p, .collateral_dir = g_sim};
    T_OK(clave_ratls_verify_cert(server.cert, server.cert_len, &opts, p, time(NULL), r));
    assert_false(t_check_passed(r, "ratls.binding", NULL, 0));
    assert_true(t_check_passed(r, "snp.signature", NULL, 0));
    clave_attest_report_free(r);
    party_free(&server);
    party_free(&other);
    clave_attest_policy_free(p);
}

static void test_untrusted_root_fails(void **state)
{
    (void)state;
    struct clave_attest_policy *def = NULL;
    T_OK(clave_attest_policy_default(&def));
    struct party server = make_party("nitro", NULL, false);
    assert_false(handshake(&server, def, NULL));
    party_free(&server);
    clave_attest_policy_free(def);
}

static void test_tampered_evidence_fails(void **state)
{
    (void)state;
    struct clave_attest_policy *p = dev_policy();
    const char *formats[] = {"nitro", "snp"};
    for (size_t i = 0; i < 2; i++) {
        struct party server = make_party(formats[i], NULL, true);
        assert_false(handshake(&server, p, NULL));
        party_free(&server);
    }
    clave_attest_policy_free(p);
}

static void test_cert_without_evidence(void **state)
{
    (void)state;
    struct clave_attest_report *r = NULL;
    size_t len = 0;
    uint8_t *der = t_read_file(
        t_shared_vector("attestation/nitro/evervault_doc_2023-09-18_bound_tls_cert.der"), &len);
    T_OK(clave_attest_report_new(&r));
    T_OK(clave_ratls_verify_cert(der, len, NULL, NULL, time(NULL), r));
    assert_false(clave_attest_report_ok(r));
    assert_false(t_check_passed(r, "ratls.evidence", NULL, 0));
    clave_attest_report_free(r);
    free(der);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_succeeds_with_bound_sim_evidence),
        cmocka_unit_test(test_wrong_binding_fails),
        cmocka_unit_test(test_untrusted_root_fails),
        cmocka_unit_test(test_tampered_evidence_fails),
        cmocka_unit_test(test_cert_without_evidence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
