/* SPDX-License-Identifier: Apache-2.0 */
/* The two ends of a dataset upload, shared by the inline and the streamed (parts) paths. */
#ifndef CLAVED_HANDLERS_DATASET_H
#define CLAVED_HANDLERS_DATASET_H

#include "kbs_db.h"

/* Read the sealed header in `sealed` (its first bytes, up to CLAVE_SEAL_HEADER_MAX): dek_id and
 * the broker's recipient entry into `d`. False after a 400 reply. */
bool claved_dataset_broker_entry(struct claved_ctx *ctx, const uint8_t *sealed, size_t len,
                                 struct claved_kbs_dataset *d);

/* Insert the dataset row (its blob is stored), audit dataset.upload, answer 201. */
void claved_dataset_finish(struct claved_ctx *ctx, const struct claved_kbs_dataset *d,
                           const char *name, const char *schema, int64_t rows, uint64_t size);

/* Forget a pending upload of dataset `id` (its row and spool file), so a new POST restarts it. */
void claved_upload_discard(struct claved_ctx *ctx, const char *collaboration, const char *id);

#endif
