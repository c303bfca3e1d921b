/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLAVE_SEAL_STREAM_H
#define CLAVE_SEAL_STREAM_H

#include <clave/seal.h>

/* Read exactly `len` bytes unless the stream ends first; `*got` says how many arrived. */
clave_status clave__seal_read_full(const struct clave_seal_io *io, uint8_t *buf, size_t len,
                                   size_t *got);

#endif
