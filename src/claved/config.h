/* SPDX-License-Identifier: Apache-2.0 */
/*
 * claved.conf: "key = value" lines, '#' comments. Every key has an embedded default and may be
 * overridden by the environment variable CLAVE_<KEY IN UPPER CASE>. Precedence: environment,
 * then the file, then the default. Defaults that name files under the data directory are
 * resolved after data_dir is known ("{data}/claved.db").
 */
#ifndef CLAVED_CONFIG_H
#define CLAVED_CONFIG_H

#include <clave/status.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct claved_config {
    char *listen;
    uint32_t threads;
    uint32_t workers;
    char *data_dir;
    char *store;
    char *sqlite_path;
    char *pg_conninfo;
    char *blob_dir;
    char *keyring;
    char *tls_cert;
    char *tls_key;
    char *tls_min_version;
    char *tls_client_auth;
    char *tls_client_ca;
    uint32_t max_header_bytes;
    uint32_t max_body_bytes;
    uint32_t max_upload_bytes;
    uint32_t max_connections;
    uint32_t read_timeout_s;
    uint32_t idle_timeout_s;
    uint32_t drain_timeout_s;
    char *session_audience;
    uint32_t session_ttl_s;
    char *session_key_file;
    char *audit_key_file;
    uint32_t audit_checkpoint_interval_s;
    uint32_t session_cache_ms;
    uint32_t argon2_t_cost;
    uint32_t argon2_m_cost_kib;
    uint32_t argon2_parallelism;
    uint32_t lockout_free_failures;
    uint32_t lockout_base_delay_s;
    uint32_t lockout_max_delay_s;
    char *totp_issuer;
    uint32_t totp_window;
    char *log_level;
    char *kbs_broker_key_file;
    char *kbs_ear_key_file;
    char *kbs_attest_policy;
    char *kbs_collateral_dir;
    uint32_t kbs_trust_sim;
    uint32_t kbs_session_ttl_s;
    uint32_t kbs_max_sessions;
    uint32_t kbs_auth_rate;
};

enum claved_config_type { CLAVED_CFG_STRING = 1, CLAVED_CFG_UINT = 2 };

struct claved_config_key {
    const char *name;
    enum claved_config_type type;
    size_t offset;
    const char *def;   /* default; "{data}" expands to data_dir */
    uint32_t min, max; /* CLAVED_CFG_UINT range */
    const char *doc;
};

/* The key table (docs/server.md documents the same keys; a unit test checks that). */
extern const struct claved_config_key CLAVED_CONFIG_KEYS[];
extern const size_t CLAVED_CONFIG_KEY_COUNT;

/**
 * Load: defaults, then `path` (NULL: no file), then CLAVE_* environment variables; then check
 * values (enumerations, ranges). On failure the detail names the key (and line).
 */
clave_status claved_config_load(const char *path, struct claved_config *cfg);
void claved_config_free(struct claved_config *cfg);

/* Print every key with its effective value as a claved.conf file. */
void claved_config_print(const struct claved_config *cfg, FILE *out);

#endif
