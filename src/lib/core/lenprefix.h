/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLAVE_CORE_LENPREFIX_H
#define CLAVE_CORE_LENPREFIX_H

#include <clave/buf.h>

/* Size in bytes and byte order of a length-prefix width; CLAVE_ERR_ARG for an unknown width. */
clave_status clave__len_prefix_info(enum clave_len_prefix width, size_t *bytes, bool *big_endian);

#endif
