/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SGX extension of Intel PCK certificates ("Intel SGX PCK Certificate and Certificate
 * Revocation List Profile Specification", section 1.3.5), read by a bounded DER walk:
 *
 *   SGXExtensions ::= SEQUENCE OF SEQUENCE { sgxExtensionId OBJECT IDENTIFIER, value ANY }
 *     .1 PPID OCTET STRING (16)
 *     .2 TCB  SEQUENCE OF SEQUENCE { OID .2.1 … .2.16 INTEGER (component SVN),
 *                                    OID .2.17 INTEGER (PCESVN), OID .2.18 OCTET STRING (CPUSVN) }
 *     .3 PCE-ID OCTET STRING (2)
 *     .4 FMSPC OCTET STRING (6)
 *     .5 SGX Type ENUMERATED, and for Platform CA certificates .6 / .7 (ignored)
 * with every OID under 1.2.840.113741.1.13.1. Only single-byte tags and definite lengths of
 * at most four bytes occur in DER of this size.
 */
#include "attest/dcap_pck.h"

#include "core/check.h"

#include <clave/buf.h>
#include <string.h>

#define DER_INTEGER 0x02
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_SEQUENCE 0x30
#define SGX_EXT_OID "1.2.840.113741.1.13.1"
/* DER body of the OID 1.2.840.113741.1.13.1. */
static const uint8_t sgx_oid_prefix[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* One TLV: tag byte, DER length, then a view of the value. */
static clave_status der_tlv(struct clave_reader *r, uint8_t want_tag, struct clave_reader *value)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t tag = 0;
    uint8_t first = 0;
    size_t len = 0;
    CLAVE_CHECK(clave_reader_u8(r, &tag));
    CLAVE_ENSURE(tag == want_tag, CLAVE_ERR_FORMAT, "DER tag %#x, expected %#x", tag, want_tag);
    CLAVE_CHECK(clave_reader_u8(r, &first));
    if (first < 0x80) {
        len = first;
    } else {
        size_t n = first & 0x7fu;
        CLAVE_ENSURE(n >= 1 && n <= 4, CLAVE_ERR_FORMAT, "DER length of %zu bytes", n);
        for (size_t i = 0; i < n; i++) {
            uint8_t b = 0;
            CLAVE_CHECK(clave_reader_u8(r, &b));
            CLAVE_ENSURE(i > 0 || b != 0, CLAVE_ERR_FORMAT, "non-minimal DER length");
            len = (len << 8) | b;
        }
        CLAVE_ENSURE(len >= 0x80, CLAVE_ERR_FORMAT, "non-minimal DER length");
    }
    CLAVE_CHECK(clave_reader_sub(r, len, value));
    st = CLAVE_OK;
done:
    return st;
}

/* The arc after 1.2.840.113741.1.13.1: `depth` further single-byte arcs into `arcs`. */
static bool sgx_arc(const struct clave_reader *oid, size_t depth, uint8_t arcs[2])
{
    size_t n = sizeof(sgx_oid_prefix);
    if (oid->len != n + depth || memcmp(oid->data, sgx_oid_prefix, n) != 0) { // lint:public
        return false;
    }
    for (size_t i = 0; i < depth; i++) {
        if (oid->data[n + i] >= 0x80) {
            return false;
        }
        arcs[i] = oid->data[n + i];
    }
    return true;
}

/* A non-negative INTEGER of at most `max`. */
static clave_status der_uint(struct clave_reader *r, uint32_t max, uint32_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader v;
    uint32_t value = 0;
    CLAVE_CHECK(der_tlv(r, DER_INTEGER, &v));
    CLAVE_ENSURE(v.len >= 1 && v.len <= 3 && (v.data[0] & 0x80u) == 0, CLAVE_ERR_FORMAT,
                 "SGX TCB component is not a small non-negative INTEGER");
    for (size_t i = 0; i < v.len; i++) {
        value = (value << 8) | v.data[i];
    }
    CLAVE_ENSURE(value <= max, CLAVE_ERR_FORMAT, "SGX TCB value %u above %u", value, max);
    *out = value;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status octets(struct clave_reader *r, uint8_t *out, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader v;
    CLAVE_CHECK(der_tlv(r, DER_OCTET_STRING, &v));
    CLAVE_ENSURE(v.len == len, CLAVE_ERR_FORMAT, "OCTET STRING of %zu bytes, expected %zu", v.len,
                 len);
    CLAVE_CHECK(clave_reader_bytes(&v, out, len));
    st = CLAVE_OK;
done:
    return st;
}

/* TCB: components .2.1-.2.16 and PCESVN .2.17 are required; .2.18 (CPUSVN) is ignored. */
static clave_status parse_tcb(struct clave_reader *r, struct dcap_pck_ext *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader seq;
    uint32_t seen = 0;
    CLAVE_CHECK(der_tlv(r, DER_SEQUENCE, &seq));
    while (clave_reader_remaining(&seq) > 0) {
        struct clave_reader pair;
        struct clave_reader oid;
        uint8_t arcs[2] = {0, 0};
        uint32_t v = 0;
        CLAVE_CHECK(der_tlv(&seq, DER_SEQUENCE, &pair));
        CLAVE_CHECK(der_tlv(&pair, DER_OID, &oid));
        CLAVE_ENSURE(sgx_arc(&oid, 2, arcs) && arcs[0] == 2, CLAVE_ERR_FORMAT,
                     "unexpected OID in the SGX TCB sequence");
        if (arcs[1] >= 1 && arcs[1] <= 17) {
            CLAVE_ENSURE((seen & (1u << arcs[1])) == 0, CLAVE_ERR_FORMAT, "TCB .2.%u twice",
                         arcs[1]);
            seen |= 1u << arcs[1];
            CLAVE_CHECK(der_uint(&pair, arcs[1] == 17 ? 0xffffu : 0xffu, &v));
            if (arcs[1] == 17) {
                out->pcesvn = (uint16_t)v;
            } else {
                out->cpusvn[arcs[1] - 1] = (uint8_t)v;
            }
        }
    }
    CLAVE_ENSURE(seen == 0x3fffeu, CLAVE_ERR_FORMAT, "SGX TCB extension lacks components");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__dcap_pck_ext_parse(const uint8_t *der, size_t len, struct dcap_pck_ext *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    struct clave_reader top;
    struct dcap_pck_ext ext;
    unsigned seen = 0;
    memset(out, 0, sizeof(*out));
    memset(&ext, 0, sizeof(ext));
    clave_reader_init(&r, der, len);
    CLAVE_CHECK(der_tlv(&r, DER_SEQUENCE, &top));
    CLAVE_CHECK(clave_reader_expect_end(&r));
    while (clave_reader_remaining(&top) > 0) {
        struct clave_reader pair;
        struct clave_reader oid;
        uint8_t arcs[2] = {0, 0};
        CLAVE_CHECK(der_tlv(&top, DER_SEQUENCE, &pair));
        CLAVE_CHECK(der_tlv(&pair, DER_OID, &oid));
        CLAVE_ENSURE(sgx_arc(&oid, 1, arcs), CLAVE_ERR_FORMAT, "unexpected OID in SGX extension");
        CLAVE_ENSURE(arcs[0] >= 8 || (seen & (1u << arcs[0])) == 0, CLAVE_ERR_FORMAT,
                     "SGX extension .%u twice", arcs[0]);
        seen |= arcs[0] < 8 ? 1u << arcs[0] : 0;
        if (arcs[0] == 2) {
            CLAVE_CHECK(parse_tcb(&pair, &ext));
        } else if (arcs[0] == 3) {
            CLAVE_CHECK(octets(&pair, ext.pceid, DCAP_PCEID_LEN));
        } else if (arcs[0] == 4) {
            CLAVE_CHECK(octets(&pair, ext.fmspc, DCAP_FMSPC_LEN));
        }
    }
    CLAVE_ENSURE((seen & 0x1cu) == 0x1cu, CLAVE_ERR_FORMAT,
                 "SGX extension lacks TCB, PCE-ID or FMSPC");
    *out = ext;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__dcap_pck_ext(const struct clave_x509 *cert, struct dcap_pck_ext *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *value = NULL;
    size_t value_len = 0;
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK_CTX(clave_x509_extension(cert, SGX_EXT_OID, &value, &value_len, NULL),
                    "PCK certificate SGX extension: ");
    CLAVE_CHECK_CTX(clave__dcap_pck_ext_parse(value, value_len, out),
                    "PCK certificate SGX extension: ");
    st = CLAVE_OK;
done:
    return st;
}
