/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the Paillier FL messages (docs/formats/fl.md: PAILLIER, AGGREGATE, SUM, MODEL with the
 * paillier protection) together with the checks a received vector passes (fl__he_import: size
 * bound, key, plan, length, weight, every ciphertext). Input: u16le key length, a Paillier public
 * key (CLHE binary or JSON), then the FL message. The key is imported only when it changes, so
 * mutations of the message run fast. Invariants: an accepted message re-encodes to the same
 * bytes; an accepted vector re-exports to the same bytes.
 */
#include "fl/msg.h"
#include "fl/paillier.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *cached_key;
static size_t cached_len;
static struct fl_he he;
static struct clave_fl_config cfg;

static bool key_ready(const uint8_t *key, size_t len)
{
    struct clave_he_pub *pub = NULL;
    if (cached_key != NULL && len == cached_len &&
        memcmp(key, cached_key, len) == 0) { // lint:public
        return he.pub != NULL;
    }
    free(cached_key);
    cached_key = malloc(len > 0 ? len : 1);
    if (cached_key == NULL) {
        abort();
    }
    memcpy(cached_key, key, len);
    cached_len = len;
    fl__he_clear(&he);
    if (clave_he_pub_import(key, len, &pub) != CLAVE_OK) {
        return false;
    }
    cfg = clave_fl_config_default();
    cfg.protection = CLAVE_FL_PAILLIER;
    cfg.clients = cfg.clients_per_round = 10;
    cfg.paillier_bits = clave_he_pub_bits(pub);
    clave_status st = fl__he_setup_pub(&cfg, pub, &he);
    clave_he_pub_free(pub);
    return st == CLAVE_OK;
}

static void check_vector(const struct fl_msg *m)
{
    struct clave_he_vec *vec = NULL;
    uint8_t *out = NULL;
    size_t len = 0;
    uint64_t weight = m->h.type == FL_PAILLIER ? 1 : m->count;
    if (fl__he_import(&he, m->vec, m->vec_len, m->words, weight, &vec) != CLAVE_OK) {
        return;
    }
    if (clave_he_vec_export(vec, CLAVE_HE_FORMAT_BINARY, &out, &len) == CLAVE_OK &&
        (len != m->vec_len || memcmp(out, m->vec, len) != 0)) { // lint:public
        abort();
    }
    free(out);
    clave_he_vec_free(vec);
}

static void reencode(const struct fl_msg *m, const uint8_t *data, size_t size)
{
    uint8_t *out = NULL;
    size_t len = 0;
    clave_status st = CLAVE_ERR_INTERNAL;
    if (m->h.type == FL_PAILLIER || m->h.type == FL_AGGREGATE) {
        st = fl__msg_he_vec(&m->h, m->words, m->count, m->vec, m->vec_len, &out, &len);
    } else if (m->h.type == FL_SUM) {
        int64_t *sums = malloc((size_t)m->words * sizeof(int64_t));
        if (sums == NULL) {
            return;
        }
        for (uint32_t i = 0; i < m->words; i++) {
            sums[i] = fl__msg_sum(m, i);
        }
        st = fl__msg_he_sum(&m->h, m->words, m->count, sums, &out, &len);
        free(sums);
    } else {
        return; /* the other types: tests/fuzz/fl_msg.c */
    }
    if (st != CLAVE_OK || len != size || memcmp(out, data, size) != 0) { // lint:public
        abort();
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fl_msg m;
    if (size < 2) {
        return 0;
    }
    size_t key_len = (size_t)data[0] | (size_t)data[1] << 8;
    if (key_len > size - 2) {
        return 0;
    }
    bool have_key = key_ready(data + 2, key_len);
    const uint8_t *msg = data + 2 + key_len;
    size_t msg_len = size - 2 - key_len;
    if (fl__msg_decode(msg, msg_len, &m) != CLAVE_OK) {
        return 0;
    }
    reencode(&m, msg, msg_len);
    if (have_key && (m.h.type == FL_PAILLIER || m.h.type == FL_AGGREGATE)) {
        check_vector(&m);
    }
    return 0;
}
