/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control frames of the attested aggregator (docs/formats/fl.md "Control frames"): HELLO, the
 * first frame on a client's link (the contract the aggregator serves, the client's id and a fresh
 * challenge for the client's JOIN, join.c), and END, the last (rounds run and why training
 * ended). Both are read from untrusted bytes by the client; a frame is rejected as a whole.
 */
#include "core/check.h"
#include "fl_internal.h"

#include <clave/buf.h>
#include <clave/fl.h>
#include <string.h>

#define CONTROL_MAGIC "CLFA"
#define CONTROL_MAGIC_LEN 4

_Static_assert(CLAVE_FL_HELLO_LEN == 8 + CLAVE_FL_CONTRACT_ID_LEN + 12 + CLAVE_FL_CHALLENGE_LEN,
               "HELLO layout");
_Static_assert(CLAVE_FL_END_LEN == 8 + 8, "END layout");

clave_status fl__control_write_head(struct clave_writer *w, uint8_t type)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_writer_bytes(w, (const uint8_t *)CONTROL_MAGIC, CONTROL_MAGIC_LEN));
    CLAVE_CHECK(clave_writer_u8(w, CLAVE_FL_CONTROL_VERSION));
    CLAVE_CHECK(clave_writer_u8(w, type));
    CLAVE_CHECK(clave_writer_u16le(w, 0));
    st = CLAVE_OK;
done:
    return st;
}

/* 0 magic "CLFA", 4 version u8 (2), 5 type u8, 6 reserved u16 (0). */
clave_status fl__control_read_head(struct clave_reader *r, uint8_t want)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t magic[CONTROL_MAGIC_LEN], version = 0, type = 0;
    CLAVE_CHECK(clave_reader_bytes(r, magic, sizeof(magic)));
    CLAVE_ENSURE(memcmp(magic, CONTROL_MAGIC, CONTROL_MAGIC_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "fl control: bad magic");
    CLAVE_CHECK(clave_reader_u8(r, &version));
    CLAVE_ENSURE(version == CLAVE_FL_CONTROL_VERSION, CLAVE_ERR_UNSUPPORTED,
                 "fl control: version %u", version);
    CLAVE_CHECK(clave_reader_u8(r, &type));
    CLAVE_ENSURE(type == want, CLAVE_ERR_FORMAT, "fl control: type %u, expected %u", type, want);
    CLAVE_CHECK_CTX(clave_reader_zeros(r, 2), "fl control: reserved: ");
    st = CLAVE_OK;
done:
    return st;
}

bool clave_fl_is_control(const uint8_t *msg, size_t len)
{
    return msg != NULL && len >= CONTROL_MAGIC_LEN &&
           memcmp(msg, CONTROL_MAGIC, CONTROL_MAGIC_LEN) == 0; // lint:public
}

clave_status clave_fl_hello_encode(const struct clave_fl_hello *h, uint8_t out[CLAVE_FL_HELLO_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    CLAVE_ENSURE(h != NULL && out != NULL, CLAVE_ERR_ARG, "fl control: NULL argument");
    CLAVE_ENSURE(h->clients >= 1 && h->clients <= CLAVE_FL_MAX_CLIENTS && h->client >= 1 &&
                     h->client <= h->clients && h->rounds >= 1,
                 CLAVE_ERR_ARG, "fl control: client %u of %u, %u rounds", h->client, h->clients,
                 h->rounds);
    clave_writer_init(&w, out, CLAVE_FL_HELLO_LEN);
    CLAVE_CHECK(fl__control_write_head(&w, FL_CONTROL_HELLO));
    CLAVE_CHECK(clave_writer_bytes(&w, h->contract_id, CLAVE_FL_CONTRACT_ID_LEN));
    CLAVE_CHECK(clave_writer_u32le(&w, h->client));
    CLAVE_CHECK(clave_writer_u32le(&w, h->clients));
    CLAVE_CHECK(clave_writer_u32le(&w, h->rounds));
    CLAVE_CHECK(clave_writer_bytes(&w, h->challenge, CLAVE_FL_CHALLENGE_LEN));
    st = CLAVE_OK;
done:
    return st;
}

/* HELLO: head, 8 contract id [32], 40 client u32le, 44 clients u32le, 48 rounds u32le,
 * 52 challenge [32]. */
clave_status clave_fl_hello_parse(const uint8_t *msg, size_t len, struct clave_fl_hello *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    struct clave_fl_hello h;
    CLAVE_ENSURE(msg != NULL && out != NULL, CLAVE_ERR_ARG, "fl control: NULL argument");
    memset(out, 0, sizeof(*out));
    clave_reader_init(&r, msg, len);
    CLAVE_CHECK(fl__control_read_head(&r, FL_CONTROL_HELLO));
    CLAVE_CHECK(clave_reader_bytes(&r, h.contract_id, CLAVE_FL_CONTRACT_ID_LEN));
    CLAVE_CHECK(clave_reader_u32le(&r, &h.client));
    CLAVE_CHECK(clave_reader_u32le(&r, &h.clients));
    CLAVE_CHECK(clave_reader_u32le(&r, &h.rounds));
    CLAVE_CHECK(clave_reader_bytes(&r, h.challenge, CLAVE_FL_CHALLENGE_LEN));
    CLAVE_CHECK(clave_reader_expect_end(&r));
    CLAVE_ENSURE(h.clients >= 1 && h.clients <= CLAVE_FL_MAX_CLIENTS, CLAVE_ERR_FORMAT,
                 "fl control: %u clients", h.clients);
    CLAVE_ENSURE(h.client >= 1 && h.client <= h.clients, CLAVE_ERR_FORMAT,
                 "fl control: client %u of %u", h.client, h.clients);
    CLAVE_ENSURE(h.rounds >= 1, CLAVE_ERR_FORMAT, "fl control: 0 rounds");
    *out = h;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_fl_end_encode(uint32_t rounds, clave_fl_end_reason reason,
                                 uint8_t out[CLAVE_FL_END_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    CLAVE_ENSURE(out != NULL && reason <= CLAVE_FL_END_FAILED, CLAVE_ERR_ARG,
                 "fl control: bad END");
    clave_writer_init(&w, out, CLAVE_FL_END_LEN);
    CLAVE_CHECK(fl__control_write_head(&w, FL_CONTROL_END));
    CLAVE_CHECK(clave_writer_u32le(&w, rounds));
    CLAVE_CHECK(clave_writer_u32le(&w, (uint32_t)reason));
    st = CLAVE_OK;
done:
    return st;
}

/* END: head, 8 rounds u32le, 12 reason u32le (0 done, 1 budget spent, 2 failed). */
clave_status clave_fl_end_parse(const uint8_t *msg, size_t len, uint32_t *rounds,
                                clave_fl_end_reason *reason)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    uint32_t n = 0, why = 0;
    CLAVE_ENSURE(msg != NULL && rounds != NULL && reason != NULL, CLAVE_ERR_ARG,
                 "fl control: NULL argument");
    *rounds = 0;
    *reason = CLAVE_FL_END_FAILED;
    clave_reader_init(&r, msg, len);
    CLAVE_CHECK(fl__control_read_head(&r, FL_CONTROL_END));
    CLAVE_CHECK(clave_reader_u32le(&r, &n));
    CLAVE_CHECK(clave_reader_u32le(&r, &why));
    CLAVE_CHECK(clave_reader_expect_end(&r));
    CLAVE_ENSURE(why <= CLAVE_FL_END_FAILED, CLAVE_ERR_FORMAT, "fl control: END reason %u", why);
    *rounds = n;
    *reason = (clave_fl_end_reason)why;
    st = CLAVE_OK;
done:
    return st;
}
