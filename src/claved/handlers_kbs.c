/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key broker routes: RCAR (auth, attest, resource) and the runner's budget debit. See
 * docs/kbs.md. Every release and every denial after a session exists is audited (with the
 * reason and the evidence digest) before the response.
 */
#include "handlers.h"
#include "handlers_kbs.h"
#include "kbs.h"
#include "kbs_db.h"

#include "core/check.h"

#include <clave/blob.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COOKIE "kbs-session-id="
#define COOKIE_LEN (sizeof(COOKIE) - 1)
#define BEARER "Bearer "

/* The kbs-session-id cookie value into `sid`; false if absent or malformed. */
static bool session_cookie(const char *h, char sid[CLAVED_KBS_SID_LEN + 1])
{
    const char *p = h;
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == ';') {
            p++;
        }
        size_t n = strcspn(p, ";");
        if (n == COOKIE_LEN + CLAVED_KBS_SID_LEN && strncmp(p, COOKIE, COOKIE_LEN) == 0) {
            memcpy(sid, p + COOKIE_LEN, CLAVED_KBS_SID_LEN);
            sid[CLAVED_KBS_SID_LEN] = '\0';
            return clave_kbs_valid_path_part(sid);
        }
        p += n;
    }
    return false;
}

static void set_cookie(struct claved_ctx *ctx, const char *sid)
{
    snprintf(ctx->resp->set_cookie, sizeof(ctx->resp->set_cookie),
             COOKIE "%s; Path=/kbs; Max-Age=%u; Secure; HttpOnly; SameSite=Strict", sid,
             ctx->app->cfg.kbs_session_ttl_s);
}

/* The ledger fields of a broker decision; `ev` holds the evidence digest's hex. */
static void decision_fields(const struct claved_ctx *ctx, const char *reason,
                            const uint8_t *evidence_sha256, const char *resource,
                            const char *contract, char ev[65], struct clave_log_field f[5])
{
    ev[0] = '\0';
    if (evidence_sha256 != NULL && clave_hex_encode(evidence_sha256, 32, ev, 65) != CLAVE_OK) {
        ev[0] = '\0';
    }
    f[0] = (struct clave_log_field){"reason", reason != NULL ? reason : ""};
    f[1] = (struct clave_log_field){"evidence_sha256", ev};
    f[2] = (struct clave_log_field){"resource", resource != NULL ? resource : ""};
    f[3] = (struct clave_log_field){"contract", contract != NULL ? contract : ""};
    f[4] = (struct clave_log_field){"client_ip",
                                    ctx->req->client_ip != NULL ? ctx->req->client_ip : ""};
}

/* Audit a broker decision; answers 503 itself when the ledger fails (then returns false). */
bool claved_kbs_audit(struct claved_ctx *ctx, const char *event, const char *reason,
                      const uint8_t *evidence_sha256, const char *resource, const char *contract)
{
    char ev[65];
    struct clave_log_field f[5];
    decision_fields(ctx, reason, evidence_sha256, resource, contract, ev, f);
    return claved_audit_or_fail(ctx, event, f, 5);
}

void claved_kbs_deny(struct claved_ctx *ctx, int status, const char *code, const char *reason,
                     const uint8_t *evidence_sha256, const char *resource, const char *contract)
{
    if (claved_kbs_audit(ctx, "kbs.deny", reason, evidence_sha256, resource, contract)) {
        claved_error(ctx, status, code, reason);
    }
}

void claved_h_kbs_auth(struct claved_ctx *ctx)
{
    struct clave_kbs_auth_request ar;
    uint8_t raw[32];
    char nonce[CLAVE_KBS_NONCE_TEXT_MAX + 1];
    char sid[CLAVED_KBS_SID_LEN + 1];
    int retry = 0;
    const struct claved_config *cfg = &ctx->app->cfg;
    if (!claved_kbs_rate_take(ctx->app->kbs, ctx->req->client_ip, cfg->kbs_auth_rate,
                              claved_now_ms(), &retry)) {
        ctx->resp->retry_after = retry;
        claved_error(ctx, 429, "rate_limited", "too many /kbs/v0/auth calls from this address");
        return;
    }
    if (clave_kbs_parse_auth((const char *)ctx->req->body, ctx->req->body_len, &ar) != CLAVE_OK) {
        struct clave_error_info e = clave_error_last();
        claved_error(ctx, e.status == CLAVE_ERR_UNSUPPORTED ? 401 : 400,
                     e.status == CLAVE_ERR_UNSUPPORTED ? "unsupported_version" : "invalid_json",
                     e.detail);
        return;
    }
    bool admit = false;
    clave_status st = claved_kbs_session_admit(ctx->app->kbs, ctx->store, ctx->now,
                                               cfg->kbs_max_sessions, &admit);
    if (st == CLAVE_OK && !admit) {
        claved_error(ctx, 503, "busy", "too many key broker sessions, try again later");
        return;
    }
    size_t n = 0;
    if (st == CLAVE_OK) {
        st = clave_random(raw, sizeof(raw));
    }
    if (st == CLAVE_OK) {
        st = clave_b64_encode(CLAVE_B64_STD, raw, sizeof(raw), nonce, sizeof(nonce), &n);
    }
    if (st == CLAVE_OK) {
        st = clave_random(raw, sizeof(raw));
    }
    if (st == CLAVE_OK) {
        st = clave_b64_encode(CLAVE_B64URL, raw, sizeof(raw), sid, sizeof(sid), &n);
    }
    if (st == CLAVE_OK) {
        st = claved_kbs_session_insert(ctx->store, sid, nonce, ar.tee, ctx->now,
                                       ctx->now + cfg->kbs_session_ttl_s);
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return;
    }
    set_cookie(ctx, sid);
    claved_json(ctx, 200, json_pack("{s:s,s:{}}", "nonce", nonce, "extra-params"));
}

/* The session named by the cookie: 401 (answered) when absent or expired. */
static bool load_session(struct claved_ctx *ctx, char sid[CLAVED_KBS_SID_LEN + 1],
                         struct claved_kbs_session *s)
{
    if (ctx->req->cookie == NULL || !session_cookie(ctx->req->cookie, sid)) {
        claved_error(ctx, 401, "unauthenticated", "no kbs-session-id cookie: POST /kbs/v0/auth");
        return false;
    }
    clave_status st = claved_kbs_session_get(ctx->store, sid, ctx->now, s);
    if (st == CLAVE_ERR_NOT_FOUND) {
        claved_error(ctx, 401, "unauthenticated", "no such session, or it expired");
        return false;
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
        return false;
    }
    return true;
}

struct attest_job {
    struct clave_kbs_attestation *a;
    struct clave_attest_report *report;
    struct clave_kbs_claims claims;
    uint8_t evidence_sha256[32];
    char ev_hex[65];
    char reason[CLAVE_KBS_REASON_MAX];
};

/* The evidence checks. Returns 0 when it passed, else the status to deny with (reason set). */
static int appraise_evidence(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                             struct attest_job *j)
{
    const struct claved_kbs *k = ctx->app->kbs;
    size_t len = 0;
    const uint8_t *ev = clave_kbs_attestation_evidence(j->a, &len);
    const char *nonce = clave_kbs_attestation_nonce(j->a);
    struct clave_attest_claim rd;
    bool seen = false;
    bool is_sim = false;
    if (claved_kbs_evidence_seen(ctx->store, j->ev_hex, &seen) != CLAVE_OK || seen) {
        snprintf(j->reason, sizeof(j->reason), "replay: this evidence was presented before");
        return 401;
    }
    if (strcmp(clave_kbs_attestation_format(j->a), s->tee) != 0) {
        snprintf(j->reason, sizeof(j->reason), "tee: evidence format %s but the session is for %s",
                 clave_kbs_attestation_format(j->a), s->tee);
        return 401;
    }
    if (strlen(nonce) != strlen(s->nonce) || !clave_ct_equal(nonce, s->nonce, strlen(nonce))) {
        snprintf(j->reason, sizeof(j->reason), "nonce: stale (not this session's challenge)");
        return 401;
    }
    struct clave_attest_options o;
    uint64_t gen = 0;
    memset(&o, 0, sizeof(o));
    o.at_time = ctx->now;
    o.collateral_dir = ctx->app->cfg.kbs_collateral_dir;
    o.policy = k->policy;
    if (claved_kbs_collateral_check(ctx->app->kbs, false, NULL) != CLAVE_OK) {
        snprintf(j->reason, sizeof(j->reason), "evidence: collateral: %.150s",
                 clave_error_last().detail);
        return 401;
    }
    /* A warm cache makes a verification one ECDSA P-384 check (chains, keys, collateral). */
    o.cache = claved_kbs_cache_take(ctx->app->kbs, &gen);
    clave_status vst = clave_attest_verify(s->tee, ev, len, &o, j->report);
    claved_kbs_cache_give(ctx->app->kbs, o.cache, gen);
    if (vst != CLAVE_OK || !clave_attest_report_ok(j->report)) {
        struct clave_attest_check c = {0};
        if (clave_attest_report_first_failure(j->report, &c) != CLAVE_OK) {
            c.name = NULL;
        }
        snprintf(j->reason, sizeof(j->reason), "evidence: %.40s: %.120s",
                 c.name != NULL ? c.name : "unverifiable", c.detail != NULL ? c.detail : "");
        return 401;
    }
    /* Bytes 0..47: SHA-384 of the runtime data; 48..63: zeros or the bound contract's id. */
    const size_t hashed = CLAVE_KBS_REPORT_DATA_LEN - CLAVE_KBS_BINDING_LEN;
    if (clave_attest_report_find_claim(j->report, "report_data", &rd) != CLAVE_OK ||
        rd.len != CLAVE_KBS_REPORT_DATA_LEN ||
        !clave_ct_equal(rd.bytes, clave_kbs_attestation_report_data(j->a), hashed)) {
        snprintf(j->reason, sizeof(j->reason),
                 "binding: report data is not SHA-384 of the runtime-data");
        return 401;
    }
    if (clave_kbs_claims_from_report(j->report, ev, len, &j->claims) != CLAVE_OK) {
        snprintf(j->reason, sizeof(j->reason), "evidence: claims missing");
        return 401;
    }
    static const uint8_t ZERO[CLAVE_KBS_BINDING_LEN];
    memcpy(j->claims.contract_binding, rd.bytes + hashed, CLAVE_KBS_BINDING_LEN);
    j->claims.has_contract_binding =
        memcmp(j->claims.contract_binding, ZERO, CLAVE_KBS_BINDING_LEN) != 0; // lint:public
    is_sim = strncmp(j->claims.tee, "sim-", 4) == 0;
    if (is_sim && ctx->app->cfg.kbs_trust_sim == 0) {
        snprintf(j->reason, sizeof(j->reason), "tee: simulated evidence is not trusted here");
        return 401;
    }
    return 0;
}

/*
 * Record the attestation and its kbs.attest audit entry, then answer. SQLite (one writer at a
 * time): both in one transaction, so they commit together with one synced commit. PostgreSQL:
 * every concurrent ledger append conflicts on the ledger's next index (SERIALIZABLE), and
 * retrying the whole attestation for it doubled bench/kbs's p99; the entry follows in its own
 * transaction there, before the answer, as every other audit entry.
 */
static void attest_record(struct claved_ctx *ctx, const char *sid, struct attest_job *j,
                          const char *claims, const char *th_hex, const char *jwt)
{
    char ev[65];
    struct clave_log_field f[5];
    struct claved_kbs_attest_record r = {.sid = sid,
                                         .tee_pubkey = clave_kbs_attestation_tee_pubkey_json(j->a),
                                         .claims_json = claims,
                                         .token_sha256 = th_hex,
                                         .evidence_sha256 = j->ev_hex,
                                         .now = ctx->now,
                                         .ledger = ctx->ledger};
    bool in_tx = clave_store_backend_of(ctx->store) == CLAVE_STORE_SQLITE;
    char *audit = NULL;
    clave_status st = CLAVE_OK;
    decision_fields(ctx, j->claims.tee, j->evidence_sha256, NULL, NULL, ev, f);
    if (in_tx) {
        st = claved_audit_event(ctx, "kbs.attest", f, 5, &audit);
        r.audit = audit;
    }
    if (st == CLAVE_OK) {
        st = claved_kbs_session_attest(ctx->store, &r);
    }
    if (in_tx && (st == CLAVE_OK || r.audit_failed || audit == NULL)) {
        claved_audit_logged(ctx, "kbs.attest", f, 5, st, r.audit_index);
    }
    if (r.audit_failed || (in_tx && audit == NULL)) {
        claved_error(ctx, 503, "audit_unavailable", "the audit log could not record the action");
    } else if (st == CLAVE_ERR_EXISTS) {
        claved_kbs_deny(ctx, 401, "attestation_failed",
                        "replay: this evidence was presented before", j->evidence_sha256, NULL,
                        NULL);
    } else if (st == CLAVE_ERR_NOT_FOUND) {
        claved_kbs_deny(ctx, 401, "attestation_failed", "session: already attested or expired",
                        j->evidence_sha256, NULL, NULL);
    } else if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (in_tx || claved_audit_or_fail(ctx, "kbs.attest", f, 5)) {
        set_cookie(ctx, sid);
        claved_json(ctx, 200, json_pack("{s:s}", "token", jwt));
    }
    free(audit);
}

static void attest_finish(struct claved_ctx *ctx, const char *sid, struct attest_job *j)
{
    char *jwt = NULL;
    json_t *cj = NULL;
    char *claims = NULL;
    uint8_t th[32];
    char th_hex[65];
    clave_status st = clave_ear_issue(j->report, ctx->app->kbs->ear, "clave-kbs", ctx->now, &jwt);
    if (st == CLAVE_OK) {
        st = clave_kbs_claims_to_json(&j->claims, &cj);
    }
    if (st == CLAVE_OK && (claims = json_dumps(cj, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    if (st == CLAVE_OK) {
        st = clave_hash(CLAVE_HASH_SHA256, (const uint8_t *)jwt, strlen(jwt), th, sizeof(th));
    }
    if (st == CLAVE_OK) {
        st = clave_hex_encode(th, 32, th_hex, sizeof(th_hex));
    }
    if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else {
        attest_record(ctx, sid, j, claims, th_hex, jwt);
    }
    free(claims);
    json_decref(cj);
    free(jwt);
}

void claved_h_kbs_attest(struct claved_ctx *ctx)
{
    char sid[CLAVED_KBS_SID_LEN + 1];
    struct claved_kbs_session s;
    struct attest_job j;
    memset(&j, 0, sizeof(j));
    memset(&s, 0, sizeof(s));
    if (!load_session(ctx, sid, &s)) {
        return;
    }
    if (s.attested) {
        claved_kbs_deny(ctx, 401, "attestation_failed", "session: already attested", NULL, NULL,
                        NULL);
        goto done;
    }
    if (clave_kbs_parse_attestation((const char *)ctx->req->body, ctx->req->body_len, &j.a) !=
        CLAVE_OK) {
        claved_error(ctx, 400, "invalid_json", clave_error_last().detail);
        goto done;
    }
    size_t len = 0;
    const uint8_t *ev = clave_kbs_attestation_evidence(j.a, &len);
    if (clave_hash(CLAVE_HASH_SHA256, ev, len, j.evidence_sha256, 32) != CLAVE_OK ||
        clave_hex_encode(j.evidence_sha256, 32, j.ev_hex, sizeof(j.ev_hex)) != CLAVE_OK ||
        clave_attest_report_new(&j.report) != CLAVE_OK) {
        claved_error(ctx, 500, "internal", "internal error");
        goto done;
    }
    int status = appraise_evidence(ctx, &s, &j);
    if (status != 0) {
        claved_kbs_deny(ctx, status, "attestation_failed", j.reason, j.evidence_sha256, NULL, NULL);
        goto done;
    }
    attest_finish(ctx, sid, &j);
done:
    clave_attest_report_free(j.report);
    clave_kbs_attestation_free(j.a);
    claved_kbs_session_clear(&s);
}

/* An attested session from the cookie or from an EAR bearer token. 401 answered otherwise. */
static bool attested_session(struct claved_ctx *ctx, struct claved_kbs_session *s)
{
    char sid[CLAVED_KBS_SID_LEN + 1];
    const char *h = ctx->req->authorization;
    if (h != NULL && strncmp(h, BEARER, sizeof(BEARER) - 1) == 0) {
        const char *tok = h + sizeof(BEARER) - 1;
        size_t len = strnlen(tok, 16384);
        const char *status = NULL;
        uint8_t th[32];
        char th_hex[65];
        if (clave_ear_verify(tok, len, ctx->app->kbs->ear_pub, &status, NULL) != CLAVE_OK ||
            clave_hash(CLAVE_HASH_SHA256, (const uint8_t *)tok, len, th, 32) != CLAVE_OK ||
            clave_hex_encode(th, 32, th_hex, sizeof(th_hex)) != CLAVE_OK ||
            claved_kbs_session_by_token(ctx->store, th_hex, ctx->now, sid) != CLAVE_OK) {
            claved_error(ctx, 401, "unauthenticated", "attestation token invalid or expired");
            return false;
        }
        if (claved_kbs_session_get(ctx->store, sid, ctx->now, s) != CLAVE_OK) {
            claved_error(ctx, 401, "unauthenticated", "attestation token invalid or expired");
            return false;
        }
    } else if (!load_session(ctx, sid, s)) {
        return false;
    }
    if (!s->attested) {
        claved_kbs_session_clear(s);
        claved_error(ctx, 401, "unauthenticated", "the session has not attested");
        return false;
    }
    return true;
}

/*
 * The session's claims judged against the collateral in force now (re-read if its files
 * changed): tcb_status from kbs-tcb.json. False with `reason` when the collateral is unusable.
 */
bool claved_kbs_current_claims(struct claved_ctx *ctx, const struct clave_kbs_claims *attested,
                               struct clave_kbs_claims *now, char *detail)
{
    if (claved_kbs_collateral_check(ctx->app->kbs, false, NULL) != CLAVE_OK) {
        snprintf(detail, CLAVE_KBS_REASON_MAX, "collateral: %.150s", clave_error_last().detail);
        return false;
    }
    return claved_kbs_platform_claims(ctx->app->kbs, attested, now, detail);
}

/* One contract's verdict into reason/contract, or (dataset rule) into dataset_reason. */
static bool judge(struct claved_ctx *ctx, const struct clave_store_rows *rows, size_t i,
                  const struct clave_kbs_release *r, const char *platform, char *reason,
                  char *contract, char *dataset_reason)
{
    const char *id = NULL;
    const uint8_t *b = NULL;
    size_t n = 0;
    bool ok = false;
    char why[CLAVE_KBS_REASON_MAX];
    if (clave_store_rows_get_text(rows, i, 0, &id) != CLAVE_OK ||
        clave_store_rows_get_blob(rows, i, 1, &b, &n) != CLAVE_OK ||
        claved_kbs_contract_appraise(ctx->app->kbs, b, n, r, &ok, why) != CLAVE_OK) {
        return false;
    }
    if (!ok && strncmp(why, "tcb: status", 11) == 0 && platform[0] != '\0') {
        snprintf(why, sizeof(why), "tcb: platform %.40s per collateral (%.100s)",
                 r->claims->tcb_status, platform);
    }
    /* A contract that does not name the dataset, or that the workload is not bound to, is not
     * the one to explain a denial by. */
    if (ok || (strncmp(why, "dataset:", 8) != 0 && strncmp(why, "binding:", 8) != 0)) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "%s", ok ? "released" : why);
        snprintf(contract, 65, "%s", id);
    } else {
        snprintf(dataset_reason, CLAVE_KBS_REASON_MAX, "%s", why);
    }
    return ok;
}

/* Judge every contract of the collaboration for this dataset; the first that allows wins. */
static bool release_allowed(struct claved_ctx *ctx, const struct claved_kbs_dataset *d,
                            const struct clave_kbs_claims *attested, char *reason, char *contract)
{
    struct clave_store_rows *rows = NULL;
    bool ok = false;
    char dataset_reason[CLAVE_KBS_REASON_MAX];
    char platform[CLAVE_KBS_REASON_MAX];
    struct clave_kbs_claims claims;
    reason[0] = '\0';
    snprintf(dataset_reason, sizeof(dataset_reason), "dataset: %.64s is in no contract", d->id);
    if (!claved_kbs_current_claims(ctx, attested, &claims, platform)) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "tcb: %.180s", platform);
        return false;
    }
    if (claved_kbs_contract_bundles(ctx->store, d->collaboration, &rows) != CLAVE_OK) {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "contract: cannot be read");
        return false;
    }
    struct clave_kbs_release r = {NULL,      (uint64_t)ctx->now, d->id,
                                  d->sha256, d->region,          ctx->app->cfg.kbs_trust_sim != 0,
                                  &claims};
    for (size_t i = 0; i < clave_store_rows_count(rows) && !ok; i++) {
        ok = judge(ctx, rows, i, &r, platform, reason, contract, dataset_reason);
    }
    if (reason[0] == '\0') {
        snprintf(reason, CLAVE_KBS_REASON_MAX, "%s", dataset_reason);
    }
    clave_store_rows_free(rows);
    return ok;
}

static void release(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                    const struct claved_kbs_dataset *d, const char *resource, const char *contract)
{
    struct claved_kbs_dek *dek = NULL;
    struct clave_jwk *tee = NULL;
    char *jwe = NULL;
    clave_status st = claved_kbs_dek_get(ctx->app->kbs, d->wrapped, d->wrapped_len, &dek);
    if (st == CLAVE_OK) {
        st = clave_jwk_parse(s->tee_pubkey, strlen(s->tee_pubkey), &tee);
    }
    if (st == CLAVE_OK) {
        const char *alg = clave_jwk_type(tee) == CLAVE_JWK_RSA ? "RSA-OAEP-256" : "ECDH-ES+A256KW";
        st = clave_jwe_encrypt(tee, alg, clave_secret_cdata(dek->secret),
                               clave_secret_len(dek->secret), NULL, 0, CLAVE_JWE_FLATTENED, &jwe);
    }
    if (st != CLAVE_OK) {
        claved_kbs_deny(ctx, 500, "internal",
                        "the dataset key could not be unwrapped or re-wrapped",
                        s->claims.evidence_sha256, resource, contract);
    } else if (claved_kbs_audit(ctx, "kbs.release", "released", s->claims.evidence_sha256, resource,
                                contract)) {
        claved_text(ctx, 200, "application/json", jwe, strlen(jwe));
        jwe = NULL;
    }
    free(jwe);
    clave_jwk_free(tee);
    claved_kbs_dek_put(ctx->app->kbs, dek);
}

/* The sealed blob itself (ciphertext: useless without the key, but only for the same workloads
 * that may have the key, so a denied workload learns nothing, not even the blob's length). */
static void send_sealed(struct claved_ctx *ctx, const struct claved_kbs_session *s,
                        const struct claved_kbs_dataset *d, const char *resource,
                        const char *contract)
{
    char id[CLAVE_BLOB_ID_SIZE];
    int fd = -1;
    uint64_t len = 0;
    clave_status st = clave_hex_encode(d->sha256, 32, id, sizeof(id));
    if (st == CLAVE_OK) { /* verified, then served from the file, not from memory */
        st = clave_blob_open(ctx->app->kbs->blobs, id, CLAVED_KBS_SEALED_MAX, &fd, &len);
    }
    if (st != CLAVE_OK) {
        claved_kbs_deny(ctx, st == CLAVE_ERR_TOO_LARGE ? 413 : 500, "internal",
                        st == CLAVE_ERR_TOO_LARGE
                            ? "the sealed blob is larger than this server serves"
                            : "the sealed blob could not be read",
                        s->claims.evidence_sha256, resource, contract);
    } else if (claved_kbs_audit(ctx, "kbs.sealed", "released", s->claims.evidence_sha256, resource,
                                contract)) {
        claved_file(ctx, 200, "application/octet-stream", fd, (size_t)len);
        fd = -1;
    }
    if (fd >= 0) {
        (void)close(fd);
    }
}

void claved_h_kbs_resource(struct claved_ctx *ctx)
{
    struct claved_kbs_session s;
    struct claved_kbs_dataset d;
    char resource[200];
    char reason[CLAVE_KBS_REASON_MAX];
    char contract[65] = "";
    memset(&d, 0, sizeof(d));
    for (int i = 0; i < 3; i++) {
        if (!clave_kbs_valid_path_part(ctx->params[i])) {
            claved_error(ctx, 404, "not_found", "no such resource");
            return;
        }
    }
    if (!attested_session(ctx, &s)) {
        return;
    }
    snprintf(resource, sizeof(resource), "%s/%s/%s", ctx->params[0], ctx->params[1],
             ctx->params[2]);
    if (strcmp(ctx->params[1], "recipient") == 0) {
        claved_kbs_recipient_resource(ctx, &s, resource);
        claved_kbs_session_clear(&s);
        return;
    }
    bool sealed = strcmp(ctx->params[1], "sealed") == 0;
    clave_status st = sealed || strcmp(ctx->params[1], "dataset") == 0
                          ? claved_kbs_dataset_get(ctx->store, ctx->params[0], ctx->params[2], &d)
                          : CLAVE_ERR_NOT_FOUND;
    if (st == CLAVE_ERR_NOT_FOUND) {
        claved_kbs_deny(ctx, 404, "not_found", "no such resource", s.claims.evidence_sha256,
                        resource, NULL);
    } else if (st != CLAVE_OK) {
        claved_store_error(ctx, st);
    } else if (!release_allowed(ctx, &d, &s.claims, reason, contract)) {
        claved_kbs_deny(ctx, 403, "policy_denied", reason, s.claims.evidence_sha256, resource,
                        contract);
    } else if (sealed) {
        send_sealed(ctx, &s, &d, resource, contract);
    } else {
        release(ctx, &s, &d, resource, contract);
    }
    claved_kbs_dataset_clear(&d);
    claved_kbs_session_clear(&s);
}

void claved_h_kbs_key(struct claved_ctx *ctx)
{
    const char *pub = ctx->app->kbs->broker_public;
    char *copy = strdup(pub);
    claved_text(ctx, 200, "application/json", copy, copy != NULL ? strlen(copy) : 0);
}

void claved_h_kbs_ear_key(struct claved_ctx *ctx)
{
    uint8_t der[256];
    size_t len = 0;
    char *b64 = NULL;
    char *pem = NULL;
    if (clave_pkey_export_spki(ctx->app->kbs->ear_pub, der, sizeof(der), &len) == CLAVE_OK &&
        clave_b64_encode_alloc(CLAVE_B64_STD, der, len, &b64) == CLAVE_OK) {
        size_t n = strlen(b64) + 64;
        pem = malloc(n);
        if (pem != NULL) {
            snprintf(pem, n, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", b64);
        }
    }
    free(b64);
    if (pem == NULL) {
        claved_error(ctx, 500, "internal", "internal error");
        return;
    }
    claved_text(ctx, 200, "application/x-pem-file", pem, strlen(pem));
}

void claved_h_kbs_policy(struct claved_ctx *ctx)
{
    const struct claved_config *c = &ctx->app->cfg;
    claved_json(
        ctx, 200,
        json_pack("{s:s,s:b,s:s,s:I,s:I,s:I,s:s,s:[s,s,s,s,s,s,s]}", "broker_kid",
                  ctx->app->kbs->broker_kid, "trust_sim", c->kbs_trust_sim != 0, "attest_policy",
                  c->kbs_attest_policy, "session_ttl_s", (json_int_t)c->kbs_session_ttl_s,
                  "max_sessions", (json_int_t)c->kbs_max_sessions, "auth_rate_per_ip",
                  (json_int_t)c->kbs_auth_rate, "protocol", CLAVE_KBS_VERSION, "release_rules",
                  "contract active (all approvals, not revoked, not expired)",
                  "dataset (id and SHA-256) named by the contract",
                  "sim-* evidence only with kbs_trust_sim = 1",
                  "not debug unless the contract allows it",
                  "reference values match a workload of the contract",
                  "TCB at least the workload's minimum / status accepted",
                  "dataset region allowed by the contract"));
}

void claved_h_kbs_collateral_refresh(struct claved_ctx *ctx)
{
    uint64_t gen = 0;
    if (ctx->who.role != CLAVED_ROLE_ADMIN) {
        claved_error(ctx, 403, "forbidden", "only an admin refreshes the collateral");
        return;
    }
    if (claved_kbs_collateral_check(ctx->app->kbs, true, &gen) != CLAVE_OK) {
        claved_error(ctx, 500, "collateral", clave_error_last().detail);
        return;
    }
    json_t *j = claved_kbs_collateral_json(ctx->app->kbs);
    const char *err = json_string_value(json_object_get(j, "error"));
    char g[24];
    snprintf(g, sizeof(g), "%llu", (unsigned long long)gen);
    struct clave_log_field f[] = {{"generation", g}, {"error", err != NULL ? err : ""}};
    if (!claved_audit_or_fail(ctx, "kbs.collateral.refresh", f, 2)) {
        json_decref(j);
        return;
    }
    claved_json(ctx, 200, j);
}
