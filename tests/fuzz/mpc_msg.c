/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz every MPC wire decoder (docs/formats/mpc.md): the 32-byte header (against a fixed
 * expectation and against "anything"), RUN, RESULT, ABORT and UPLOAD payloads, and share files.
 * Every decoder sees every input. Invariants: a failed decode writes nothing; a header, RUN payload
 * or share file that decodes re-encodes to the same bytes.
 */
#include "mpc/msg.h"
#include "mpc/sharefile.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_header(const uint8_t *data, size_t size)
{
    static const uint8_t SESSION[MPC_SESSION_ID_LEN] = {0x11};
    struct mpc_expect exact = {.op = MPC_OP_MUL,
                               .sender = 1,
                               .session = SESSION,
                               .step = 3,
                               .payload_len = 16,
                               .max_payload = 16};
    struct mpc_expect loose = {.op = MPC_OP_RESULT,
                               .alt_op = MPC_OP_ABORT,
                               .sender = 2,
                               .any_step = true,
                               .payload_len = SIZE_MAX,
                               .max_payload = MPC_MSG_MAX_PAYLOAD};
    const struct mpc_expect *wants[2] = {&exact, &loose};
    for (int i = 0; i < 2; i++) {
        struct mpc_header h;
        uint8_t again[MPC_MSG_HEADER_LEN];
        if (clave__mpc_header_decode(data, size, wants[i], "node 1", &h) != CLAVE_OK) {
            if (h.op != 0 || h.payload_len != 0) {
                abort();
            }
            continue;
        }
        clave__mpc_header_encode(&h, again);
        if (size != sizeof(again) || memcmp(again, data, size) != 0) { // lint:public
            abort();
        }
    }
}

static void fuzz_run(const uint8_t *data, size_t size)
{
    struct mpc_run run;
    uint8_t again[1 + 2 * (1 + MPC_NAME_MAX)];
    struct clave_writer w;
    if (clave__mpc_run_decode(data, size, &run) != CLAVE_OK) {
        if (run.compute != 0) {
            abort();
        }
        return;
    }
    clave_writer_init(&w, again, sizeof(again));
    if (clave__mpc_run_encode(&run, &w) != CLAVE_OK || w.len != size ||
        memcmp(again, data, size) != 0) { // lint:public
        abort();
    }
}

static void fuzz_share(const uint8_t *data, size_t size)
{
    struct mpc_input in;
    uint8_t *again = NULL;
    size_t again_len = 0;
    if (clave__mpc_share_decode(data, size, 1, "x", &in) != CLAVE_OK) {
        if (in.shares.own != NULL) {
            abort();
        }
        return;
    }
    if (clave__mpc_share_encode(1, "x", in.dataset, in.frac_bits, in.shares.own, in.shares.next,
                                in.shares.len, &again, &again_len) != CLAVE_OK ||
        again_len != size || memcmp(again, data, size) != 0) { // lint:public
        abort();
    }
    free(again);
    clave__mpc_vec_free(&in.shares);
}

/* UPLOAD: the file it carries must lie inside the input, right after the name. */
static void fuzz_upload(const uint8_t *data, size_t size)
{
    char name[MPC_NAME_MAX + 1];
    const uint8_t *file = NULL;
    size_t file_len = 0;
    if (clave__mpc_upload_decode(data, size, name, &file, &file_len) != CLAVE_OK) {
        if (file != NULL || name[0] != '\0') {
            abort();
        }
        return;
    }
    if (file != data + 1 + strlen(name) || file_len == 0 || file + file_len != data + size ||
        !clave__mpc_name_valid(name, strlen(name))) {
        abort();
    }
    fuzz_share(file, file_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mpc_result res;
    char text[MPC_ABORT_TEXT_MAX + 1];
    fuzz_header(data, size);
    fuzz_run(data, size);
    if (clave__mpc_result_decode(data, size, &res) == CLAVE_OK) {
        if (clave__mpc_result_len(res.count) != size) {
            abort();
        }
    } else if (res.own != NULL) {
        abort();
    }
    if (clave__mpc_abort_decode(data, size, text) == CLAVE_OK && strlen(text) != size) {
        abort();
    }
    fuzz_share(data, size);
    fuzz_upload(data, size);
    return 0;
}
