/* SPDX-License-Identifier: Apache-2.0 */
/* Share files (docs/formats/mpc.md "Share files") and clave_mpc_share_write. */
#include "mpc/sharefile.h"

#include "core/check.h"
#include "keys/fileio.h"

#include <clave/crypto.h>
#include <clave/mpc_node.h>
#include <clave/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARE_VERSION 1

_Static_assert(CLAVE_MPC_NODE_MAX_VALUES == MPC_MAX_ELEMS, "mpc: one limit for input columns");
_Static_assert(CLAVE_MPC_NAME_MAX == MPC_NAME_MAX, "mpc: one limit for input names");

clave_status clave__mpc_share_encode(unsigned node, const char *name,
                                     const uint8_t dataset[MPC_DATASET_ID_LEN], unsigned frac,
                                     const uint64_t *own, const uint64_t *next, size_t count,
                                     uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    size_t cap = MPC_SHARE_FIXED_LEN + 1 + MPC_NAME_MAX + 16 * count;
    uint8_t *buf = NULL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(count >= 1 && count <= MPC_MAX_ELEMS && node < 3 && frac <= 48, CLAVE_ERR_ARG,
                 "mpc share: bad arguments");
    buf = malloc(cap);
    CLAVE_ENSURE_ALLOC(buf);
    clave_writer_init(&w, buf, cap);
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)MPC_SHARE_MAGIC, 4));
    CLAVE_CHECK(clave_writer_u8(&w, SHARE_VERSION));
    CLAVE_CHECK(clave_writer_u8(&w, (uint8_t)node));
    CLAVE_CHECK(clave_writer_u8(&w, (uint8_t)frac));
    CLAVE_CHECK(clave_writer_u8(&w, 0));
    CLAVE_CHECK(clave_writer_bytes(&w, dataset, MPC_DATASET_ID_LEN));
    CLAVE_CHECK(clave_writer_u32be(&w, (uint32_t)count));
    CLAVE_CHECK(clave_writer_lenprefixed(&w, CLAVE_LEN_U8, MPC_NAME_MAX, (const uint8_t *)name,
                                         strlen(name)));
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)own, count * sizeof(uint64_t)));
    CLAVE_CHECK(clave_writer_bytes(&w, (const uint8_t *)next, count * sizeof(uint64_t)));
    *out = buf;
    *out_len = w.len;
    buf = NULL;
    st = CLAVE_OK;
done:
    if (buf != NULL) {
        clave_wipe(buf, cap);
        free(buf);
    }
    return st;
}

clave_status clave__mpc_share_decode(const uint8_t *buf, size_t len, unsigned node,
                                     const char *name, struct mpc_input *out)
{
    /* magic "CMPS" | version u8 (1) | node u8 | frac_bits u8 (<= 48) | reserved u8 (0) |
     * dataset_id[16] | count u32be (1..2^22) | name: u8 length + bytes |
     * own: count x u64le | next: count x u64le */
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    const uint8_t *magic = NULL, *got_name = NULL, *own = NULL, *next = NULL;
    uint8_t version = 0, file_node = 0, frac = 0;
    uint32_t count = 0;
    size_t name_len = 0;
    memset(out, 0, sizeof(*out));
    clave_reader_init(&r, buf, len);
    CLAVE_CHECK(clave_reader_view(&r, 4, &magic));
    CLAVE_ENSURE(memcmp(magic, MPC_SHARE_MAGIC, 4) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "mpc share: not a share file");
    CLAVE_CHECK(clave_reader_u8(&r, &version));
    CLAVE_ENSURE(version == SHARE_VERSION, CLAVE_ERR_UNSUPPORTED, "mpc share: version %u", version);
    CLAVE_CHECK(clave_reader_u8(&r, &file_node));
    CLAVE_ENSURE(file_node == node, CLAVE_ERR_FORMAT, "mpc share: file is for node %u, not %u",
                 file_node, node);
    CLAVE_CHECK(clave_reader_u8(&r, &frac));
    CLAVE_ENSURE(frac <= 48, CLAVE_ERR_FORMAT, "mpc share: %u fractional bits", frac);
    CLAVE_CHECK(clave_reader_zeros(&r, 1));
    CLAVE_CHECK(clave_reader_bytes(&r, out->dataset, MPC_DATASET_ID_LEN));
    CLAVE_CHECK(clave_reader_u32be(&r, &count));
    CLAVE_ENSURE(count >= 1 && count <= MPC_MAX_ELEMS, CLAVE_ERR_TOO_LARGE, "mpc share: %u values",
                 count);
    CLAVE_CHECK(clave_reader_lenprefixed(&r, CLAVE_LEN_U8, MPC_NAME_MAX, &got_name, &name_len));
    CLAVE_ENSURE(name_len == strlen(name) && memcmp(got_name, name, name_len) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "mpc share: file holds another input");
    CLAVE_CHECK(clave_reader_view(&r, (size_t)count * sizeof(uint64_t), &own));
    CLAVE_CHECK(clave_reader_view(&r, (size_t)count * sizeof(uint64_t), &next));
    CLAVE_CHECK(clave_reader_expect_end(&r));
    CLAVE_CHECK(clave__mpc_vec_alloc(&out->shares, count));
    memcpy(out->shares.own, own, (size_t)count * sizeof(uint64_t));
    memcpy(out->shares.next, next, (size_t)count * sizeof(uint64_t));
    out->frac_bits = frac;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status share_path(const char *dir, const char *name, unsigned node,
                               char path[MPC_SHARE_PATH_MAX])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(clave__mpc_name_valid(name, strlen(name)), CLAVE_ERR_ARG,
                 "mpc share: invalid input name (use 1..64 of A-Z a-z 0-9 _ . -)");
    int n = snprintf(path, MPC_SHARE_PATH_MAX, "%s/%s.node%u.share", dir, name, node);
    CLAVE_ENSURE(n > 0 && n < MPC_SHARE_PATH_MAX, CLAVE_ERR_ARG, "mpc share: path too long");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__mpc_share_load(const char *dir, const char *name, unsigned node,
                                   struct mpc_input *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[MPC_SHARE_PATH_MAX];
    char *buf = NULL;
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(share_path(dir, name, node, path));
    CLAVE_CHECK(clave__file_read(path, MPC_SHARE_FILE_MAX, &buf, &len));
    CLAVE_CHECK_CTX(clave__mpc_share_decode((const uint8_t *)buf, len, node, name, out), "%s",
                    path);
    st = CLAVE_OK;
done:
    if (buf != NULL) {
        clave_wipe(buf, len);
        free(buf);
    }
    return st;
}

clave_status clave__mpc_share_store(const char *dir, const char *name, unsigned node,
                                    const uint8_t *buf, size_t len, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[MPC_SHARE_PATH_MAX];
    struct mpc_input in;
    memset(&in, 0, sizeof(in));
    *count = 0;
    CLAVE_CHECK(share_path(dir, name, node, path));
    CLAVE_CHECK(clave__mpc_share_decode(buf, len, node, name, &in));
    CLAVE_CHECK_CTX(clave__file_write_atomic(path, buf, len, false), "mpc upload");
    *count = in.shares.len;
    st = CLAVE_OK;
done:
    clave__mpc_vec_free(&in.shares);
    return st;
}

clave_status clave__mpc_share_files(const char *name, const uint64_t *values, size_t count,
                                    unsigned frac_bits, uint8_t *files[3], size_t lens[3])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t *comp[3] = {NULL, NULL, NULL};
    uint8_t dataset[MPC_DATASET_ID_LEN];
    for (int i = 0; i < 3; i++) {
        files[i] = NULL;
        lens[i] = 0;
    }
    CLAVE_ENSURE(name != NULL && values != NULL && clave__mpc_name_valid(name, strlen(name)),
                 CLAVE_ERR_ARG, "mpc share: invalid input name (use 1..64 of A-Z a-z 0-9 _ . -)");
    CLAVE_ENSURE(count >= 1 && count <= MPC_MAX_ELEMS && frac_bits <= 48, CLAVE_ERR_ARG,
                 "mpc share: %zu values, %u fractional bits", count, frac_bits);
    for (int i = 0; i < 3; i++) {
        comp[i] = calloc(count, sizeof(uint64_t));
        CLAVE_ENSURE_ALLOC(comp[i]);
    }
    CLAVE_CHECK(clave_mpc_rss_share(values, count, comp));
    CLAVE_CHECK(clave_random(dataset, sizeof(dataset)));
    for (unsigned node = 0; node < 3; node++) {
        CLAVE_CHECK(clave__mpc_share_encode(node, name, dataset, frac_bits, comp[node],
                                            comp[(node + 1) % 3], count, &files[node],
                                            &lens[node]));
    }
    st = CLAVE_OK;
done:
    for (int i = 0; i < 3; i++) {
        if (comp[i] != NULL) {
            clave_wipe(comp[i], count * sizeof(uint64_t));
            free(comp[i]);
        }
        if (st != CLAVE_OK && files[i] != NULL) {
            clave_wipe(files[i], lens[i]);
            free(files[i]);
            files[i] = NULL;
        }
    }
    return st;
}

clave_status clave_mpc_share_write(const char *dir, const char *name, const uint64_t *values,
                                   size_t count, unsigned frac_bits)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *files[3] = {NULL, NULL, NULL};
    size_t lens[3] = {0, 0, 0};
    char path[MPC_SHARE_PATH_MAX];
    CLAVE_ENSURE(dir != NULL, CLAVE_ERR_ARG, "mpc share: NULL directory");
    CLAVE_CHECK(clave__mpc_share_files(name, values, count, frac_bits, files, lens));
    for (unsigned node = 0; node < 3; node++) {
        CLAVE_CHECK(share_path(dir, name, node, path));
        CLAVE_CHECK(clave__file_write_atomic(path, files[node], lens[node], false));
    }
    st = CLAVE_OK;
done:
    for (int i = 0; i < 3; i++) {
        if (files[i] != NULL) {
            clave_wipe(files[i], lens[i]);
            free(files[i]);
        }
    }
    return st;
}
