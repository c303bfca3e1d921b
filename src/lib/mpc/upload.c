/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node's side of an upload (docs/mpc.md "Sending shares to the nodes"): a pinned client
 * sends UPLOAD with an input name and this node's share file; the node checks the file in full
 * (its node id, the name, every length) before storing it atomically in its inputs directory,
 * then answers STORED. Any failure is answered with ABORT by the caller.
 */
#include "core/check.h"
#include "mpc/node.h"

#include <string.h>

clave_status clave__mpc_session_store(struct mpc_session *s, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct mpc_config *cfg = &s->node->cfg;
    char name[MPC_NAME_MAX + 1];
    const uint8_t *file = NULL;
    size_t file_len = 0;
    uint8_t msg[MPC_MSG_HEADER_LEN];
    *count = 0;
    CLAVE_CHECK(clave__mpc_upload_decode(s->upload, s->upload_len, name, &file, &file_len));
    CLAVE_CHECK_CTX(clave__mpc_share_store(cfg->inputs, name, cfg->id, file, file_len, count),
                    "mpc node %u: upload of %s", cfg->id, name);
    struct mpc_header h = {.op = MPC_OP_STORED, .sender = (uint8_t)cfg->id};
    memcpy(h.session, s->session, MPC_SESSION_ID_LEN);
    clave__mpc_header_encode(&h, msg);
    CLAVE_CHECK(clave__mpc_exchange(&s->links[MPC_PARTY_CLIENT], msg, sizeof(msg), NULL, NULL, NULL,
                                    0, NULL, NULL, cfg->timeout_ms));
    st = CLAVE_OK;
done:
    return st;
}
