/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing of node and client configuration files (docs/mpc.md "Configuration"). */
#include "mpc/config.h"

#include "core/check.h"
#include "keys/fileio.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_BYTES (64 * 1024)
#define MAX_CLIENTS 8

static clave_status get_text(const json_t *obj, const char *where, const char *key, bool required,
                             char *out, size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    out[0] = '\0';
    CLAVE_CHECK(clave_json_get_string(obj, where, key, required, cap - 1, &s));
    if (s != NULL) {
        memcpy(out, s, strlen(s) + 1);
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status add_pin(struct mpc_trust *trust, const char *hex, unsigned party,
                            const char *where)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t len = 0;
    CLAVE_ENSURE(trust->pin_count < MPC_PINS_MAX, CLAVE_ERR_LIMIT, "%s: too many pins", where);
    struct mpc_pin *pin = &trust->pins[trust->pin_count];
    CLAVE_ENSURE(strlen(hex) == 2 * MPC_FINGERPRINT_LEN, CLAVE_ERR_JSON,
                 "%s: fingerprint must be 64 hex digits (SHA-256 of the certificate DER)", where);
    CLAVE_CHECK_CTX(clave_hex_decode(hex, strlen(hex), pin->fingerprint, MPC_FINGERPRINT_LEN, &len),
                    "%s: fingerprint", where);
    pin->party = party;
    trust->pin_count++;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status load_nodes(json_t *root, struct mpc_config *cfg)
{
    static const char *const KEYS[] = {"id", "address", "fingerprint", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *nodes = NULL;
    char where[CLAVE_JSON_PATH_MAX];
    bool seen[3] = {false, false, false};
    size_t want = cfg->client ? 3 : 2;
    CLAVE_CHECK(
        clave_json_get_array(root, "config", cfg->client ? "nodes" : "peers", true, 3, &nodes));
    CLAVE_ENSURE(json_array_size(nodes) == want, CLAVE_ERR_JSON, "config.%s: need %zu entries",
                 cfg->client ? "nodes" : "peers", want);
    for (size_t i = 0; i < want; i++) {
        json_t *n = json_array_get(nodes, i);
        const char *fp = NULL;
        int64_t id = 0;
        clave_json_path_index(where, sizeof(where), cfg->client ? "config.nodes" : "config.peers",
                              i);
        CLAVE_CHECK(clave_json_expect_object(n, where));
        CLAVE_CHECK(clave_json_only_keys(n, where, KEYS));
        CLAVE_CHECK(clave_json_get_int(n, where, "id", true, 0, 2, &id));
        CLAVE_ENSURE(!seen[id] && (cfg->client || (unsigned)id != cfg->id), CLAVE_ERR_JSON,
                     "%s.id: node %lld repeated or this node itself", where, (long long)id);
        seen[id] = true;
        cfg->peers[id].id = (unsigned)id;
        CLAVE_CHECK(get_text(n, where, "address", true, cfg->peers[id].address, MPC_ADDRESS_MAX));
        CLAVE_CHECK(clave_json_get_string(n, where, "fingerprint", true, 64, &fp));
        CLAVE_CHECK(add_pin(&cfg->trust, fp, (unsigned)id, where));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status load_clients(json_t *root, struct mpc_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *clients = NULL;
    char where[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_get_array(root, "config", "clients", true, MAX_CLIENTS, &clients));
    CLAVE_ENSURE(json_array_size(clients) >= 1, CLAVE_ERR_JSON,
                 "config.clients: pin at least one client certificate");
    for (size_t i = 0; i < json_array_size(clients); i++) {
        json_t *c = json_array_get(clients, i);
        clave_json_path_index(where, sizeof(where), "config.clients", i);
        CLAVE_ENSURE(json_is_string(c), CLAVE_ERR_JSON, "%s: expected a fingerprint string", where);
        CLAVE_CHECK(add_pin(&cfg->trust, json_string_value(c), MPC_PARTY_CLIENT, where));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status load_root(json_t *root, struct mpc_config *cfg)
{
    static const char *const NODE_KEYS[] = {"id",
                                            "listen",
                                            "cert",
                                            "key",
                                            "inputs",
                                            "timeout_ms",
                                            "peers",
                                            "clients",
                                            "test_only_tamper",
                                            "test_only_exit_at_step",
                                            NULL};
    static const char *const CLIENT_KEYS[] = {"cert", "key", "timeout_ms", "nodes", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t v = 0;
    CLAVE_CHECK(clave_json_expect_object(root, "config"));
    CLAVE_CHECK(clave_json_only_keys(root, "config", cfg->client ? CLIENT_KEYS : NODE_KEYS));
    CLAVE_CHECK(get_text(root, "config", "cert", true, cfg->cert, MPC_PATH_MAX));
    CLAVE_CHECK(get_text(root, "config", "key", true, cfg->key, MPC_PATH_MAX));
    CLAVE_CHECK(
        clave_json_get_int(root, "config", "timeout_ms", false, 100, MPC_TIMEOUT_MAX_MS, &v));
    cfg->timeout_ms = v == 0 ? MPC_TIMEOUT_DEFAULT_MS : (int)v;
    if (!cfg->client) {
        CLAVE_CHECK(clave_json_get_int(root, "config", "id", true, 0, 2, &v));
        cfg->id = (unsigned)v;
        CLAVE_CHECK(get_text(root, "config", "listen", true, cfg->listen, MPC_ADDRESS_MAX));
        CLAVE_CHECK(get_text(root, "config", "inputs", true, cfg->inputs, MPC_PATH_MAX));
        CLAVE_CHECK(clave_json_get_bool(root, "config", "test_only_tamper", false, &cfg->tamper));
        CLAVE_CHECK(
            clave_json_get_int(root, "config", "test_only_exit_at_step", false, 0, UINT32_MAX, &v));
        cfg->exit_at_step = (uint32_t)v;
        CLAVE_CHECK(load_clients(root, cfg));
    }
    CLAVE_CHECK(load_nodes(root, cfg));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__mpc_config_load(const char *path, bool client, struct mpc_config *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *text = NULL;
    size_t len = 0;
    json_t *root = NULL;
    memset(out, 0, sizeof(*out));
    out->client = client;
    CLAVE_CHECK_CTX(clave__file_read(path, CONFIG_MAX_BYTES, &text, &len), "mpc config");
    CLAVE_CHECK(clave_json_parse(text, len, NULL, "mpc config", &root));
    CLAVE_CHECK_CTX(load_root(root, out), "%s", path);
    st = CLAVE_OK;
done:
    json_decref(root);
    free(text);
    return st;
}
