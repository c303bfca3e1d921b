/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FL client keys certified by party identity keys (docs/fl.md "Over the coordinator", "Client
 * keys"): the membership a client verifies itself (the coordinator's history replayed statement
 * by statement, anchored to the identity keys of the contract's signers, which the contract id
 * the user typed pins), the check of every directory entry against it, and `clave fl certify`,
 * which makes a client-key statement with an identity key in a file or in a token (PKCS#11).
 */
#include "collab_cli.h"
#include "fl_cli.h"

#include <clave/collab.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HISTORY_MAX (8u * 1024u * 1024u)
#define PATH_LEN 160

/* Replay the statements of a GET /v1/collaborations/{c} answer into a new history. */
static clave_status replay(const json_t *doc, const char *name, struct clave_collab **out)
{
    const json_t *s = NULL;
    size_t i = 0;
    clave_status st = clave_collab_new(name, out);
    json_array_foreach (json_object_get(doc, "statements"), i, s) {
        uint8_t *cose = NULL;
        size_t n = 0;
        if (st == CLAVE_OK) {
            st = cli_json_b64(s, "statement", CLAVE_B64URL, &cose, &n);
        }
        if (st == CLAVE_OK) {
            st = clave_collab_append(*out, cose, n);
        }
        free(cose);
    }
    if (st != CLAVE_OK) {
        clave_collab_free(*out);
        *out = NULL;
    }
    return st;
}

/* Every contract signer that is a current member has the key it signed the contract with. */
static int anchored(const struct clave_collab *m, const struct clave_contract *c)
{
    for (size_t i = 0; i < clave_contract_signer_count(c); i++) {
        struct clave_contract_signer s = clave_contract_signer(c, i);
        struct clave_collab_member x;
        if (clave_collab_find(m, s.party, &x) == CLAVE_OK &&
            !clave_collab_key_matches(m, s.party, s.spki, s.spki_len)) {
            fprintf(stderr,
                    "clave fl join: the coordinator's membership gives %s another identity key "
                    "than the one it signed the contract with; refusing to proceed\n",
                    s.party);
            return CLI_FAILED;
        }
    }
    return 0;
}

int fl_cli_membership(const struct cli_session *s, const struct clave_contract *c,
                      struct clave_collab **out)
{
    char path[PATH_LEN];
    struct cli_response r = {0};
    json_t *doc = NULL;
    int rc = CLI_FAILED;
    const char *name = clave_contract_collaboration(c);
    *out = NULL;
    snprintf(path, sizeof(path), "/v1/collaborations/%s", name);
    clave_status st = cli_request(s, "GET", path, NULL, &r);
    if (st != CLAVE_OK) {
        rc = cli_fail("fl join: membership", st);
    } else if (r.status != 200) {
        rc = cli_http_fail("fl join: membership", &r);
    } else if (r.len > HISTORY_MAX ||
               (doc = json_loadb(r.body, r.len, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
        rc = cli_fail("fl join: membership", CLAVE_ERR_JSON);
    } else if ((st = replay(doc, name, out)) != CLAVE_OK) {
        rc = cli_fail("fl join: membership (verified here, statement by statement)", st);
    } else if ((rc = anchored(*out, c)) != 0) {
        clave_collab_free(*out);
        *out = NULL;
    }
    json_decref(doc);
    cli_response_free(&r);
    return rc;
}

int fl_cli_check_entry(const struct clave_collab *m, const struct clave_contract *c,
                       uint32_t client, const char *party, const uint8_t *key, size_t key_len,
                       const uint8_t *statement, size_t statement_len)
{
    struct clave_collab_member x;
    if (party == NULL || clave_collab_find(m, party, &x) != CLAVE_OK) {
        fprintf(stderr,
                "clave fl join: directory entry %u: party %s is not a member of %s; refusing to "
                "proceed\n",
                client, party != NULL ? party : "(none)", clave_contract_collaboration(c));
        return CLI_FAILED;
    }
    struct clave_fl_client_claim claim = {clave_contract_collaboration(c), clave_contract_id(c),
                                          party, key};
    clave_status st =
        key_len == CLAVE_FL_CLIENT_KEY_LEN
            ? clave_fl_client_cert_verify(statement, statement_len, &claim, x.spki, x.spki_len)
            : CLAVE_ERR_FORMAT;
    if (st != CLAVE_OK) {
        fprintf(stderr,
                "clave fl join: directory entry %u: the client key of party %s is not certified "
                "by %s's identity key (%s: %s); the coordinator may have substituted it; refusing "
                "to proceed\n",
                client, party, party, clave_status_str(st), clave_error_last().detail);
        return CLI_FAILED;
    }
    return 0;
}

int fl_cli_check_keyholder(const struct clave_collab *m, const struct clave_contract *c,
                           const char *key_holder, const json_t *entry, uint8_t **pub,
                           size_t *pub_len)
{
    struct clave_collab_member x;
    uint8_t *statement = NULL, digest[CLAVE_FL_CLIENT_KEY_LEN];
    size_t statement_len = 0;
    const char *party = json_string_value(json_object_get(entry, "party"));
    *pub = NULL;
    *pub_len = 0;
    /* The contract (verified here) names the key holder, not the coordinator's answer. */
    if (party == NULL || strcmp(party, key_holder) != 0 ||
        clave_collab_find(m, key_holder, &x) != CLAVE_OK) {
        fprintf(stderr,
                "clave fl join: the Paillier key is not from key holder %s, a member of %s (the "
                "coordinator names %s); refusing to proceed\n",
                key_holder, clave_contract_collaboration(c), party != NULL ? party : "(none)");
        return CLI_FAILED;
    }
    struct clave_fl_client_claim claim = {clave_contract_collaboration(c), clave_contract_id(c),
                                          key_holder, digest};
    clave_status st = cli_json_b64(entry, "public_key", CLAVE_B64URL, pub, pub_len);
    st = st == CLAVE_OK ? cli_json_b64(entry, "statement", CLAVE_B64URL, &statement, &statement_len)
                        : st;
    st = st == CLAVE_OK ? clave_fl_keyholder_key_digest(*pub, *pub_len, digest) : st;
    st = st == CLAVE_OK ? clave_fl_statement_verify(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, statement,
                                                    statement_len, &claim, x.spki, x.spki_len)
                        : st;
    free(statement);
    if (st != CLAVE_OK) {
        fprintf(stderr,
                "clave fl join: the Paillier key is not certified by key holder %s's identity key "
                "(%s: %s); the coordinator may have substituted it; refusing to proceed\n",
                key_holder, clave_status_str(st), clave_error_last().detail);
        free(*pub);
        *pub = NULL;
        *pub_len = 0;
        return CLI_FAILED;
    }
    return 0;
}

/* ---- clave fl certify ------------------------------------------------------------------- */

static const char CERTIFY_USAGE[] =
    "usage: clave fl certify --contract ID --collab C --party P --client-key CLIENT.pem SIGNING\n"
    "                        [--out STATEMENT.cose]\n"
    "SIGNING is one of\n"
    "       --sign-key KEY.pem          P's private identity key (PEM/DER)\n"
    "       --alg EdDSA|ES256 --signing-input TBS.bin\n"
    "                                   write the bytes a token must sign, nothing else\n"
    "       --alg EdDSA|ES256 --identity-key PUB.pem --raw-signature SIG.bin\n"
    "                                   wrap the token's raw 64-byte signature (checked)\n"
    "\n"
    "Certify the Ed25519 key of one FL client of party P for contract ID (of collaboration C)\n"
    "with P's identity key: a client-key statement (docs/formats/fl.md) for\n"
    "'clave fl join --client-key CLIENT.pem --statement STATEMENT.cose'. CLIENT.pem is a fresh\n"
    "Ed25519 key (openssl genpkey -algorithm ed25519). For a token key (PKCS#11): Ed25519 signs\n"
    "with CKM_EDDSA over TBS.bin, P-256 with CKM_ECDSA_SHA256 (raw r||s).\n";

struct certify {
    const char *contract, *collab, *party, *client_key, *sign_key, *alg, *signing_input;
    const char *identity_key, *raw_signature, *out;
};

static int certify_args(int argc, char **argv, struct certify *a)
{
    static const struct option OPTS[] = {
        {"contract", required_argument, NULL, 'c'},
        {"collab", required_argument, NULL, 'C'},
        {"party", required_argument, NULL, 'p'},
        {"client-key", required_argument, NULL, 'k'},
        {"sign-key", required_argument, NULL, 's'},
        {"alg", required_argument, NULL, 'a'},
        {"signing-input", required_argument, NULL, 'I'},
        {"identity-key", required_argument, NULL, 'i'},
        {"raw-signature", required_argument, NULL, 'R'},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **slot[128] = {NULL};
    slot['c'] = &a->contract;
    slot['C'] = &a->collab;
    slot['p'] = &a->party;
    slot['k'] = &a->client_key;
    slot['s'] = &a->sign_key;
    slot['a'] = &a->alg;
    slot['I'] = &a->signing_input;
    slot['i'] = &a->identity_key;
    slot['R'] = &a->raw_signature;
    slot['o'] = &a->out;
    int opt = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        if (opt == 'h') {
            fputs(CERTIFY_USAGE, stdout);
            return 0;
        }
        if (opt < 0 || opt >= 128 || slot[opt] == NULL) {
            fputs(CERTIFY_USAGE, stderr);
            return CLI_USAGE;
        }
        *slot[opt] = optarg;
    }
    int paths = (a->sign_key != NULL) + (a->signing_input != NULL) + (a->raw_signature != NULL);
    if (optind != argc || a->contract == NULL || a->collab == NULL || a->party == NULL ||
        a->client_key == NULL || paths != 1 || (a->sign_key == NULL && a->alg == NULL) ||
        (a->raw_signature != NULL && a->identity_key == NULL) ||
        (a->signing_input == NULL && a->out == NULL)) {
        fputs(CERTIFY_USAGE, stderr);
        return CLI_USAGE;
    }
    return fl_cli_contract_ok(a->contract) ? -1 : CLI_USAGE;
}

clave_status fl_cli_parse_alg(const char *alg, int64_t *out)
{
    *out = strcmp(alg, "EdDSA") == 0   ? CLAVE_COSE_ALG_EDDSA
           : strcmp(alg, "ES256") == 0 ? CLAVE_COSE_ALG_ES256
                                       : 0;
    if (*out == 0) {
        fprintf(stderr, "clave fl: --alg EdDSA or ES256\n");
        return CLAVE_ERR_ARG;
    }
    return CLAVE_OK;
}

/* The statement (or the signing input) for `claim` by the chosen path. */
static clave_status certify_make(const struct certify *a, const struct clave_fl_client_claim *claim,
                                 uint8_t **out, size_t *len)
{
    struct clave_pkey *id = NULL;
    uint8_t *sig = NULL, spki[CLAVE_COLLAB_SPKI_MAX];
    size_t sig_len = 0, spki_len = 0;
    int64_t alg = 0;
    clave_status st = CLAVE_OK;
    if (a->sign_key != NULL) {
        st = cli_private_key_load(a->sign_key, &id);
        st = st == CLAVE_OK ? clave_fl_client_cert_sign(claim, id, out, len) : st;
        clave_pkey_free(id);
        return st;
    }
    if ((st = fl_cli_parse_alg(a->alg, &alg)) != CLAVE_OK) {
        return st;
    }
    if (a->signing_input != NULL) {
        return clave_fl_client_cert_signing_input(claim, alg, out, len);
    }
    st = cli_public_spki_load(a->identity_key, spki, &spki_len);
    st = st == CLAVE_OK ? cli_file_read(a->raw_signature, 1024, &sig, &sig_len) : st;
    st = st == CLAVE_OK
             ? clave_fl_client_cert_assemble(claim, alg, spki, spki_len, sig, sig_len, out, len)
             : st;
    free(sig);
    return st;
}

int fl_certify(int argc, char **argv)
{
    struct certify a;
    struct clave_pkey *client = NULL;
    uint8_t contract[CLAVE_FL_CONTRACT_ID_LEN], key[CLAVE_FL_CLIENT_KEY_LEN], *out = NULL;
    size_t key_len = 0, len = 0, id_len = 0;
    memset(&a, 0, sizeof(a));
    int rc = certify_args(argc, argv, &a);
    if (rc >= 0) {
        return rc;
    }
    clave_status st =
        clave_hex_decode(a.contract, strlen(a.contract), contract, sizeof(contract), &id_len);
    st = st == CLAVE_OK ? cli_private_key_load(a.client_key, &client) : st;
    if (st == CLAVE_OK && clave_pkey_type(client) != CLAVE_PKEY_ED25519) {
        fprintf(stderr, "clave fl certify: --client-key: an Ed25519 key\n");
        st = CLAVE_ERR_KEY;
    }
    st = st == CLAVE_OK ? clave_pkey_export_raw_public(client, key, sizeof(key), &key_len) : st;
    clave_pkey_free(client);
    struct clave_fl_client_claim claim = {a.collab, contract, a.party, key};
    st = st == CLAVE_OK ? certify_make(&a, &claim, &out, &len) : st;
    const char *dest = a.signing_input != NULL ? a.signing_input : a.out;
    st = st == CLAVE_OK ? cli_file_write(dest, out, len) : st;
    free(out);
    if (st != CLAVE_OK) {
        return cli_fail("fl certify", st);
    }
    printf("wrote %zu bytes (%s) to %s\n", len,
           a.signing_input != NULL ? "to be signed" : "client-key statement", dest);
    return 0;
}

#define TOKEN_POLL_MS 50

static void token_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

clave_status fl_cli_token_signature(const char *who, const uint8_t *tbs, size_t tbs_len,
                                    const char *signing_input, const char *raw_signature,
                                    long wait_ms, uint8_t **sig, size_t *sig_len)
{
    FILE *f = NULL;
    long waited = 0;
    *sig = NULL;
    *sig_len = 0;
    (void)remove(raw_signature); /* only a signature over this signing input counts */
    clave_status st = cli_file_write(signing_input, tbs, tbs_len);
    if (st == CLAVE_OK) {
        /* stderr: stdout may carry JSON lines (--json) */
        fprintf(stderr, "%s: wrote the signing input to %s; waiting for the raw signature in %s\n",
                who, signing_input, raw_signature);
    }
    while (st == CLAVE_OK && (f = fopen(raw_signature, "rb")) == NULL) {
        if (waited > wait_ms) {
            fprintf(stderr, "%s: no signature in %s after %ld ms\n", who, raw_signature, waited);
            st = CLAVE_ERR_NOT_FOUND;
        }
        token_sleep_ms(TOKEN_POLL_MS);
        waited += TOKEN_POLL_MS;
    }
    if (f != NULL) {
        fclose(f);
        token_sleep_ms(TOKEN_POLL_MS); /* let the signer finish writing its 64 bytes */
        st = cli_file_read(raw_signature, 1024, sig, sig_len);
    }
    return st;
}
