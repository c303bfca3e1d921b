/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLAVE_LEDGER_LOG_INTERNAL_H
#define CLAVE_LEDGER_LOG_INTERNAL_H

#include <clave/ledger.h>
#include <clave/store.h>

struct clave_ledger {
    struct clave_store *store; /* borrowed */
};

/* Root of a sequence of leaf hashes fed in order, with O(log n) memory: a stack of complete
 * subtrees merged as they pair up, folded from the right at the end (RFC 9162 MTH). */
struct merkle_stack {
    clave_merkle_hash hash[64];
    uint64_t size[64];
    unsigned depth;
};

void clave__merkle_stack_init(struct merkle_stack *s);
clave_status clave__merkle_stack_push(struct merkle_stack *s, const clave_merkle_hash leaf);
clave_status clave__merkle_stack_root(const struct merkle_stack *s, clave_merkle_hash out);

#endif
