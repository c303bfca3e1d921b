/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-lines logger. Escaping is jansson's, so values cannot inject lines or fields. */
#include "core/check.h"

#include <clave/log.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct clave_log {
    FILE *sink;
    enum clave_log_level min_level;
};

struct level_name {
    enum clave_log_level level;
    const char *name;
};

static const struct level_name LEVEL_NAMES[] = {
    {CLAVE_LOG_DEBUG, "debug"},
    {CLAVE_LOG_INFO, "info"},
    {CLAVE_LOG_WARN, "warn"},
    {CLAVE_LOG_ERROR, "error"},
};

static const char *const FIXED_KEYS[] = {"ts", "level", "component", "msg"};

clave_status clave_log_new(FILE *sink, enum clave_log_level min_level, struct clave_log **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_ENSURE(sink != NULL, CLAVE_ERR_ARG, "log: no sink");
    struct clave_log *log = calloc(1, sizeof(*log));
    CLAVE_ENSURE_ALLOC(log);
    log->sink = sink;
    log->min_level = min_level;
    *out = log;
    st = CLAVE_OK;
done:
    return st;
}

void clave_log_free(struct clave_log *log)
{
    free(log);
}

clave_status clave_log_level_parse(const char *name, enum clave_log_level *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = CLAVE_LOG_INFO;
    for (size_t i = 0; i < sizeof(LEVEL_NAMES) / sizeof(LEVEL_NAMES[0]); i++) {
        if (name != NULL && strcmp(name, LEVEL_NAMES[i].name) == 0) {
            *out = LEVEL_NAMES[i].level;
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_ARG, "log: unknown level (expected debug, info, warn or error)");
done:
    return st;
}

void clave_log_set_level(struct clave_log *log, enum clave_log_level min_level)
{
    log->min_level = min_level;
}

static const char *level_name(enum clave_log_level level)
{
    for (size_t i = 0; i < sizeof(LEVEL_NAMES) / sizeof(LEVEL_NAMES[0]); i++) {
        if (LEVEL_NAMES[i].level == level) {
            return LEVEL_NAMES[i].name;
        }
    }
    return "info";
}

static bool is_fixed_key(const char *key)
{
    for (size_t i = 0; i < sizeof(FIXED_KEYS) / sizeof(FIXED_KEYS[0]); i++) {
        if (strcmp(key, FIXED_KEYS[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void format_time(char *buf, size_t cap)
{
    struct timespec now;
    struct tm tm;
    (void)clock_gettime(CLOCK_REALTIME, &now);
    (void)gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    (void)snprintf(buf + n, cap - n, ".%03ldZ", now.tv_nsec / 1000000);
}

void clave_log_write(struct clave_log *log, enum clave_log_level level, const char *component,
                     const char *msg, const struct clave_log_field *fields, size_t field_count)
{
    if (log == NULL || level < log->min_level) {
        return;
    }
    char ts[40];
    format_time(ts, sizeof(ts));
    json_t *line = json_object();
    if (line == NULL) {
        return;
    }
    (void)json_object_set_new(line, "ts", json_string(ts));
    (void)json_object_set_new(line, "level", json_string(level_name(level)));
    (void)json_object_set_new(line, "component", json_string(component ? component : ""));
    (void)json_object_set_new(line, "msg", json_string(msg ? msg : ""));
    for (size_t i = 0; i < field_count; i++) {
        if (fields[i].key == NULL || is_fixed_key(fields[i].key)) {
            continue;
        }
        /* json_string rejects invalid UTF-8: keep the line, mark the value. */
        json_t *value = json_string(fields[i].value ? fields[i].value : "");
        (void)json_object_set_new(line, fields[i].key,
                                  value != NULL ? value : json_string("<invalid utf-8>"));
    }
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    if (text != NULL) {
        (void)fprintf(log->sink, "%s\n", text);
        (void)fflush(log->sink);
        free(text);
    }
    json_decref(line);
}
