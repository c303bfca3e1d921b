/* SPDX-License-Identifier: Apache-2.0 */
/* Encoding and validation of MPC protocol messages (docs/formats/mpc.md). */
#include "mpc/msg.h"

#include "core/check.h"

#include <string.h>

_Static_assert(MPC_MSG_HEADER_LEN == MPC_MSG_MAGIC_LEN + 4 + MPC_SESSION_ID_LEN + 4 + 4,
               "mpc: header layout");
_Static_assert(MPC_MSG_MAX_PAYLOAD <= UINT32_MAX, "mpc: payload length fits its u32 field");

void clave__mpc_header_encode(const struct mpc_header *h, uint8_t out[MPC_MSG_HEADER_LEN])
{
    memcpy(out, MPC_MSG_MAGIC, MPC_MSG_MAGIC_LEN);
    out[4] = MPC_MSG_VERSION;
    out[5] = h->op;
    out[6] = h->sender;
    out[7] = 0;
    memcpy(out + 8, h->session, MPC_SESSION_ID_LEN);
    for (int i = 0; i < 4; i++) {
        out[24 + i] = (uint8_t)(h->step >> (24 - 8 * i));
        out[28 + i] = (uint8_t)(h->payload_len >> (24 - 8 * i));
    }
}

static clave_status check_header(const struct mpc_header *h, const struct mpc_expect *want,
                                 const char *peer)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(h->op == want->op || (want->alt_op != 0 && h->op == want->alt_op),
                 CLAVE_ERR_FORMAT, "mpc: %s sent op %u, expected %u", peer, h->op, want->op);
    CLAVE_ENSURE(h->sender == want->sender, CLAVE_ERR_FORMAT,
                 "mpc: %s claims to be sender %u, expected %u", peer, h->sender, want->sender);
    CLAVE_ENSURE(want->session == NULL ||
                     memcmp(h->session, want->session, MPC_SESSION_ID_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "mpc: %s sent a message of another session", peer);
    CLAVE_ENSURE(want->any_step || h->step == want->step, CLAVE_ERR_FORMAT,
                 "mpc: %s sent step %u, expected %u", peer, h->step, want->step);
    CLAVE_ENSURE(h->payload_len <= want->max_payload, CLAVE_ERR_TOO_LARGE,
                 "mpc: %s sent a %u-byte payload (max %zu)", peer, h->payload_len,
                 want->max_payload);
    CLAVE_ENSURE(want->payload_len == SIZE_MAX || h->payload_len == want->payload_len,
                 CLAVE_ERR_FORMAT, "mpc: %s sent a %u-byte payload, expected %zu", peer,
                 h->payload_len, want->payload_len);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__mpc_header_decode(const uint8_t *buf, size_t len, const struct mpc_expect *want,
                                      const char *peer, struct mpc_header *out)
{
    /* magic[4] "CMPC" | version u8 | op u8 | sender u8 | reserved u8 (0) | session[16] |
     * step u32be | payload_len u32be */
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    const uint8_t *magic = NULL;
    uint8_t version = 0;
    struct mpc_header h;
    memset(out, 0, sizeof(*out));
    clave_reader_init(&r, buf, len);
    CLAVE_CHECK_CTX(clave_reader_view(&r, MPC_MSG_MAGIC_LEN, &magic), "mpc: header from %s", peer);
    CLAVE_ENSURE(memcmp(magic, MPC_MSG_MAGIC, MPC_MSG_MAGIC_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "mpc: %s sent a message without the CMPC magic", peer);
    CLAVE_CHECK_CTX(clave_reader_u8(&r, &version), "mpc: header from %s", peer);
    CLAVE_ENSURE(version == MPC_MSG_VERSION, CLAVE_ERR_UNSUPPORTED,
                 "mpc: %s sent message version %u (want %d)", peer, version, MPC_MSG_VERSION);
    CLAVE_CHECK_CTX(clave_reader_u8(&r, &h.op), "mpc: header from %s", peer);
    CLAVE_CHECK_CTX(clave_reader_u8(&r, &h.sender), "mpc: header from %s", peer);
    CLAVE_CHECK_CTX(clave_reader_zeros(&r, 1), "mpc: header from %s", peer);
    CLAVE_CHECK_CTX(clave_reader_bytes(&r, h.session, MPC_SESSION_ID_LEN), "mpc: header from %s",
                    peer);
    CLAVE_CHECK_CTX(clave_reader_u32be(&r, &h.step), "mpc: header from %s", peer);
    CLAVE_CHECK_CTX(clave_reader_u32be(&r, &h.payload_len), "mpc: header from %s", peer);
    CLAVE_CHECK_CTX(clave_reader_expect_end(&r), "mpc: header from %s", peer);
    CLAVE_CHECK(check_header(&h, want, peer));
    *out = h;
    st = CLAVE_OK;
done:
    return st;
}

bool clave__mpc_compute_binary(uint8_t compute)
{
    return compute == MPC_COMPUTE_DOT || compute == MPC_COMPUTE_LT || compute == MPC_COMPUTE_MUL;
}

const char *clave__mpc_compute_name(uint8_t compute)
{
    static const char *const NAMES[] = {NULL, "sum", "mean", "variance", "dot", "lt", "mul"};
    return compute <= MPC_COMPUTE_LAST ? NAMES[compute] : NULL;
}

bool clave__mpc_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > MPC_NAME_MAX || name[0] == '.') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

clave_status clave__mpc_run_encode(const struct mpc_run *run, struct clave_writer *w)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_writer_u8(w, run->compute));
    CLAVE_CHECK(clave_writer_lenprefixed(w, CLAVE_LEN_U8, MPC_NAME_MAX,
                                         (const uint8_t *)run->input_a, strlen(run->input_a)));
    CLAVE_CHECK(clave_writer_lenprefixed(w, CLAVE_LEN_U8, MPC_NAME_MAX,
                                         (const uint8_t *)run->input_b, strlen(run->input_b)));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status read_name(struct clave_reader *r, bool required, char out[MPC_NAME_MAX + 1])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *name = NULL;
    size_t len = 0;
    CLAVE_CHECK(clave_reader_lenprefixed(r, CLAVE_LEN_U8, MPC_NAME_MAX, &name, &len));
    CLAVE_ENSURE(required ? len > 0 : len == 0, CLAVE_ERR_FORMAT, "mpc run: input name %s",
                 required ? "missing" : "not expected");
    CLAVE_ENSURE(len == 0 || clave__mpc_name_valid((const char *)name, len), CLAVE_ERR_FORMAT,
                 "mpc run: invalid input name");
    memcpy(out, name, len);
    out[len] = '\0';
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__mpc_run_decode(const uint8_t *buf, size_t len, struct mpc_run *out)
{
    /* compute u8 | input_a: u8 length + name | input_b: u8 length + name (empty if unary) */
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    struct mpc_run run;
    memset(out, 0, sizeof(*out));
    memset(&run, 0, sizeof(run));
    clave_reader_init(&r, buf, len);
    CLAVE_CHECK_CTX(clave_reader_u8(&r, &run.compute), "mpc run");
    CLAVE_ENSURE(run.compute >= 1 && run.compute <= MPC_COMPUTE_LAST, CLAVE_ERR_FORMAT,
                 "mpc run: unknown computation %u", run.compute);
    CLAVE_CHECK_CTX(read_name(&r, true, run.input_a), "mpc run: input a");
    CLAVE_CHECK_CTX(read_name(&r, clave__mpc_compute_binary(run.compute), run.input_b),
                    "mpc run: input b");
    CLAVE_CHECK_CTX(clave_reader_expect_end(&r), "mpc run");
    *out = run;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__mpc_upload_decode(const uint8_t *buf, size_t len, char name[MPC_NAME_MAX + 1],
                                      const uint8_t **file, size_t *file_len)
{
    /* name: u8 length (1..64) + bytes | share file: the rest (at least 1 byte) */
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    char got[MPC_NAME_MAX + 1];
    name[0] = '\0';
    *file = NULL;
    *file_len = 0;
    clave_reader_init(&r, buf, len);
    CLAVE_CHECK_CTX(read_name(&r, true, got), "mpc upload");
    CLAVE_ENSURE(r.pos < r.len, CLAVE_ERR_FORMAT, "mpc upload: no share file");
    memcpy(name, got, sizeof(got));
    *file = buf + r.pos;
    *file_len = r.len - r.pos;
    st = CLAVE_OK;
done:
    return st;
}

size_t clave__mpc_result_len(size_t count)
{
    return 8 + count * sizeof(uint64_t) + MPC_DIGEST_LEN;
}

clave_status clave__mpc_result_decode(const uint8_t *buf, size_t len, struct mpc_result *out)
{
    /* boolean u8 (0/1) | frac_bits u8 (<= 48) | reserved u16 (0) | count u32be (<= 2^22) |
     * own: count x u64le | next_hash[32] */
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    struct mpc_result res;
    memset(out, 0, sizeof(*out));
    memset(&res, 0, sizeof(res));
    clave_reader_init(&r, buf, len);
    CLAVE_CHECK_CTX(clave_reader_u8(&r, &res.boolean), "mpc result");
    CLAVE_ENSURE(res.boolean <= 1, CLAVE_ERR_FORMAT, "mpc result: kind %u", res.boolean);
    CLAVE_CHECK_CTX(clave_reader_u8(&r, &res.frac_bits), "mpc result");
    CLAVE_ENSURE(res.frac_bits <= 48, CLAVE_ERR_FORMAT, "mpc result: %u fractional bits",
                 res.frac_bits);
    CLAVE_CHECK_CTX(clave_reader_zeros(&r, 2), "mpc result");
    CLAVE_CHECK_CTX(clave_reader_u32be(&r, &res.count), "mpc result");
    CLAVE_ENSURE(res.count <= MPC_MAX_ELEMS, CLAVE_ERR_TOO_LARGE, "mpc result: %u values",
                 res.count);
    CLAVE_CHECK_CTX(clave_reader_view(&r, (size_t)res.count * sizeof(uint64_t), &res.own),
                    "mpc result");
    CLAVE_CHECK_CTX(clave_reader_view(&r, MPC_DIGEST_LEN, &res.next_hash), "mpc result");
    CLAVE_CHECK_CTX(clave_reader_expect_end(&r), "mpc result");
    *out = res;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__mpc_abort_decode(const uint8_t *buf, size_t len,
                                     char out[MPC_ABORT_TEXT_MAX + 1])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    out[0] = '\0';
    CLAVE_ENSURE(len >= 1 && len <= MPC_ABORT_TEXT_MAX, CLAVE_ERR_FORMAT,
                 "mpc abort: %zu-byte reason", len);
    for (size_t i = 0; i < len; i++) {
        CLAVE_ENSURE(buf[i] >= 0x20 && buf[i] <= 0x7e, CLAVE_ERR_FORMAT,
                     "mpc abort: reason is not printable ASCII");
    }
    memcpy(out, buf, len);
    out[len] = '\0';
    st = CLAVE_OK;
done:
    return st;
}
