/* SPDX-License-Identifier: Apache-2.0 */
/* claved.conf parsing with embedded defaults and CLAVE_* environment overrides. */
#include "config.h"

#include "core/check.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define CFG_LINE_MAX 4096
#define CFG_FILE_MAX_LINES 1000
#define S(field) CLAVED_CFG_STRING, offsetof(struct claved_config, field)
#define U(field) CLAVED_CFG_UINT, offsetof(struct claved_config, field)

const struct claved_config_key CLAVED_CONFIG_KEYS[] = {
    {"listen", S(listen), "127.0.0.1:8443", 0, 0, "address:port to listen on (HTTPS)"},
    {"threads", U(threads), "0", 0, 256, "event-loop threads; 0 = one per core"},
    {"workers", U(workers), "4", 1, 256, "worker threads for request handlers"},
    {"data_dir", S(data_dir), "./claved-data", 0, 0, "directory for the default files below"},
    {"store", S(store), "sqlite", 0, 0, "metadata store: sqlite or postgres"},
    {"sqlite_path", S(sqlite_path), "{data}/claved.db", 0, 0, "SQLite database file"},
    {"pg_conninfo", S(pg_conninfo), "", 0, 0, "libpq connection string (store = postgres)"},
    {"blob_dir", S(blob_dir), "{data}/blobs", 0, 0, "local blob store directory"},
    {"keyring", S(keyring), "{data}/keyring.json", 0, 0, "file keyring of the key broker"},
    {"tls_cert", S(tls_cert), "{data}/tls/cert.pem", 0, 0,
     "server certificate chain (PEM); self-signed one generated if missing"},
    {"tls_key", S(tls_key), "{data}/tls/key.pem", 0, 0, "server private key (PEM)"},
    {"tls_min_version", S(tls_min_version), "1.3", 0, 0, "lowest TLS version: 1.3 or 1.2"},
    {"tls_client_auth", S(tls_client_auth), "optional", 0, 0,
     "client certificates: none, optional or require"},
    {"tls_client_ca", S(tls_client_ca), "", 0, 0,
     "CA bundle client certificates must chain to (empty: fingerprint pinning only)"},
    {"max_header_bytes", U(max_header_bytes), "8192", 512, 1048576, "largest request head"},
    {"max_body_bytes", U(max_body_bytes), "1048576", 1024, 1073741824,
     "largest authenticated request body"},
    {"max_upload_bytes", U(max_upload_bytes), "1073741824", 1024, 4294967295u,
     "largest sealed dataset (uploaded in parts of at most max_body_bytes)"},
    {"max_connections", U(max_connections), "1024", 1, 1000000, "open connections, all threads"},
    {"read_timeout_s", U(read_timeout_s), "10", 1, 3600,
     "time to receive a whole request (handshake, head, body)"},
    {"idle_timeout_s", U(idle_timeout_s), "60", 1, 86400, "keep-alive idle time"},
    {"drain_timeout_s", U(drain_timeout_s), "30", 0, 3600, "SIGTERM: wait this long for requests"},
    {"session_audience", S(session_audience), "claved", 0, 0, "audience claim of session tokens"},
    {"session_ttl_s", U(session_ttl_s), "900", 30, 86400, "session token lifetime"},
    {"session_key_file", S(session_key_file), "{data}/session.key", 0, 0,
     "Ed25519 seed signing session tokens (created if missing; share it between replicas)"},
    {"audit_key_file", S(audit_key_file), "{data}/audit.key", 0, 0,
     "Ed25519 seed signing audit tree heads (created if missing; share it between replicas)"},
    {"audit_checkpoint_interval_s", U(audit_checkpoint_interval_s), "60", 1, 86400,
     "sign a new audit tree head this often (when the log grew)"},
    {"session_cache_ms", U(session_cache_ms), "1000", 0, 1000,
     "per-thread cache of verified sessions; revocation takes effect within this (0 = off)"},
    {"argon2_t_cost", U(argon2_t_cost), "3", 1, 100, "Argon2id passes"},
    {"argon2_m_cost_kib", U(argon2_m_cost_kib), "65536", 8, 4194304, "Argon2id memory (KiB)"},
    {"argon2_parallelism", U(argon2_parallelism), "1", 1, 16, "Argon2id lanes"},
    {"lockout_free_failures", U(lockout_free_failures), "5", 0, 1000,
     "failed logins before backoff starts"},
    {"lockout_base_delay_s", U(lockout_base_delay_s), "1", 0, 3600, "first backoff delay"},
    {"lockout_max_delay_s", U(lockout_max_delay_s), "900", 0, 86400, "longest backoff delay"},
    {"totp_issuer", S(totp_issuer), "clave", 0, 0, "issuer shown by authenticator apps"},
    {"totp_window", U(totp_window), "1", 0, 10, "TOTP steps accepted either side of now"},
    {"log_level", S(log_level), "info", 0, 0, "debug, info, warn or error"},
    {"kbs_broker_key_file", S(kbs_broker_key_file), "{data}/kbs-broker.jwk", 0, 0,
     "P-256 JWK owners seal dataset keys to (created if missing; share it between replicas)"},
    {"kbs_ear_key_file", S(kbs_ear_key_file), "{data}/kbs-ear.key", 0, 0,
     "P-256 scalar signing EAR attestation tokens (created if missing; share it)"},
    {"kbs_attest_policy", S(kbs_attest_policy), "", 0, 0,
     "attestation policy JSON naming trusted roots (empty: vendor roots only)"},
    {"kbs_collateral_dir", S(kbs_collateral_dir), "", 0, 0,
     "collateral directory for evidence verification (SNP VCEK/VLEK, ASK/ARK)"},
    {"kbs_trust_sim", U(kbs_trust_sim), "0", 0, 1,
     "1: accept sim-* evidence when the policy trusts the sim root and the contract names it"},
    {"kbs_session_ttl_s", U(kbs_session_ttl_s), "300", 5, 86400, "key broker session lifetime"},
    {"kbs_max_sessions", U(kbs_max_sessions), "10000", 1, 10000000,
     "unexpired key broker sessions at most (all replicas)"},
    {"kbs_auth_rate", U(kbs_auth_rate), "20", 1, 1000000,
     "POST /kbs/v0/auth calls per second per client IP (burst: twice this)"},
};
const size_t CLAVED_CONFIG_KEY_COUNT = sizeof(CLAVED_CONFIG_KEYS) / sizeof(CLAVED_CONFIG_KEYS[0]);

static const struct claved_config_key *find_key(const char *name)
{
    for (size_t i = 0; i < CLAVED_CONFIG_KEY_COUNT; i++) {
        if (strcmp(CLAVED_CONFIG_KEYS[i].name, name) == 0) {
            return &CLAVED_CONFIG_KEYS[i];
        }
    }
    return NULL;
}

static clave_status set_value(struct claved_config *cfg, const struct claved_config_key *k,
                              const char *value, const char *origin)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *base = (char *)cfg;
    if (k->type == CLAVED_CFG_STRING) {
        char **slot = (char **)(void *)(base + k->offset);
        char *copy = strdup(value);
        CLAVE_ENSURE_ALLOC(copy);
        free(*slot);
        *slot = copy;
    } else {
        char *end = NULL;
        errno = 0;
        unsigned long v = strtoul(value, &end, 10);
        CLAVE_ENSURE(value[0] >= '0' && value[0] <= '9' && errno == 0 && end != NULL &&
                         *end == '\0' && v >= k->min && v <= k->max,
                     CLAVE_ERR_FORMAT, "%s: %s must be an integer in %u..%u", origin, k->name,
                     k->min, k->max);
        *(uint32_t *)(void *)(base + k->offset) = (uint32_t)v;
    }
    st = CLAVE_OK;
done:
    return st;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

static clave_status load_file(const char *path, struct claved_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char line[CFG_LINE_MAX];
    char origin[CFG_LINE_MAX];
    FILE *f = fopen(path, "r");
    CLAVE_ENSURE(f != NULL, CLAVE_ERR_IO, "config: cannot open %s: %s", path, strerror(errno));
    for (int lineno = 1; fgets(line, sizeof(line), f) != NULL; lineno++) {
        CLAVE_ENSURE(lineno <= CFG_FILE_MAX_LINES, CLAVE_ERR_TOO_LARGE, "config: too many lines");
        CLAVE_ENSURE(strchr(line, '\n') != NULL || feof(f), CLAVE_ERR_TOO_LARGE,
                     "%s:%d: line too long", path, lineno);
        char *s = trim(line);
        if (s[0] == '\0' || s[0] == '#') {
            continue;
        }
        char *eq = strchr(s, '=');
        CLAVE_ENSURE(eq != NULL, CLAVE_ERR_FORMAT, "%s:%d: expected key = value", path, lineno);
        *eq = '\0';
        const char *name = trim(s);
        const struct claved_config_key *k = find_key(name);
        CLAVE_ENSURE(k != NULL, CLAVE_ERR_FORMAT, "%s:%d: unknown key '%s'", path, lineno, name);
        snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
        CLAVE_CHECK(set_value(cfg, k, trim(eq + 1), origin));
    }
    st = CLAVE_OK;
done:
    if (f != NULL) {
        fclose(f);
    }
    return st;
}

static clave_status load_env(struct claved_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char var[96];
    for (size_t i = 0; i < CLAVED_CONFIG_KEY_COUNT; i++) {
        const struct claved_config_key *k = &CLAVED_CONFIG_KEYS[i];
        size_t o = 0;
        memcpy(var, "CLAVE_", 6);
        for (o = 0; k->name[o] != '\0' && o + 7 < sizeof(var); o++) {
            var[6 + o] = (char)toupper((unsigned char)k->name[o]);
        }
        var[6 + o] = '\0';
        const char *v = getenv(var);
        if (v != NULL) {
            CLAVE_CHECK(set_value(cfg, k, v, var));
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Expand a leading "{data}" in string values (defaults and explicit values alike). */
static clave_status expand_data(struct claved_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t i = 0; i < CLAVED_CONFIG_KEY_COUNT; i++) {
        const struct claved_config_key *k = &CLAVED_CONFIG_KEYS[i];
        char **slot = (char **)(void *)((char *)cfg + k->offset);
        if (k->type != CLAVED_CFG_STRING || strncmp(*slot, "{data}", 6) != 0) {
            continue;
        }
        size_t n = strlen(cfg->data_dir) + strlen(*slot) + 1;
        char *v = malloc(n);
        CLAVE_ENSURE_ALLOC(v);
        snprintf(v, n, "%s%s", cfg->data_dir, *slot + 6);
        free(*slot);
        *slot = v;
    }
    st = CLAVE_OK;
done:
    return st;
}

static bool one_of(const char *v, const char *const *allowed)
{
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (strcmp(v, allowed[i]) == 0) {
            return true;
        }
    }
    return false;
}

static clave_status validate(const struct claved_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const STORES[] = {"sqlite", "postgres", NULL};
    static const char *const TLS_VERSIONS[] = {"1.2", "1.3", NULL};
    static const char *const CLIENT_AUTH[] = {"none", "optional", "require", NULL};
    static const char *const LEVELS[] = {"debug", "info", "warn", "error", NULL};
    CLAVE_ENSURE(one_of(cfg->store, STORES), CLAVE_ERR_FORMAT, "config: store: sqlite|postgres");
    CLAVE_ENSURE(one_of(cfg->tls_min_version, TLS_VERSIONS), CLAVE_ERR_FORMAT,
                 "config: tls_min_version: 1.2|1.3");
    CLAVE_ENSURE(one_of(cfg->tls_client_auth, CLIENT_AUTH), CLAVE_ERR_FORMAT,
                 "config: tls_client_auth: none|optional|require");
    CLAVE_ENSURE(one_of(cfg->log_level, LEVELS), CLAVE_ERR_FORMAT,
                 "config: log_level: debug|info|warn|error");
    CLAVE_ENSURE(strcmp(cfg->store, "postgres") != 0 || cfg->pg_conninfo[0] != '\0',
                 CLAVE_ERR_FORMAT, "config: store = postgres needs pg_conninfo");
    CLAVE_ENSURE(strrchr(cfg->listen, ':') != NULL, CLAVE_ERR_FORMAT,
                 "config: listen: expected address:port");
    CLAVE_ENSURE(cfg->argon2_m_cost_kib >= 8 * cfg->argon2_parallelism, CLAVE_ERR_FORMAT,
                 "config: argon2_m_cost_kib must be >= 8 * argon2_parallelism");
    CLAVE_ENSURE(cfg->data_dir[0] != '\0' && cfg->session_audience[0] != '\0', CLAVE_ERR_FORMAT,
                 "config: data_dir and session_audience must not be empty");
    st = CLAVE_OK;
done:
    return st;
}

clave_status claved_config_load(const char *path, struct claved_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < CLAVED_CONFIG_KEY_COUNT; i++) {
        CLAVE_CHECK(set_value(cfg, &CLAVED_CONFIG_KEYS[i], CLAVED_CONFIG_KEYS[i].def, "default"));
    }
    if (path != NULL) {
        CLAVE_CHECK(load_file(path, cfg));
    }
    CLAVE_CHECK(load_env(cfg));
    CLAVE_CHECK(expand_data(cfg));
    CLAVE_CHECK(validate(cfg));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        claved_config_free(cfg);
    }
    return st;
}

void claved_config_free(struct claved_config *cfg)
{
    for (size_t i = 0; i < CLAVED_CONFIG_KEY_COUNT; i++) {
        if (CLAVED_CONFIG_KEYS[i].type == CLAVED_CFG_STRING) {
            char **slot = (char **)(void *)((char *)cfg + CLAVED_CONFIG_KEYS[i].offset);
            free(*slot);
            *slot = NULL;
        }
    }
}

void claved_config_print(const struct claved_config *cfg, FILE *out)
{
    for (size_t i = 0; i < CLAVED_CONFIG_KEY_COUNT; i++) {
        const struct claved_config_key *k = &CLAVED_CONFIG_KEYS[i];
        const char *base = (const char *)cfg;
        fprintf(out, "# %s\n", k->doc);
        if (k->type == CLAVED_CFG_STRING) {
            /* pg_conninfo may carry a password: never echo it. */
            const char *v = *(char *const *)(const void *)(base + k->offset);
            bool secret = strcmp(k->name, "pg_conninfo") == 0 && v[0] != '\0';
            fprintf(out, "%s = %s\n", k->name, secret ? "(set)" : v);
        } else {
            fprintf(out, "%s = %u\n", k->name, *(const uint32_t *)(const void *)(base + k->offset));
        }
    }
}
