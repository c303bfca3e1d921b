/* SPDX-License-Identifier: Apache-2.0 */
/* A thread that signs a new audit tree head every audit_checkpoint_interval_s when the log grew. */
#ifndef CLAVED_CHECKPOINTER_H
#define CLAVED_CHECKPOINTER_H

#include "claved.h"

struct claved_checkpointer;

/* Start the thread (its own store connection). Stop and free with claved_checkpointer_stop. */
clave_status claved_checkpointer_start(struct claved_app *app, struct claved_checkpointer **out);
/* Wake the thread, let it finish, free it. NULL is a no-op. */
void claved_checkpointer_stop(struct claved_checkpointer *c);

#endif
