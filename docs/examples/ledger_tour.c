/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tour of the audit ledger (docs/ledger.md): append events to a log kept in SQLite, sign a
 * tree head, prove one entry's inclusion, and write what an auditor needs to check it offline.
 *
 *   ledger_tour DIR   writes DIR/log.db, DIR/log-key.pem, DIR/sth.json, DIR/export.jsonl and
 *                     DIR/proof-3.json; then: clave audit verify --log-key DIR/log-key.pem
 *                     --sth DIR/sth.json --export DIR/export.jsonl
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <clave/clave.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(const char *what, clave_status st)
{
    if (st != CLAVE_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, clave_status_str(st), clave_error_last().detail);
        exit(1);
    }
}

static void write_text(const char *dir, const char *name, const char *text, size_t len)
{
    char path[4096];
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* The log key's public half as a PEM "PUBLIC KEY" block. */
static void write_public_pem(const char *dir, const struct clave_pkey *key)
{
    uint8_t spki[128];
    size_t spki_len = 0;
    char b64[256];
    size_t b64_len = 0;
    char pem[512];
    check("spki", clave_pkey_export_spki(key, spki, sizeof(spki), &spki_len));
    check("base64", clave_b64_encode(CLAVE_B64_STD, spki, spki_len, b64, sizeof(b64), &b64_len));
    int n = snprintf(pem, sizeof(pem), "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n",
                     b64);
    write_text(dir, "log-key.pem", pem, (size_t)n);
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/clave-ledger-tour-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
    if (dir == NULL) {
        return 1;
    }
    char db[4096];
    (void)snprintf(db, sizeof(db), "%s/log.db", dir);
    struct clave_store_config cfg = {.backend = CLAVE_STORE_SQLITE, .sqlite_path = db};
    struct clave_store *store = NULL;
    struct clave_ledger *ledger = NULL;
    struct clave_pkey *key = NULL;
    check("store", clave_store_open(&cfg, &store));
    check("ledger", clave_ledger_open(store, &ledger));
    check("log key", clave_pkey_generate(CLAVE_PKEY_ED25519, &key));

    /* 1. Append what happened, before answering anyone. */
    const char *types[] = {"login", "dataset.upload", "contract.sign", "key.release", "job.done"};
    for (size_t i = 0; i < 5; i++) {
        json_t *fields =
            json_pack("{s:s, s:s}", "actor", "alice@hospital-a", "party", "hospital-a");
        char *event = NULL;
        uint64_t index = 0;
        check("event",
              clave_ledger_event_json(types[i], 1763776800000 + (int64_t)i, fields, &event));
        check("append", clave_ledger_append(ledger, (const uint8_t *)event, strlen(event), &index));
        printf("appended #%llu %s\n", (unsigned long long)index, event);
        free(event);
        json_decref(fields);
    }

    /* 2. Sign the head; parties keep it. */
    struct clave_ledger_sth sth;
    char *sth_json = NULL;
    check("checkpoint", clave_ledger_checkpoint(ledger, key, 1763776900000, &sth));
    check("sth json", clave_ledger_sth_to_json(&sth, &sth_json));
    printf("signed tree head: %s\n", sth_json);

    /* 3. What an auditor needs, offline. */
    char *proof = NULL;
    char *export_text = NULL;
    size_t export_len = 0;
    check("proof", clave_ledger_proof_json(ledger, 3, sth.tree_size, &proof));
    check("export", clave_ledger_export(ledger, sth.tree_size, &export_text, &export_len));
    check("verify entry", clave_ledger_verify_entry(proof, strlen(proof), key, &sth));
    check("verify export", clave_ledger_verify_export(export_text, export_len, key, &sth));
    printf("entry #3 is included, and the whole log matches the signed head\n");
    write_public_pem(dir, key);
    write_text(dir, "sth.json", sth_json, strlen(sth_json));
    write_text(dir, "proof-3.json", proof, strlen(proof));
    write_text(dir, "export.jsonl", export_text, export_len);

    free(export_text);
    free(proof);
    free(sth_json);
    clave_pkey_free(key);
    clave_ledger_free(ledger);
    clave_store_close(store);
    return 0;
}
