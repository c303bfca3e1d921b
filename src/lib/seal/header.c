/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed header: build and parse. Layout (big-endian; docs/formats/sealed.md):
 *
 *   off  len  field
 *     0    8  magic "CLAVSEAL"
 *     8    2  version (1)
 *    10    2  algorithm (1 = AES-256-GCM chunks, HKDF-SHA256 subkeys, HMAC-SHA256 header tag)
 *    12    4  header_len: bytes from offset 0 to the end of the header tag (<= 64 KiB)
 *    16    4  chunk_size (1 KiB .. 16 MiB)
 *    20   16  file_id
 *    36   16  dek_id
 *    52    1  recipient_count (1..16)
 *    53       recipient entries, each:
 *               1  wrap kind (1 = KEK, 2 = JWE)
 *               1  key_id_len (1..63), then key_id (printable ASCII)
 *               2  wrapped_len (1..4096), then wrapped DEK
 *   end-32 32 header tag: HMAC-SHA256(header key, bytes [0, header_len - 32))
 */
#include "seal/header.h"
#include "seal/stream.h"

#include "core/check.h"

#include <clave/buf.h>
#include <clave/encoding.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

clave_status clave__seal_check_chunk_size(size_t chunk_size)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(chunk_size >= CLAVE_SEAL_CHUNK_MIN && chunk_size <= CLAVE_SEAL_CHUNK_MAX,
                 CLAVE_ERR_FORMAT, "seal: chunk size %zu outside %d..%d", chunk_size,
                 CLAVE_SEAL_CHUNK_MIN, CLAVE_SEAL_CHUNK_MAX);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_key_id(const char *id, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(len >= 1 && len <= CLAVE_SEAL_KEY_ID_MAX, CLAVE_ERR_FORMAT,
                 "seal: key id length %zu outside 1..%d", len, CLAVE_SEAL_KEY_ID_MAX);
    for (size_t i = 0; i < len; i++) {
        CLAVE_ENSURE(id[i] > 0x20 && id[i] < 0x7f, CLAVE_ERR_FORMAT,
                     "seal: key id byte %zu is not printable ASCII", i);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_recipient(const struct clave_seal_recipient *r, size_t index)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(r->wrap == CLAVE_SEAL_WRAP_KEK || r->wrap == CLAVE_SEAL_WRAP_JWE, CLAVE_ERR_FORMAT,
                 "seal: recipient %zu: unknown wrap kind %d", index, (int)r->wrap);
    CLAVE_ENSURE(r->key_id != NULL, CLAVE_ERR_ARG, "seal: recipient %zu: no key id", index);
    CLAVE_CHECK_CTX(check_key_id(r->key_id, strlen(r->key_id)), "recipient %zu", index);
    CLAVE_ENSURE(r->wrapped_len >= 1 && r->wrapped_len <= CLAVE_SEAL_WRAPPED_MAX, CLAVE_ERR_FORMAT,
                 "seal: recipient %zu: wrapped key length %zu outside 1..%d", index, r->wrapped_len,
                 CLAVE_SEAL_WRAPPED_MAX);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__seal_header_build(uint32_t chunk_size, const uint8_t file_id[CLAVE_SEAL_ID_LEN],
                                      const uint8_t dek_id[CLAVE_SEAL_ID_LEN],
                                      const struct clave_seal_recipient *recipients,
                                      size_t recipient_count, uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *buf = NULL;
    struct clave_writer w;
    size_t total = SEAL_FIXED_LEN + CLAVE_SEAL_HEADER_TAG_LEN;
    *out = NULL;
    *len = 0;
    CLAVE_CHECK(clave__seal_check_chunk_size(chunk_size));
    CLAVE_ENSURE(recipient_count >= 1 && recipient_count <= CLAVE_SEAL_RECIPIENTS_MAX,
                 CLAVE_ERR_ARG, "seal: %zu recipients, need 1..%d", recipient_count,
                 CLAVE_SEAL_RECIPIENTS_MAX);
    for (size_t i = 0; i < recipient_count; i++) {
        CLAVE_CHECK(check_recipient(&recipients[i], i));
        total += 1 + 1 + strlen(recipients[i].key_id) + 2 + recipients[i].wrapped_len;
    }
    CLAVE_ENSURE(total <= CLAVE_SEAL_HEADER_MAX, CLAVE_ERR_TOO_LARGE,
                 "seal: header of %zu bytes exceeds %d", total, CLAVE_SEAL_HEADER_MAX);
    buf = calloc(1, total);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, total);
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)CLAVE_SEAL_MAGIC, CLAVE_SEAL_MAGIC_LEN));
    CLAVE_CHECK(clave_writer_u16be(&w, CLAVE_SEAL_VERSION));
    CLAVE_CHECK(clave_writer_u16be(&w, CLAVE_SEAL_ALG_AES256GCM_HKDF_SHA256));
    CLAVE_CHECK(clave_writer_u32be(&w, (uint32_t)total));
    CLAVE_CHECK(clave_writer_u32be(&w, chunk_size));
    CLAVE_CHECK(clave_writer_bytes(&w, file_id, CLAVE_SEAL_ID_LEN));
    CLAVE_CHECK(clave_writer_bytes(&w, dek_id, CLAVE_SEAL_ID_LEN));
    CLAVE_CHECK(clave_writer_u8(&w, (uint8_t)recipient_count));
    for (size_t i = 0; i < recipient_count; i++) {
        const struct clave_seal_recipient *r = &recipients[i];
        CLAVE_CHECK(clave_writer_u8(&w, (uint8_t)r->wrap));
        CLAVE_CHECK(clave_writer_lenprefixed(&w, CLAVE_LEN_U8, CLAVE_SEAL_KEY_ID_MAX,
                                             (const uint8_t *)r->key_id, strlen(r->key_id)));
        CLAVE_CHECK(clave_writer_lenprefixed(&w, CLAVE_LEN_U16BE, CLAVE_SEAL_WRAPPED_MAX,
                                             r->wrapped, r->wrapped_len));
    }
    /* The tag stays zero here; the stream fills it in once the header key is derived. */
    CLAVE_ENSURE(w.len + CLAVE_SEAL_HEADER_TAG_LEN == total, CLAVE_ERR_INTERNAL,
                 "seal: header size mismatch");
    *out = buf;
    *len = total;
    buf = NULL;
    st = CLAVE_OK;
done:
    free(buf);
    return st;
}

/* Read one recipient entry into `e` (wrapped bytes copied). */
static clave_status parse_entry(struct clave_reader *r, size_t index, struct seal_entry *e)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t wrap = 0;
    const uint8_t *id = NULL;
    const uint8_t *wrapped = NULL;
    size_t id_len = 0;
    size_t wrapped_len = 0;
    CLAVE_CHECK_CTX(clave_reader_u8(r, &wrap), "seal header: recipient %zu: wrap kind", index);
    CLAVE_ENSURE(wrap == CLAVE_SEAL_WRAP_KEK || wrap == CLAVE_SEAL_WRAP_JWE, CLAVE_ERR_FORMAT,
                 "seal header: recipient %zu: unknown wrap kind %u", index, wrap);
    CLAVE_CHECK_CTX(clave_reader_lenprefixed(r, CLAVE_LEN_U8, CLAVE_SEAL_KEY_ID_MAX, &id, &id_len),
                    "seal header: recipient %zu: key id", index);
    CLAVE_CHECK_CTX(check_key_id((const char *)id, id_len), "seal header: recipient %zu", index);
    CLAVE_CHECK_CTX(clave_reader_lenprefixed(r, CLAVE_LEN_U16BE, CLAVE_SEAL_WRAPPED_MAX, &wrapped,
                                             &wrapped_len),
                    "seal header: recipient %zu: wrapped key", index);
    CLAVE_ENSURE(wrapped_len > 0, CLAVE_ERR_FORMAT, "seal header: recipient %zu: empty wrapped key",
                 index);
    e->wrap = (enum clave_seal_wrap)wrap;
    memcpy(e->key_id, id, id_len);
    e->key_id[id_len] = '\0';
    e->wrapped = malloc(wrapped_len);
    CLAVE_ENSURE_ALLOC(e->wrapped);
    memcpy(e->wrapped, wrapped, wrapped_len);
    e->wrapped_len = wrapped_len;
    st = CLAVE_OK;
done:
    return st;
}

/* Parse the fields of a complete header held in `raw` (exactly header_len bytes). */
static clave_status parse_fields(struct clave_seal_header *h)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    uint8_t count = 0;
    clave_reader_init(&r, h->raw, h->raw_len - CLAVE_SEAL_HEADER_TAG_LEN);
    CLAVE_CHECK(clave_reader_skip(&r, CLAVE_SEAL_MAGIC_LEN + 2 + 2 + 4 + 4));
    CLAVE_CHECK(clave_reader_bytes(&r, h->file_id, CLAVE_SEAL_ID_LEN));
    CLAVE_CHECK(clave_reader_bytes(&r, h->dek_id, CLAVE_SEAL_ID_LEN));
    CLAVE_CHECK_CTX(clave_reader_u8(&r, &count), "seal header: recipient count");
    CLAVE_ENSURE(count >= 1 && count <= CLAVE_SEAL_RECIPIENTS_MAX, CLAVE_ERR_FORMAT,
                 "seal header: recipient count %u outside 1..%d", count, CLAVE_SEAL_RECIPIENTS_MAX);
    for (size_t i = 0; i < count; i++) {
        CLAVE_CHECK(parse_entry(&r, i, &h->recipients[i]));
        h->recipient_count = i + 1;
    }
    CLAVE_CHECK_CTX(clave_reader_expect_end(&r), "seal header: after recipients");
    st = CLAVE_OK;
done:
    return st;
}

/* Read the 16-byte prefix and check magic, version, algorithm, lengths. */
static clave_status parse_prefix(const uint8_t *buf, size_t len, struct clave_seal_header *h)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    const uint8_t *magic = NULL;
    clave_reader_init(&r, buf, len);
    CLAVE_CHECK_CTX(clave_reader_view(&r, CLAVE_SEAL_MAGIC_LEN, &magic), "seal header: magic");
    CLAVE_ENSURE(memcmp(magic, CLAVE_SEAL_MAGIC, CLAVE_SEAL_MAGIC_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "seal header: bad magic (not a clave sealed file)");
    CLAVE_CHECK_CTX(clave_reader_u16be(&r, &h->version), "seal header: version");
    CLAVE_ENSURE(h->version == CLAVE_SEAL_VERSION, CLAVE_ERR_UNSUPPORTED,
                 "seal header: version %u (this build reads %d)", h->version, CLAVE_SEAL_VERSION);
    CLAVE_CHECK_CTX(clave_reader_u16be(&r, &h->algorithm), "seal header: algorithm");
    CLAVE_ENSURE(h->algorithm == CLAVE_SEAL_ALG_AES256GCM_HKDF_SHA256, CLAVE_ERR_UNSUPPORTED,
                 "seal header: algorithm %u unknown", h->algorithm);
    CLAVE_CHECK_CTX(clave_reader_u32be(&r, &h->header_len), "seal header: header_len");
    CLAVE_ENSURE(h->header_len >= SEAL_FIXED_LEN + CLAVE_SEAL_HEADER_TAG_LEN &&
                     h->header_len <= CLAVE_SEAL_HEADER_MAX,
                 CLAVE_ERR_FORMAT, "seal header: header_len %u outside %d..%d", h->header_len,
                 SEAL_FIXED_LEN + CLAVE_SEAL_HEADER_TAG_LEN, CLAVE_SEAL_HEADER_MAX);
    CLAVE_CHECK_CTX(clave_reader_u32be(&r, &h->chunk_size), "seal header: chunk_size");
    CLAVE_CHECK(clave__seal_check_chunk_size(h->chunk_size));
    st = CLAVE_OK;
done:
    return st;
}

#define SEAL_PREFIX_LEN 20

static clave_status header_from(const uint8_t *prefix, const uint8_t *rest, size_t rest_len,
                                struct clave_seal_header **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_seal_header *h = calloc(1, sizeof(*h));
    *out = NULL;
    CLAVE_ENSURE_ALLOC(h);
    CLAVE_CHECK(parse_prefix(prefix, SEAL_PREFIX_LEN, h));
    CLAVE_ENSURE(rest_len >= h->header_len - SEAL_PREFIX_LEN, CLAVE_ERR_TRUNCATED,
                 "seal header: %zu bytes, header_len says %u", rest_len + SEAL_PREFIX_LEN,
                 h->header_len);
    h->raw_len = h->header_len;
    h->raw = malloc(h->raw_len);
    CLAVE_ENSURE_ALLOC(h->raw);
    memcpy(h->raw, prefix, SEAL_PREFIX_LEN);
    memcpy(h->raw + SEAL_PREFIX_LEN, rest, h->raw_len - SEAL_PREFIX_LEN);
    CLAVE_CHECK(parse_fields(h));
    *out = h;
    h = NULL;
    st = CLAVE_OK;
done:
    clave_seal_header_free(h);
    return st;
}

clave_status clave_seal_header_parse(const uint8_t *buf, size_t len, struct clave_seal_header **out,
                                     size_t *consumed)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    *consumed = 0;
    CLAVE_ENSURE(len >= SEAL_PREFIX_LEN, CLAVE_ERR_TRUNCATED,
                 "seal header: %zu bytes, need at least %d", len, SEAL_PREFIX_LEN);
    CLAVE_CHECK(header_from(buf, buf + SEAL_PREFIX_LEN, len - SEAL_PREFIX_LEN, out));
    *consumed = (*out)->header_len;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_seal_header_read(const struct clave_seal_io *io, struct clave_seal_header **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t prefix[SEAL_PREFIX_LEN];
    uint8_t *rest = NULL;
    size_t got = 0;
    struct clave_seal_header probe;
    *out = NULL;
    CLAVE_CHECK(clave__seal_read_full(io, prefix, sizeof(prefix), &got));
    CLAVE_ENSURE(got == sizeof(prefix), CLAVE_ERR_TRUNCATED,
                 "seal header: input ends after %zu bytes", got);
    memset(&probe, 0, sizeof(probe));
    CLAVE_CHECK(parse_prefix(prefix, sizeof(prefix), &probe));
    size_t rest_len = probe.header_len - SEAL_PREFIX_LEN;
    rest = malloc(rest_len);
    CLAVE_ENSURE_ALLOC(rest);
    CLAVE_CHECK(clave__seal_read_full(io, rest, rest_len, &got));
    CLAVE_ENSURE(got == rest_len, CLAVE_ERR_TRUNCATED,
                 "seal header: input ends inside the header (%zu of %u bytes)",
                 got + SEAL_PREFIX_LEN, probe.header_len);
    CLAVE_CHECK(header_from(prefix, rest, rest_len, out));
    st = CLAVE_OK;
done:
    free(rest);
    return st;
}

void clave_seal_header_free(struct clave_seal_header *hdr)
{
    if (hdr == NULL) {
        return;
    }
    for (size_t i = 0; i < hdr->recipient_count; i++) {
        free(hdr->recipients[i].wrapped);
    }
    free(hdr->raw);
    free(hdr);
}

uint16_t clave_seal_header_version(const struct clave_seal_header *hdr)
{
    return hdr->version;
}

uint16_t clave_seal_header_algorithm(const struct clave_seal_header *hdr)
{
    return hdr->algorithm;
}

size_t clave_seal_header_chunk_size(const struct clave_seal_header *hdr)
{
    return hdr->chunk_size;
}

size_t clave_seal_header_len(const struct clave_seal_header *hdr)
{
    return hdr->header_len;
}

const uint8_t *clave_seal_header_file_id(const struct clave_seal_header *hdr)
{
    return hdr->file_id;
}

const uint8_t *clave_seal_header_dek_id(const struct clave_seal_header *hdr)
{
    return hdr->dek_id;
}

size_t clave_seal_header_recipient_count(const struct clave_seal_header *hdr)
{
    return hdr->recipient_count;
}

clave_status clave_seal_header_recipient(const struct clave_seal_header *hdr, size_t index,
                                         struct clave_seal_recipient *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(index < hdr->recipient_count, CLAVE_ERR_ARG, "seal: no recipient %zu", index);
    out->wrap = hdr->recipients[index].wrap;
    out->key_id = hdr->recipients[index].key_id;
    out->wrapped = hdr->recipients[index].wrapped;
    out->wrapped_len = hdr->recipients[index].wrapped_len;
    st = CLAVE_OK;
done:
    return st;
}

static json_t *hex_value(const uint8_t *data, size_t len)
{
    char buf[2 * CLAVE_SEAL_HEADER_TAG_LEN + 1];
    if (len > CLAVE_SEAL_HEADER_TAG_LEN || clave_hex_encode(data, len, buf, sizeof(buf)) != 0) {
        return NULL;
    }
    return json_string(buf);
}

clave_status clave_seal_header_json(const struct clave_seal_header *hdr, char **json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = json_object();
    json_t *list = json_array();
    *json = NULL;
    CLAVE_ENSURE(root != NULL && list != NULL, CLAVE_ERR_NOMEM, "out of memory");
    static const char *const WRAP_NAMES[] = {"", "kek", "jwe"};
    for (size_t i = 0; i < hdr->recipient_count; i++) {
        const struct seal_entry *e = &hdr->recipients[i];
        json_t *item = json_pack("{s:s, s:s, s:I}", "key_id", e->key_id, "wrap",
                                 WRAP_NAMES[e->wrap], "wrapped_len", (json_int_t)e->wrapped_len);
        CLAVE_ENSURE(item != NULL && json_array_append_new(list, item) == 0, CLAVE_ERR_NOMEM,
                     "out of memory");
    }
    CLAVE_ENSURE(
        json_object_set_new(root, "format", json_string("clave-sealed")) == 0 &&
            json_object_set_new(root, "version", json_integer(hdr->version)) == 0 &&
            json_object_set_new(root, "algorithm", json_string("AES-256-GCM/HKDF-SHA256")) == 0 &&
            json_object_set_new(root, "header_len", json_integer(hdr->header_len)) == 0 &&
            json_object_set_new(root, "chunk_size", json_integer(hdr->chunk_size)) == 0 &&
            json_object_set_new(root, "file_id", hex_value(hdr->file_id, CLAVE_SEAL_ID_LEN)) == 0 &&
            json_object_set_new(root, "dek_id", hex_value(hdr->dek_id, CLAVE_SEAL_ID_LEN)) == 0 &&
            json_object_set_new(root, "recipients", list) == 0,
        CLAVE_ERR_NOMEM, "out of memory");
    list = NULL;
    *json = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    CLAVE_ENSURE(*json != NULL, CLAVE_ERR_NOMEM, "out of memory");
    st = CLAVE_OK;
done:
    json_decref(list);
    json_decref(root);
    return st;
}
