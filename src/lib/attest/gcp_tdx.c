/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GCP confidential VMs on TDX: a TD quote plus the CCEL event log, replayed into the RTMRs.
 *
 * CCEL ACPI table (ACPI 6.5, 5.2.34; 56 bytes): ACPI header (36 B, signature "CCEL") | CC type u8
 * | CC subtype u8 | reserved u16 | LAML u64 (log area length) | LASA u64 (log area address).
 * The log is a TCG2 crypto-agile event log ("TCG PC Client Platform Firmware Profile", 10.2;
 * little-endian):
 *   first event TCG_PCClientPCREvent: MRIndex u32 | eventType u32 (EV_NO_ACTION 3) |
 *             digest[20] | eventSize u32 | event ("Spec ID Event03" header, algorithm list)
 *   then TCG_PCR_EVENT2: MRIndex u32 | eventType u32 | digests TPML_DIGEST_VALUES (count u32,
 *             {algId u16, digest[size of algId]}) | eventSize u32 | event[eventSize]
 * The unused log area is filled with 0xFF (or zeros): an MRIndex of 0xFFFFFFFF or an event
 * type of 0 ends the log. For TDX, MRIndex 1..4 extend RTMR0..3 (UEFI spec 2.10, "CC
 * Measurement"): RTMR = SHA-384(RTMR || digest), starting from zero; EV_NO_ACTION is not
 * extended.
 */
#include "attest/gcp_tdx.h"

#include "attest/dcap_quote.h"
#include "core/check.h"

#include <clave/buf.h>
#include <clave/crypto.h>
#include <stdlib.h>
#include <string.h>

#define CCEL_TABLE_LEN 56
#define TCG_ALG_SHA1 0x0004
#define TCG_ALG_SHA256 0x000b
#define TCG_ALG_SHA384 0x000c
#define TCG_ALG_SHA512 0x000d
#define EV_NO_ACTION 0x00000003u
#define TCG_MAX_DIGESTS 8
#define TCG_MAX_EVENT_LEN (1024u * 1024u)
#define TCG_MAX_EVENTS 4096

static size_t digest_size(uint16_t alg)
{
    switch (alg) {
    case TCG_ALG_SHA1:
        return 20;
    case TCG_ALG_SHA256:
        return 32;
    case TCG_ALG_SHA384:
        return 48;
    case TCG_ALG_SHA512:
        return 64;
    default:
        return 0;
    }
}

static clave_status extend(uint8_t rtmr[CLAVE_SHA384_LEN], const uint8_t *digest)
{
    uint8_t buf[2 * CLAVE_SHA384_LEN];
    memcpy(buf, rtmr, CLAVE_SHA384_LEN);
    memcpy(buf + CLAVE_SHA384_LEN, digest, CLAVE_SHA384_LEN);
    return clave_hash(CLAVE_HASH_SHA384, buf, sizeof(buf), rtmr, CLAVE_SHA384_LEN);
}

/* One TCG_PCR_EVENT2; `*end` when the padding starts. */
static clave_status replay_event(struct clave_reader *r, struct ccel_replay *out, bool *end)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint32_t mr = 0, type = 0, count = 0;
    const uint8_t *sha384 = NULL;
    const uint8_t *event = NULL;
    size_t event_len = 0;
    *end = clave_reader_remaining(r) < 8;
    if (*end) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave_reader_u32le(r, &mr));
    CLAVE_CHECK(clave_reader_u32le(r, &type));
    *end = mr == 0xffffffffu || type == 0 || type == 0xffffffffu;
    if (*end) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave_reader_u32le(r, &count));
    CLAVE_ENSURE(count >= 1 && count <= TCG_MAX_DIGESTS, CLAVE_ERR_FORMAT,
                 "event log: %u digests in event %zu", count, out->event_count);
    for (uint32_t i = 0; i < count; i++) {
        uint16_t alg = 0;
        const uint8_t *d = NULL;
        CLAVE_CHECK(clave_reader_u16le(r, &alg));
        CLAVE_ENSURE(digest_size(alg) > 0, CLAVE_ERR_UNSUPPORTED, "event log: algorithm %#x", alg);
        CLAVE_CHECK(clave_reader_view(r, digest_size(alg), &d));
        sha384 = alg == TCG_ALG_SHA384 ? d : sha384;
    }
    CLAVE_CHECK(
        clave_reader_lenprefixed(r, CLAVE_LEN_U32LE, TCG_MAX_EVENT_LEN, &event, &event_len));
    CLAVE_ENSURE(mr <= 4, CLAVE_ERR_FORMAT, "event log: MR index %u", mr);
    if (type != EV_NO_ACTION && mr >= 1) {
        CLAVE_ENSURE(sha384 != NULL, CLAVE_ERR_FORMAT, "event log: event without SHA-384");
        CLAVE_CHECK(extend(out->rtmr[mr - 1], sha384));
    }
    out->event_count++;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ccel_replay(const uint8_t *log, size_t len, struct ccel_replay *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    const uint8_t *ignored = NULL;
    size_t ignored_len = 0;
    bool end = false;
    memset(out, 0, sizeof(*out));
    clave_reader_init(&r, log, len);
    /* Spec ID event: SHA-1 format header, then its event data. */
    CLAVE_CHECK(clave_reader_skip(&r, 8 + 20));
    CLAVE_CHECK(clave_reader_lenprefixed(&r, CLAVE_LEN_U32LE, 4096, &ignored, &ignored_len));
    CLAVE_ENSURE(ignored_len >= 16 && memcmp(ignored, "Spec ID Event03", 16) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "event log: no Spec ID Event03 header");
    while (!end) {
        CLAVE_ENSURE(out->event_count < TCG_MAX_EVENTS, CLAVE_ERR_LIMIT, "event log: too long");
        CLAVE_CHECK(replay_event(&r, out, &end));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status rtmr_compare(const struct ccel_replay *replay, const struct dcap_quote *q,
                                 struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t i = 0; i < 4; i++) {
        CLAVE_ENSURE(memcmp(replay->rtmr[i], q->td.rtmr[i], CLAVE_SHA384_LEN) == 0, // lint:public
                     CLAVE_ERR_SIGNATURE, "RTMR%zu of the quote differs from the event log replay",
                     i);
    }
    CLAVE_CHECK(clave_attest_claim_int(report, "gcp.event_count", (int64_t)replay->event_count));
    st = CLAVE_OK;
done:
    return st;
}

static void step(struct clave_attest_report *report, const char *name, clave_status st,
                 const char *pass, clave_status *first)
{
    bool ok = st == CLAVE_OK;
    *first = !ok && *first == CLAVE_OK ? st : *first;
    if (clave_attest_report_check(report, name, ok, "%s", ok ? pass : clave_error_last().detail) !=
        CLAVE_OK) {
        *first = *first == CLAVE_OK ? CLAVE_ERR_LIMIT : *first;
    }
}

clave_status clave_gcp_tdx_verify(const uint8_t *quote, size_t quote_len,
                                  const struct clave_dcap_collateral *collateral, int64_t at_time,
                                  const uint8_t *ccel_log, size_t log_len, const uint8_t *nonce,
                                  size_t nonce_len, struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    clave_status first = CLAVE_OK;
    struct dcap_quote q;
    struct ccel_replay *replay = NULL;
    CLAVE_ENSURE(nonce_len <= DCAP_REPORT_DATA_LEN, CLAVE_ERR_ARG, "gcp: nonce over 64 bytes");
    first = clave_dcap_verify(quote, quote_len, collateral, at_time, report);
    CLAVE_CHECK(clave__dcap_quote_parse(quote, quote_len, &q));
    CLAVE_ENSURE(q.tee_type == DCAP_TEE_TDX, CLAVE_ERR_FORMAT, "gcp: not a TD quote");
    CLAVE_CHECK(clave_attest_claim_string(report, "tee", "gcp-tdx"));
    st = clave_ct_equal(q.td.report_data, nonce, nonce_len) ? CLAVE_OK : CLAVE_ERR_AUTH;
    if (st != CLAVE_OK) {
        clave__error_set(st, __FILE__, __LINE__, "gcp: REPORTDATA does not start with the nonce");
    }
    step(report, "gcp.nonce", st, "REPORTDATA binds the nonce", &first);
    replay = calloc(1, sizeof(*replay));
    CLAVE_ENSURE_ALLOC(replay);
    st = clave_ccel_replay(ccel_log, log_len, replay);
    step(report, "gcp.event_log", st, "CCEL event log parsed", &first);
    if (st == CLAVE_OK) {
        step(report, "gcp.rtmr_replay", rtmr_compare(replay, &q, report),
             "RTMR0-3 equal the replayed event log", &first);
    }
    CLAVE_ENSURE(first == CLAVE_OK, first, "gcp tdx: a check failed (see the report)");
    st = CLAVE_OK;
done:
    free(replay);
    return st;
}
