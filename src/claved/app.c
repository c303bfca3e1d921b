/* SPDX-License-Identifier: Apache-2.0 */
/* claved application state. */
#include "app.h"

#include "auth_cache.h"
#include "core/check.h"
#include "db.h"
#include "fl_coord.h"
#include "kbs.h"
#include "kbs_db.h"
#include "collab_db.h"
#include "recipient_db.h"
#include "metrics.h"
#include "routes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEED_LEN 32
#define SEED_HEX_LEN 64
#define BOOTSTRAP_MAX 4096

static clave_status mkdir_p(const char *dir)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[1024];
    size_t n = strnlen(dir, sizeof(path));
    CLAVE_ENSURE(n > 0 && n < sizeof(path), CLAVE_ERR_ARG, "path too long: %s", dir);
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char saved = path[i];
            path[i] = '\0';
            CLAVE_ENSURE(mkdir(path, 0700) == 0 || errno == EEXIST, CLAVE_ERR_IO,
                         "cannot create %s: %s", path, strerror(errno));
            path[i] = saved;
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Read the 32-byte seed (hex) from `path`, creating it (0600, exclusive) if missing. */
static clave_status load_seed(const char *path, uint8_t seed[SEED_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char hex[SEED_HEX_LEN + 2];
    size_t n = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        CLAVE_CHECK(clave_random(seed, SEED_LEN));
        CLAVE_CHECK(clave_hex_encode(seed, SEED_LEN, hex, sizeof(hex)));
        hex[SEED_HEX_LEN] = '\n';
        CLAVE_ENSURE(write(fd, hex, SEED_HEX_LEN + 1) == SEED_HEX_LEN + 1 && fsync(fd) == 0,
                     CLAVE_ERR_IO, "cannot write %s", path);
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "cannot open %s: %s", path, strerror(errno));
        ssize_t got = read(fd, hex, sizeof(hex));
        CLAVE_ENSURE(got >= SEED_HEX_LEN, CLAVE_ERR_FORMAT, "%s: expected 64 hex characters", path);
        CLAVE_ENSURE(clave_hex_decode(hex, SEED_HEX_LEN, seed, SEED_LEN, &n) == CLAVE_OK &&
                         n == SEED_LEN,
                     CLAVE_ERR_FORMAT, "%s: expected 64 hex characters", path);
    }
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    clave_wipe(hex, sizeof(hex));
    return st;
}

static clave_status load_keys(struct claved_app *app)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t seed[SEED_LEN];
    static const char INFO[] = "clave claved totp-at-rest v1";
    CLAVE_CHECK(load_seed(app->cfg.session_key_file, seed));
    CLAVE_CHECK(clave_pkey_from_raw_private(CLAVE_PKEY_ED25519, seed, SEED_LEN, &app->session_key));
    CLAVE_CHECK(clave_hkdf(CLAVE_HASH_SHA256, NULL, 0, seed, SEED_LEN, (const uint8_t *)INFO,
                           sizeof(INFO) - 1, app->secret_key, sizeof(app->secret_key)));
    st = CLAVE_OK;
done:
    clave_wipe(seed, sizeof(seed));
    return st;
}

/* The audit log key (its own seed file) and its public half as PEM for GET /v1/audit/key. */
static clave_status load_audit_key(struct claved_app *app)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t seed[SEED_LEN];
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t spki_len = 0;
    char *b64 = NULL;
    CLAVE_CHECK(load_seed(app->cfg.audit_key_file, seed));
    CLAVE_CHECK(clave_pkey_from_raw_private(CLAVE_PKEY_ED25519, seed, SEED_LEN, &app->audit_key));
    CLAVE_CHECK(clave_pkey_export_spki(app->audit_key, spki, sizeof(spki), &spki_len));
    CLAVE_CHECK(clave_b64_encode_alloc(CLAVE_B64_STD, spki, spki_len, &b64));
    size_t n = strlen(b64) + 64;
    app->audit_key_pem = malloc(n);
    CLAVE_ENSURE_ALLOC(app->audit_key_pem);
    snprintf(app->audit_key_pem, n, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n",
             b64);
    st = CLAVE_OK;
done:
    free(b64);
    clave_wipe(seed, sizeof(seed));
    return st;
}

/* Sign a head at start when the log grew since the last one (or has none). */
static clave_status first_checkpoint(struct claved_app *app)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_ledger_sth sth;
    uint64_t size = 0;
    clave_status latest = clave_ledger_latest_sth(app->ledger, &sth);
    CLAVE_ENSURE(latest == CLAVE_OK || latest == CLAVE_ERR_NOT_FOUND, latest, "audit: latest head");
    CLAVE_CHECK(clave_ledger_size(app->ledger, &size));
    if (latest == CLAVE_ERR_NOT_FOUND || sth.tree_size != size) {
        CLAVE_CHECK(clave_ledger_checkpoint(app->ledger, app->audit_key, claved_now_ms(), &sth));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status open_store(struct claved_app *app)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_config sc = {CLAVE_STORE_SQLITE, app->cfg.sqlite_path, NULL, 0};
    if (strcmp(app->cfg.store, "postgres") == 0) {
        sc.backend = CLAVE_STORE_POSTGRES;
        sc.pg_conninfo = app->cfg.pg_conninfo;
    }
    CLAVE_CHECK(clave_store_open(&sc, &app->store));
    CLAVE_CHECK_CTX(claved_db_migrate(app->store), "migrations: ");
    CLAVE_CHECK_CTX(claved_kbs_db_migrate(app->store), "kbs migrations: ");
    CLAVE_CHECK_CTX(claved_collab_db_migrate(app->store), "collab migrations: ");
    CLAVE_CHECK_CTX(claved_recipient_db_migrate(app->store), "recipient migrations: ");
    CLAVE_CHECK_CTX(clave_ledger_open(app->store, &app->ledger), "audit ledger: ");
    st = CLAVE_OK;
done:
    return st;
}

/* {data}/bootstrap.json: {"admin": NAME, "password_hash": "$argon2id$..."}; applied when there
 * are no users yet, then removed. */
static clave_status bootstrap(struct claved_app *app)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[1024];
    char buf[BOOTSTRAP_MAX];
    json_t *doc = NULL;
    const char *name = NULL;
    const char *hash = NULL;
    int64_t users = 0;
    struct claved_user u;
    memset(&u, 0, sizeof(u));
    snprintf(path, sizeof(path), "%s/bootstrap.json", app->cfg.data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return CLAVE_OK;
    }
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    CLAVE_ENSURE(n > 0 && n < (ssize_t)sizeof(buf), CLAVE_ERR_FORMAT, "%s: unreadable", path);
    CLAVE_CHECK(clave_json_parse(buf, (size_t)n, NULL, "bootstrap", &doc));
    CLAVE_CHECK(clave_json_get_string(doc, "bootstrap", "admin", true, 64, &name));
    CLAVE_CHECK(clave_json_get_string(doc, "bootstrap", "password_hash", true,
                                      CLAVE_PASSWORD_HASH_MAX - 1, &hash));
    CLAVE_CHECK(claved_db_user_count(app->store, &users));
    if (users == 0) {
        CLAVE_CHECK(claved_new_id("p", u.party_id));
        CLAVE_CHECK(
            claved_db_party_insert(app->store, u.party_id, "operator", (int64_t)time(NULL)));
        CLAVE_CHECK(claved_new_id("u", u.id));
        snprintf(u.name, sizeof(u.name), "%s", name);
        snprintf(u.password_hash, sizeof(u.password_hash), "%s", hash);
        u.role = CLAVED_ROLE_ADMIN;
        CLAVE_CHECK(claved_db_user_insert(app->store, &u, NULL, (int64_t)time(NULL)));
        struct clave_log_field f[] = {{"user", u.id}, {"name", u.name}};
        clave_log_write(app->log, CLAVE_LOG_INFO, "claved", "bootstrap admin created", f, 2);
    }
    CLAVE_ENSURE(unlink(path) == 0, CLAVE_ERR_IO, "cannot remove %s", path);
    st = CLAVE_OK;
done:
    json_decref(doc);
    return st;
}

clave_status claved_app_init(struct claved_app *app, struct claved_config *cfg, FILE *log_sink)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    enum clave_log_level level = CLAVE_LOG_INFO;
    memset(app, 0, sizeof(*app));
    app->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    atomic_init(&app->draining, false);
    atomic_init(&app->auth_generation, 0);
    CLAVE_CHECK(clave_log_level_parse(app->cfg.log_level, &level));
    CLAVE_CHECK(clave_log_new(log_sink, level, &app->log));
    CLAVE_CHECK(mkdir_p(app->cfg.data_dir));
    CLAVE_CHECK(load_keys(app));
    CLAVE_CHECK_CTX(load_audit_key(app), "audit key: ");
    CLAVE_CHECK(claved_metrics_new(CLAVED_ROUTE_COUNT, &app->metrics));
    /* The dummy hash costs what a real one does: unknown users take as long as wrong passwords. */
    struct clave_argon2_params ap = {app->cfg.argon2_t_cost, app->cfg.argon2_m_cost_kib,
                                     app->cfg.argon2_parallelism};
    CLAVE_CHECK(clave_password_hash(&ap, "dummy", 5, app->dummy_hash, sizeof(app->dummy_hash)));
    CLAVE_CHECK(open_store(app));
    CLAVE_CHECK(claved_kbs_init(app));
    CLAVE_CHECK(claved_fl_new(&app->fl));
    CLAVE_CHECK_CTX(bootstrap(app), "bootstrap: ");
    CLAVE_CHECK_CTX(first_checkpoint(app), "audit checkpoint: ");
    st = CLAVE_OK;
done:
    return st;
}

void claved_app_fini(struct claved_app *app)
{
    claved_kbs_fini(app);
    claved_fl_free(app->fl);
    clave_ledger_free(app->ledger);
    clave_store_close(app->store);
    clave_pkey_free(app->audit_key);
    free(app->audit_key_pem);
    claved_metrics_free(app->metrics);
    clave_pkey_free(app->session_key);
    clave_log_free(app->log);
    claved_config_free(&app->cfg);
    clave_wipe(app->secret_key, sizeof(app->secret_key));
    memset(app, 0, sizeof(*app));
}

clave_status claved_app_conn_open(struct claved_app *app, struct claved_conn *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(clave_store_clone(app->store, &out->store));
    CLAVE_CHECK(clave_ledger_open(out->store, &out->ledger));
    CLAVE_CHECK(
        claved_auth_cache_new(app->cfg.session_cache_ms, &app->auth_generation, &out->cache));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        claved_app_conn_close(out);
    }
    return st;
}

void claved_app_conn_close(struct claved_conn *conn)
{
    claved_auth_cache_free(conn->cache);
    clave_ledger_free(conn->ledger);
    clave_store_close(conn->store);
    memset(conn, 0, sizeof(*conn));
}
