/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave fl keyholder: the key holder of a paillier FL contract over the coordinator (docs/fl.md
 * "Paillier over the coordinator"). Run by a user of the party the contract names as key_holder,
 * on that party's machine: it verifies the contract itself, generates the run's Paillier key
 * (clave_fl_keyholder_new: the secret key stays in this process), certifies the public key with
 * the party's identity key (a key-holder statement, docs/formats/fl.md), registers both with the
 * coordinator, then decrypts the AGGREGATE messages the coordinator relays and posts each SUM
 * back. What it decrypts is bounded by the key holder object: one aggregate per round, rounds
 * increasing, a count between min_clients and clients_per_round.
 */
#include "collab_cli.h"
#include "fl_cli.h"

#include "remote.h"

#include <clave/collab.h>
#include <clave/contract.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KH_POLL_MS 50
#define KH_DEFAULT_WAIT_S 600
#define PATH_LEN 160

static const char KEYHOLDER_USAGE[] =
    "usage: clave fl keyholder --contract ID --party P SIGNING [--json] [--wait SECONDS]\n"
    "SIGNING is --sign-key KEY.pem (P's private identity key), or, for a key in a token,\n"
    "       --alg EdDSA|ES256 --identity-key PUB.pem --signing-input TBS.bin\n"
    "       --raw-signature SIG.bin\n"
    "       (TBS.bin is written once the key exists; this process then waits for the token's\n"
    "       raw 64-byte signature over it in SIG.bin, checks it under PUB.pem, and goes on)\n"
    "\n"
    "Hold the Paillier key of paillier FL contract ID on the coordinator of the current session\n"
    "(docs/fl.md \"Paillier over the coordinator\"). P must be the party the contract names as\n"
    "key_holder. The contract is fetched and verified here; a fresh Paillier key is generated in\n"
    "this process and never leaves it; its public key is certified with P's identity key (a\n"
    "key-holder statement, which every client checks against P's key in the collaboration's\n"
    "signed membership) and registered with the coordinator, which starts the federation once\n"
    "every client has joined too. Then each round's aggregate (the homomorphic sum of the\n"
    "clients' encrypted updates) is decrypted and its sum sent back: one per round, rounds\n"
    "increasing, only sums of min_clients..clients_per_round updates. One line per round.\n"
    "\n"
    "  --contract ID     the contract id (64 hex digits)\n"
    "  --party P         the contract's key_holder party (the caller's)\n"
    "  --sign-key KEY    P's private identity key (PEM/DER): certifies the Paillier key\n"
    "  --alg A           the token key's COSE algorithm: EdDSA (CKM_EDDSA over TBS.bin) or\n"
    "                    ES256 (CKM_ECDSA over SHA-256 of TBS.bin, raw r||s)\n"
    "  --identity-key K  P's public identity key (PEM/DER), to check the token's signature\n"
    "  --signing-input F where to write the bytes the token must sign\n"
    "  --raw-signature F where the token's signature will appear\n"
    "  --json            JSON lines instead of text\n"
    "  --wait SECONDS    give up when the federation has not started by then (default 600)\n";

struct keyholder {
    const char *contract, *party, *sign_key, *alg, *identity_key, *signing_input, *raw_signature;
    bool json;
    long wait_s;
    struct cli_session s;
    struct clave_contract *c;
    struct clave_fl_contract_spec spec;
    struct clave_fl_keyholder *k;
    uint32_t decrypted;
};

static int kh_args(int argc, char **argv, struct keyholder *k)
{
    static const struct option OPTS[] = {
        {"contract", required_argument, NULL, 'c'},
        {"party", required_argument, NULL, 'p'},
        {"sign-key", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"wait", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {"alg", required_argument, NULL, 'a'},
        {"identity-key", required_argument, NULL, 'i'},
        {"signing-input", required_argument, NULL, 'I'},
        {"raw-signature", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    char *end = NULL;
    k->wait_s = KH_DEFAULT_WAIT_S;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", OPTS, NULL)) != -1) {
        if (opt == 'c') {
            k->contract = optarg;
        } else if (opt == 'p') {
            k->party = optarg;
        } else if (opt == 's') {
            k->sign_key = optarg;
        } else if (opt == 'a') {
            k->alg = optarg;
        } else if (opt == 'i') {
            k->identity_key = optarg;
        } else if (opt == 'I') {
            k->signing_input = optarg;
        } else if (opt == 'R') {
            k->raw_signature = optarg;
        } else if (opt == 'j') {
            k->json = true;
        } else if (opt == 'w') {
            k->wait_s = strtol(optarg, &end, 10);
            if (*end != '\0' || k->wait_s < 1 || k->wait_s > 86400) {
                fprintf(stderr, "clave fl keyholder: --wait: 1..86400 seconds\n");
                return CLI_USAGE;
            }
        } else if (opt == 'h') {
            fputs(KEYHOLDER_USAGE, stdout);
            return 0;
        } else {
            fputs(KEYHOLDER_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    bool token = k->alg != NULL && k->identity_key != NULL && k->signing_input != NULL &&
                 k->raw_signature != NULL;
    bool none = k->alg == NULL && k->identity_key == NULL && k->signing_input == NULL &&
                k->raw_signature == NULL;
    if (optind != argc || k->contract == NULL || k->party == NULL ||
        !((k->sign_key != NULL && none) || (k->sign_key == NULL && token))) {
        fputs(KEYHOLDER_USAGE, stderr);
        return CLI_USAGE;
    }
    return fl_cli_contract_ok(k->contract) ? -1 : CLI_USAGE;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The contract says paillier with this party as key holder. */
static int check_role(const struct keyholder *k)
{
    if (k->spec.run.cfg.protection != CLAVE_FL_PAILLIER) {
        fprintf(stderr, "clave fl keyholder: the contract's protection is %s, not paillier\n",
                clave_fl_protection_name(k->spec.run.cfg.protection));
        return CLI_FAILED;
    }
    if (strcmp(k->spec.key_holder, k->party) != 0) {
        fprintf(stderr, "clave fl keyholder: the contract names %s as key holder, not %s\n",
                k->spec.key_holder, k->party);
        return CLI_FAILED;
    }
    return 0;
}

/* The token path: write the signing input, wait for the raw signature, wrap it (checked under
 * the identity key). The Paillier key stays in this process meanwhile. */
static clave_status token_statement(const struct keyholder *k,
                                    const struct clave_fl_client_claim *claim, uint8_t **out,
                                    size_t *len)
{
    uint8_t *tbs = NULL, *sig = NULL, spki[CLAVE_COLLAB_SPKI_MAX];
    size_t tbs_len = 0, sig_len = 0, spki_len = 0;
    int64_t alg = 0;
    clave_status st = fl_cli_parse_alg(k->alg, &alg);
    st = st == CLAVE_OK ? cli_public_spki_load(k->identity_key, spki, &spki_len) : st;
    st = st == CLAVE_OK ? clave_fl_statement_signing_input(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, claim,
                                                           alg, &tbs, &tbs_len)
                        : st;
    st = st == CLAVE_OK
             ? fl_cli_token_signature("clave fl keyholder", tbs, tbs_len, k->signing_input,
                                      k->raw_signature, k->wait_s * 1000, &sig, &sig_len)
             : st;
    st = st == CLAVE_OK ? clave_fl_statement_assemble(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, claim, alg,
                                                      spki, spki_len, sig, sig_len, out, len)
                        : st;
    free(tbs);
    free(sig);
    return st;
}

/* The key-holder statement for `claim`, by the identity key in a file or in a token. */
static clave_status make_statement(const struct keyholder *k,
                                   const struct clave_fl_client_claim *claim, uint8_t **out,
                                   size_t *len)
{
    struct clave_pkey *id = NULL;
    if (k->sign_key == NULL) {
        return token_statement(k, claim, out, len);
    }
    clave_status st = cli_private_key_load(k->sign_key, &id);
    st = st == CLAVE_OK
             ? clave_fl_statement_sign(CLAVE_FL_STATEMENT_KEYHOLDER_KEY, claim, id, out, len)
             : st;
    clave_pkey_free(id);
    return st;
}

/* The registration body: the public key and its key-holder statement (base64url). */
static clave_status registration(struct keyholder *k, char **text)
{
    uint8_t *pub = NULL, *statement = NULL, digest[CLAVE_FL_CLIENT_KEY_LEN];
    size_t pub_len = 0, statement_len = 0;
    char *pub64 = NULL, *st64 = NULL;
    struct clave_fl_client_claim claim = {clave_contract_collaboration(k->c),
                                          clave_contract_id(k->c), k->party, digest};
    *text = NULL;
    clave_status st = clave_fl_keyholder_new(&k->spec.run.cfg, &k->k);
    st = st == CLAVE_OK ? clave_fl_keyholder_public_key(k->k, &pub, &pub_len) : st;
    st = st == CLAVE_OK ? clave_fl_keyholder_key_digest(pub, pub_len, digest) : st;
    st = st == CLAVE_OK ? make_statement(k, &claim, &statement, &statement_len) : st;
    st = st == CLAVE_OK ? clave_b64_encode_alloc(CLAVE_B64URL, pub, pub_len, &pub64) : st;
    st =
        st == CLAVE_OK ? clave_b64_encode_alloc(CLAVE_B64URL, statement, statement_len, &st64) : st;
    json_t *body =
        st == CLAVE_OK ? json_pack("{s:s,s:s}", "public_key", pub64, "statement", st64) : NULL;
    *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    if (st == CLAVE_OK && *text == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    json_decref(body);
    free(pub);
    free(statement);
    free(pub64);
    free(st64);
    return st;
}

static int register_key(struct keyholder *k)
{
    char *text = NULL, path[PATH_LEN];
    struct cli_response r = {0};
    int rc = CLI_FAILED;
    clave_status st = registration(k, &text);
    snprintf(path, sizeof(path), "/v1/fl/%s/keyholder", k->contract);
    if (st != CLAVE_OK) {
        rc = cli_fail("fl keyholder", st);
    } else if ((st = cli_request(&k->s, "POST", path, text, &r)) != CLAVE_OK) {
        rc = cli_fail("fl keyholder", st);
    } else if (r.status != 201) {
        rc = cli_http_fail("fl keyholder", &r);
    } else {
        rc = 0;
    }
    cli_response_free(&r);
    free(text);
    return rc;
}

/* Decrypt one AGGREGATE and post the SUM; a refused aggregate is reported and not answered
 * (the coordinator's phase then times out and the round aborts, model unchanged). */
static void decrypt(struct keyholder *k, const uint8_t *msg, size_t len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    uint32_t client = 0, round = 0;
    char path[PATH_LEN];
    struct cli_response r = {0};
    if (clave_fl_message_peek(msg, len, &client, &round) != CLAVE_OK) {
        round = 0; /* malformed: the key holder object refuses it below */
    }
    clave_status st = clave_fl_keyholder_handle(k->k, msg, len, &out, &out_len);
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave fl keyholder: aggregate refused: %s (%s)\n", clave_status_str(st),
                clave_error_last().detail);
        return;
    }
    snprintf(path, sizeof(path), "/v1/fl/%s/keyholder/message", k->contract);
    st = cli_request_bytes(&k->s, "POST", path, out, out_len, &r);
    if (st != CLAVE_OK) {
        (void)cli_fail("fl keyholder: sum", st);
    } else if (r.status != 202) {
        (void)cli_http_fail("fl keyholder: sum", &r);
    } else {
        k->decrypted++;
        if (k->json) {
            printf("{\"round\":%u,\"decrypted\":true}\n", round);
        } else {
            printf("round %u: sum decrypted\n", round);
        }
        fflush(stdout);
    }
    cli_response_free(&r);
    free(out);
}

/* Poll until the federation is over (410); give up if it never starts. */
static int serve(struct keyholder *k)
{
    char path[PATH_LEN];
    time_t until = time(NULL) + k->wait_s;
    snprintf(path, sizeof(path), "/v1/fl/%s/keyholder/message", k->contract);
    for (;;) {
        struct cli_response r = {0};
        clave_status st = cli_request(&k->s, "GET", path, NULL, &r);
        if (st != CLAVE_OK) {
            return cli_fail("fl keyholder: message", st);
        }
        long status = r.status;
        json_t *doc = status != 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
        const char *state = json_string_value(json_object_get(doc, "state"));
        bool joining = state != NULL && strcmp(state, "joining") == 0;
        if (status == 200) {
            decrypt(k, (const uint8_t *)r.body, r.len);
        } else if (status == 410) {
            const char *reason = json_string_value(json_object_get(doc, "reason"));
            if (!k->json) {
                printf("federation %s: %s (%u sums decrypted)\n", state != NULL ? state : "?",
                       reason != NULL ? reason : "", k->decrypted);
            }
        } else if (status != 202) {
            (void)cli_http_fail("fl keyholder: message", &r);
        }
        json_decref(doc);
        cli_response_free(&r);
        if (status == 410) {
            return 0;
        }
        if (status != 200 && status != 202) {
            return CLI_FAILED;
        }
        if (joining && time(NULL) > until) {
            fprintf(stderr, "clave fl keyholder: the federation did not start in %lds\n",
                    k->wait_s);
            return CLI_FAILED;
        }
        if (status == 202) {
            sleep_ms(KH_POLL_MS);
        }
    }
}

int fl_keyholder(int argc, char **argv)
{
    struct keyholder k;
    memset(&k, 0, sizeof(k));
    int rc = kh_args(argc, argv, &k);
    if (rc >= 0) {
        return rc;
    }
    if (cli_session_load(&k.s) != CLAVE_OK) {
        return CLI_FAILED;
    }
    if ((rc = fl_cli_contract_load(&k.s, k.contract, &k.c, &k.spec)) == 0 &&
        (rc = check_role(&k)) == 0 && (rc = register_key(&k)) == 0) {
        if (!k.json) {
            printf("fl %s: key holder %s registered a %u-bit Paillier key; waiting for rounds\n",
                   k.spec.run.name, k.party, k.spec.run.cfg.paillier_bits);
            fflush(stdout);
        }
        rc = serve(&k);
    }
    clave_fl_keyholder_free(k.k);
    clave_contract_free(k.c);
    cli_session_free(&k.s);
    return rc;
}
