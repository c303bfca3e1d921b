/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the attested aggregator's control frames: HELLO and END (clave_fl_hello_parse,
 * clave_fl_end_parse), which every `clave fl join --aggregator` client reads from the network,
 * and JOIN (clave_fl_join_parse, then clave_fl_join_verify of its COSE_Sign1 under a key made
 * at start-up), which clave-runner fl reads from every connection before it admits a client.
 * Invariants: an accepted HELLO/END has exactly its length and in-range fields and re-encodes to
 * the same bytes; an accepted JOIN is at most CLAVE_FL_JOIN_MAX_LEN bytes, names a party of
 * 1..64 identifier characters and a statement inside the frame; no JOIN verifies under a key
 * the input never saw.
 */
#include <clave/fl.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void hello_end(const uint8_t *data, size_t size)
{
    struct clave_fl_hello h;
    uint8_t again[CLAVE_FL_HELLO_LEN];
    if (clave_fl_hello_parse(data, size, &h) == CLAVE_OK) {
        if (size != CLAVE_FL_HELLO_LEN || !clave_fl_is_control(data, size) || h.client < 1 ||
            h.client > h.clients || h.clients > CLAVE_FL_MAX_CLIENTS ||
            clave_fl_hello_encode(&h, again) != CLAVE_OK ||
            memcmp(again, data, size) != 0) { // lint:public
            abort();
        }
    }
    uint32_t rounds = 0;
    clave_fl_end_reason why = CLAVE_FL_END_DONE;
    uint8_t end[CLAVE_FL_END_LEN];
    if (clave_fl_end_parse(data, size, &rounds, &why) == CLAVE_OK) {
        if (size != CLAVE_FL_END_LEN || clave_fl_end_encode(rounds, why, end) != CLAVE_OK ||
            memcmp(end, data, size) != 0) { // lint:public
            abort();
        }
    }
}

static void join(const uint8_t *data, size_t size)
{
    static struct clave_pkey *key;
    static uint8_t spki[128];
    static size_t spki_len;
    static const uint8_t FIXED[32] = {0x11};
    char party[CLAVE_FL_PARTY_MAX + 1];
    const uint8_t *st = NULL;
    size_t st_len = 0;
    if (key == NULL && (clave_pkey_generate(CLAVE_PKEY_ED25519, &key) != CLAVE_OK ||
                        clave_pkey_export_spki(key, spki, sizeof(spki), &spki_len) != CLAVE_OK)) {
        abort();
    }
    if (clave_fl_join_parse(data, size, party, &st, &st_len) != CLAVE_OK) {
        if (party[0] != '\0' || st != NULL) {
            abort();
        }
        return;
    }
    size_t n = strlen(party);
    if (size > CLAVE_FL_JOIN_MAX_LEN || n == 0 || n > CLAVE_FL_PARTY_MAX || st < data ||
        st_len == 0 || st + st_len != data + size ||
        strspn(party, "abcdefghijklmnopqrstuvwxyz"
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789._:-") != n) {
        abort();
    }
    struct clave_fl_join_claim want = {party, FIXED, FIXED, FIXED, 3};
    if (clave_fl_join_verify(st, st_len, &want, spki, spki_len) == CLAVE_OK) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hello_end(data, size);
    join(data, size);
    return 0;
}
