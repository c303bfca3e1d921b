/* SPDX-License-Identifier: Apache-2.0 */
/* Spec parser, second half: column references, filters, group-by and aggregates. */
#ifndef CLAVE_QUERY_SPEC_PARTS_H
#define CLAVE_QUERY_SPEC_PARTS_H

#include "query/query_int.h"

/* obj[key] as a column reference "alias.column" (or a bare column of the only table). A missing
 * key with `required` false leaves *out zeroed and succeeds. */
clave_status query__parse_ref(const struct clave_query *q, const json_t *obj, const char *key,
                              const char *where, bool required, struct query_colref *out);
clave_status query__parse_filters(struct clave_query *q, json_t *doc,
                                  const struct clave_query_rules *rules);
clave_status query__parse_groups(struct clave_query *q, json_t *doc,
                                 const struct clave_query_rules *rules);
clave_status query__parse_aggregates(struct clave_query *q, json_t *doc,
                                     const struct clave_query_rules *rules);

#endif
