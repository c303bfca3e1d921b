/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/attest: verifications per second of SEV-SNP reports and Nitro documents with a warm
 * chain cache (one ECDSA P-384 verification per evidence), next to `openssl speed ecdsap384`
 * verify/s measured in the same run (the limit), and next to clave_ecdsa_verify alone (the
 * crypto layer's ceiling). Rates are per second of user CPU time, as `openssl speed` measures
 * them. One JSON line per figure on stdout.
 *
 *   usage: bench_attest [VECTORS_DIR] [SECONDS]
 * VECTORS_DIR is ../shared/vectors/attestation (real AWS/AMD evidence); without it the bench
 * uses simulated evidence from a fresh dev PKI (same verifier code paths).
 */
#include <clave/clave.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct sample {
    const char *name;
    uint8_t *evidence;
    size_t len;
    struct clave_attest_options opts;
    uint8_t *endorsement;
};

/*
 * User CPU seconds of this process: `openssl speed` divides by user CPU time too (unless
 * -elapsed), so the ratio compares like with like and the machine's other load (it is shared)
 * does not count against either side.
 */
static double now_seconds(void)
{
    struct rusage ru;
    (void)getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(1 << 20);
    *len = 0;
    if (f == NULL || buf == NULL) {
        fprintf(stderr, "bench_attest: cannot read %s\n", path);
        exit(1);
    }
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* verify/s of `openssl speed ecdsap384`, or 0 if it cannot run. */
static double openssl_verify_rate(long seconds)
{
    char cmd[128];
    (void)snprintf(cmd, sizeof(cmd), "openssl speed -seconds %ld -mr ecdsap384 2>/dev/null",
                   seconds);
    FILE *p = popen(cmd, "r");
    char line[256];
    double rate = 0;
    if (p == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), p) != NULL) {
        /* Machine-readable result: "+F4:<n>:384:<sign/s>:<verify/s>" */
        if (strncmp(line, "+F4:", 4) == 0) {
            char *last = strrchr(line, ':');
            rate = last != NULL ? strtod(last + 1, NULL) : 0;
        }
    }
    pclose(p);
    return rate;
}

/* clave_ecdsa_verify (P-384, 672-byte message) per second: the crypto layer's own ceiling. */
static double clave_verify_rate(double seconds)
{
    struct clave_pkey *key = NULL;
    uint8_t msg[672] = {1};
    uint8_t sig[CLAVE_ECDSA_DER_MAX_LEN];
    size_t sig_len = 0;
    unsigned long count = 0;
    if (clave_pkey_generate(CLAVE_PKEY_P384, &key) != CLAVE_OK ||
        clave_ecdsa_sign(key, CLAVE_SIG_RAW, msg, sizeof(msg), sig, sizeof(sig), &sig_len) !=
            CLAVE_OK) {
        exit(1);
    }
    double start = now_seconds();
    double elapsed = 0;
    while (elapsed < seconds) {
        if (clave_ecdsa_verify(key, CLAVE_SIG_RAW, msg, sizeof(msg), sig, sig_len) != CLAVE_OK) {
            exit(1);
        }
        count++;
        elapsed = now_seconds() - start;
    }
    clave_pkey_free(key);
    return (double)count / elapsed;
}

static double run(struct sample *s, double seconds)
{
    struct clave_attest_cache *cache = NULL;
    if (clave_attest_cache_new(&cache) != CLAVE_OK) {
        exit(1);
    }
    s->opts.cache = cache;
    double start = now_seconds();
    double elapsed = 0;
    unsigned long count = 0;
    while (elapsed < seconds) {
        struct clave_attest_report *r = NULL;
        if (clave_attest_report_new(&r) != CLAVE_OK ||
            clave_attest_verify(s->name, s->evidence, s->len, &s->opts, r) != CLAVE_OK ||
            !clave_attest_report_ok(r)) {
            fprintf(stderr, "bench_attest: %s did not verify\n", s->name);
            exit(1);
        }
        clave_attest_report_free(r);
        count++;
        elapsed = now_seconds() - start;
    }
    clave_attest_cache_free(cache);
    s->opts.cache = NULL;
    return (double)count / elapsed;
}

static void load_real(const char *dir, struct sample *snp, struct sample *nitro)
{
    char sub[4096];
    (void)snprintf(sub, sizeof(sub), "%s/sev-snp", dir);
    snp->evidence = read_file(sub, "trustee_milan_report.bin", &snp->len);
    snp->endorsement = read_file(sub, "trustee_milan_vcek.der", &snp->opts.endorsement_len);
    snp->opts.endorsement = snp->endorsement;
    snp->opts.at_time = 1795305600; /* 2026-11-22 */
    (void)snprintf(sub, sizeof(sub), "%s/nitro", dir);
    nitro->evidence = read_file(sub, "evervault_doc_2022-10-13_prod.cose", &nitro->len);
}

static struct clave_attest_policy *load_sim(const char *dir, struct sample *snp,
                                            struct sample *nitro)
{
    static const char POLICY[] = "{\"version\":1,\"tees\":{\"sim-nitro\":{\"trusted_roots\":"
                                 "[\"root.pem\"]},\"sim-snp\":{\"trusted_roots\":[\"root.pem\"]}}}";
    struct clave_attest_policy *p = NULL;
    uint8_t rd[64] = {1};
    struct clave_attest_sim_input in = {.report_data = rd, .report_data_len = sizeof(rd)};
    if (clave_attest_sim_init(dir) != CLAVE_OK ||
        clave_attest_sim_evidence(dir, "snp", &in, &snp->evidence, &snp->len) != CLAVE_OK ||
        clave_attest_sim_evidence(dir, "nitro", &in, &nitro->evidence, &nitro->len) != CLAVE_OK ||
        clave_attest_policy_parse(POLICY, sizeof(POLICY) - 1, dir, &p) != CLAVE_OK) {
        fprintf(stderr, "bench_attest: sim setup failed: %s\n", clave_error_last().detail);
        exit(1);
    }
    snp->opts.policy = nitro->opts.policy = p;
    snp->opts.collateral_dir = dir;
    return p;
}

int main(int argc, char **argv)
{
    struct sample snp = {.name = "snp"};
    struct sample nitro = {.name = "nitro"};
    struct clave_attest_policy *policy = NULL;
    long seconds = argc > 2 ? strtol(argv[2], NULL, 10) : 2;
    char scratch[] = "/tmp/bench-attest-XXXXXX";
    char simdir[64];
    seconds = seconds > 0 ? seconds : 2;
    if (argc > 1) {
        load_real(argv[1], &snp, &nitro);
    } else {
        if (mkdtemp(scratch) == NULL) {
            perror("bench_attest: mkdtemp");
            return 1;
        }
        (void)snprintf(simdir, sizeof(simdir), "%s/sim", scratch);
        policy = load_sim(simdir, &snp, &nitro);
    }
    double limit = openssl_verify_rate(seconds);
    double wrapper = clave_verify_rate((double)seconds);
    struct sample *samples[] = {&snp, &nitro};
    for (size_t i = 0; i < 2; i++) {
        double rate = run(samples[i], (double)seconds);
        printf("{\"bench\":\"attest\",\"format\":\"%s\",\"evidence\":\"%s\",\"verify_per_s\":%.1f,"
               "\"openssl_ecdsap384_verify_per_s\":%.1f,\"ratio\":%.3f,"
               "\"clave_ecdsa_verify_per_s\":%.1f,\"ratio_to_clave_ecdsa\":%.3f}\n",
               samples[i]->name, argc > 1 ? "real" : "sim", rate, limit,
               limit > 0 ? rate / limit : 0.0, wrapper, wrapper > 0 ? rate / wrapper : 0.0);
    }
    free(snp.evidence);
    free(snp.endorsement);
    free(nitro.evidence);
    clave_attest_policy_free(policy);
    if (argc <= 1) {
        char cmd[128];
        (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_attest: could not remove %s\n", scratch);
        }
    }
    return 0;
}
