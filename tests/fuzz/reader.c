/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the bounded reader: the first byte of each step picks an operation, so every reader
 * function is driven over arbitrary input. Invariants: pos never exceeds len, and a failed read
 * never moves the cursor.
 */
#include <clave/buf.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void step(struct clave_reader *r, uint8_t op)
{
    uint8_t u8 = 0;
    uint16_t u16 = 0;
    uint32_t u32 = 0;
    uint64_t u64 = 0;
    const uint8_t *view = NULL;
    size_t len = 0;
    uint8_t copy[64];
    struct clave_reader sub;
    size_t before = r->pos;
    clave_status st = CLAVE_OK;
    switch (op % 12) {
    case 0:
        st = clave_reader_u8(r, &u8);
        break;
    case 1:
        st = clave_reader_u16be(r, &u16);
        break;
    case 2:
        st = clave_reader_u16le(r, &u16);
        break;
    case 3:
        st = clave_reader_u32be(r, &u32);
        break;
    case 4:
        st = clave_reader_u32le(r, &u32);
        break;
    case 5:
        st = clave_reader_u64le(r, &u64);
        break;
    case 6:
        st = clave_reader_lenprefixed(r, (enum clave_len_prefix)(op / 12 % 5), 4096, &view, &len);
        break;
    case 7:
        st = clave_reader_bytes(r, copy, op / 12 % sizeof(copy));
        break;
    case 8:
        st = clave_reader_zeros(r, op / 12);
        break;
    case 9:
        st = clave_reader_sub(r, op / 12, &sub);
        break;
    case 10:
        st = clave_reader_skip(r, (size_t)op * 7919);
        break;
    default:
        st = clave_reader_expect_end(r);
        break;
    }
    if (r->pos > r->len || (st != CLAVE_OK && r->pos != before)) {
        abort();
    }
    if (view != NULL && (view < r->data || view + len > r->data + r->len)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct clave_reader r;
    clave_reader_init(&r, data, size);
    for (size_t i = 0; i < 64 && clave_reader_remaining(&r) > 0; i++) {
        uint8_t op = 0;
        if (clave_reader_u8(&r, &op) != CLAVE_OK) {
            break;
        }
        step(&r, op);
    }
    return 0;
}
