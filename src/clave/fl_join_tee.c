/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave fl join --aggregator HOST:PORT: one FL client of the caller's party for an FL contract
 * whose aggregation runs in an attested clave-runner (docs/fl.md "Aggregation in an attested
 * runner"). The client verifies the contract bundle itself, connects with RA-TLS and sends
 * nothing unless the aggregator's evidence verifies under the party's attestation policy, binds
 * the TLS key, and matches a workload (measurement) of the contract, and the aggregator says it
 * serves this contract. It answers the HELLO with a JOIN signed by the party's identity key over
 * the HELLO's challenge and the hash of the certificate it appraised (so the runner admits only
 * contract parties, on this channel only). Then it answers the aggregator's messages with
 * clave_fl_client_handle (local training, evaluation) until the END frame.
 */
#include "fl_tee.h"

#include "collab_cli.h"
#include "he_cli.h"
#include "remote.h"

#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEE_DEFAULT_WAIT_S 600
#define POLICY_MAX (1u << 20)
#define BUNDLE_MAX (4u << 20)
#define PATH_LEN 160
#define TOKEN_WAIT_MS 8000 /* the runner waits 10 s for the JOIN */

static const char TEE_USAGE[] =
    "usage: clave fl join --contract ID --data FILE --aggregator HOST:PORT --attest-policy FILE\n"
    "                     --party P (--sign-key KEY.pem | --alg ALG --identity-key PUB.pem\n"
    "                     --signing-input FILE --raw-signature FILE) [--collateral DIR]\n"
    "                     [--bundle FILE] [--json] [--wait SECONDS]\n"
    "\n"
    "Run one federated-learning client of your party for FL contract ID whose aggregation runs\n"
    "in an attested clave-runner (spec protection \"tee\"; docs/fl.md \"Aggregation in an\n"
    "attested runner\"). The contract bundle (--bundle FILE, or fetched from the coordinator of\n"
    "the current session) is verified here: all approvals, this id, active, kind fl, protection\n"
    "tee. The aggregator at HOST:PORT is accepted only if its RA-TLS certificate carries\n"
    "evidence that verifies under your attestation policy, binds the TLS key, and matches a\n"
    "workload (measurement, TCB) the contract accepts, and it says it serves this contract;\n"
    "otherwise nothing is sent. FILE (this party's CSV in the contract's schema) never leaves\n"
    "this process: the aggregator gets model updates and evaluation counts only.\n"
    "The aggregator admits the client only with a JOIN signed by P's identity key (the key the\n"
    "contract names for P) over its fresh challenge and the certificate appraised here; P must\n"
    "own a dataset of the contract.\n"
    "\n"
    "  --contract ID         the contract id (64 hex digits)\n"
    "  --data FILE           this party's training data (CSV)\n"
    "  --aggregator H:P      the attested aggregator (clave-runner fl --listen H:P)\n"
    "  --party P             this client's party (a signer owning a dataset of the contract)\n"
    "  --sign-key KEY        P's private identity key (PEM/DER): signs the JOIN\n"
    "  Identity key in a token (PKCS#11) instead of --sign-key: after the HELLO the client\n"
    "  writes the JOIN's signing input to --signing-input and waits up to 8 s (the runner\n"
    "  allows 10) for the token's raw signature (64 bytes) in --raw-signature, which it checks\n"
    "  under --identity-key (P's public key, as in the contract) before sending.\n"
    "  --alg ALG             EdDSA (Ed25519) or ES256 (P-256): the token key's algorithm\n"
    "  --identity-key PUB    P's public identity key (PEM/DER)\n"
    "  --signing-input FILE  where the bytes to sign are written\n"
    "  --raw-signature FILE  where the token's signature is expected\n"
    "  --attest-policy FILE  attestation policy JSON: the TEE roots you trust (for simulated\n"
    "                        evidence the sim dev root: development only)\n"
    "  --collateral DIR      extra attestation collateral (VCEK, ...)\n"
    "  --bundle FILE         the contract bundle (default: from the coordinator)\n"
    "  --json                JSON lines instead of text\n"
    "  --wait SECONDS        longest wait for any message of the aggregator (default 600)\n"
    "  --drop-after N        tests only: disconnect when round N+1's model arrives\n";

struct tee_join {
    const char *contract, *data, *aggregator, *policy_path, *collateral, *bundle_path, *party,
        *sign_key, *alg, *identity_key, *signing_input, *raw_signature;
    bool json;
    long wait_s, drop_after;
    struct clave_contract *c;
    struct clave_fl_contract_spec spec;
    struct clave_attest_policy *policy;
    struct fl_cli_data d;
    struct clave_pkey *identity;   /* this run's client key (plain mode: never used to sign) */
    struct clave_pkey *party_key;  /* --sign-key: signs the JOIN */
    const struct clave_pkey **dir; /* all NULL: plain updates need no client keys */
    struct clave_fl_client *client;
    struct fl_tee_link link;
};

static int parse_long(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *end = NULL;
    *out = strtol(v, &end, 10);
    if (*end != '\0' || *out < lo || *out > hi) {
        fprintf(stderr, "clave fl join: %s: %ld..%ld\n", opt, lo, hi);
        return CLI_USAGE;
    }
    return -1;
}

static int parse_args(int argc, char **argv, struct tee_join *j)
{
    static const struct option LONG_OPTIONS[] = {
        {"contract", required_argument, NULL, 'c'},
        {"data", required_argument, NULL, 'd'},
        {"aggregator", required_argument, NULL, 'a'},
        {"attest-policy", required_argument, NULL, 'p'},
        {"collateral", required_argument, NULL, 'C'},
        {"bundle", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {"wait", required_argument, NULL, 'w'},
        {"drop-after", required_argument, NULL, 'D'},
        {"party", required_argument, NULL, 'P'},
        {"sign-key", required_argument, NULL, 's'},
        {"alg", required_argument, NULL, 'A'},
        {"identity-key", required_argument, NULL, 'I'},
        {"signing-input", required_argument, NULL, 'S'},
        {"raw-signature", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **targets[] = {&j->contract,     &j->data,          &j->aggregator,
                              &j->policy_path,  &j->collateral,    &j->bundle_path,
                              &j->party,        &j->sign_key,      &j->alg,
                              &j->identity_key, &j->signing_input, &j->raw_signature};
    const char letters[] = "cdapCbPsAISR";
    int opt = 0, rc = -1;
    j->wait_s = TEE_DEFAULT_WAIT_S;
    j->drop_after = -1;
    optind = 1;
    while (rc < 0 && (opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        const char *at = opt > 0 ? strchr(letters, opt) : NULL;
        if (at != NULL) {
            *targets[at - letters] = optarg;
        } else if (opt == 'j') {
            j->json = true;
        } else if (opt == 'w') {
            rc = parse_long("--wait", optarg, 1, 86400, &j->wait_s);
        } else if (opt == 'D') {
            rc = parse_long("--drop-after", optarg, 0, 100000, &j->drop_after);
        } else if (opt == 'h') {
            fputs(TEE_USAGE, stdout);
            return 0;
        } else {
            fputs(TEE_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (rc >= 0) {
        return rc;
    }
    if (j->contract == NULL || j->data == NULL || j->aggregator == NULL || j->policy_path == NULL ||
        j->party == NULL || optind != argc ||
        (j->sign_key == NULL) == (j->alg == NULL || j->identity_key == NULL ||
                                  j->signing_input == NULL || j->raw_signature == NULL) ||
        (j->sign_key != NULL && (j->alg != NULL || j->identity_key != NULL ||
                                 j->signing_input != NULL || j->raw_signature != NULL))) {
        fputs(TEE_USAGE, stderr);
        return CLI_USAGE;
    }
    return fl_cli_contract_ok(j->contract) ? -1 : CLI_USAGE;
}

/* The bundle bytes: --bundle FILE, or GET /v1/contracts/ID/bundle (verified below either way). */
static clave_status bundle_bytes(const struct tee_join *j, uint8_t **out, size_t *len)
{
    struct cli_session s = {0};
    struct cli_response r = {0};
    char path[PATH_LEN];
    if (j->bundle_path != NULL) {
        return cli_he_read_file(j->bundle_path, BUNDLE_MAX, out, len);
    }
    clave_status st = cli_session_load(&s);
    snprintf(path, sizeof(path), "/v1/contracts/%s/bundle", j->contract);
    st = st == CLAVE_OK ? cli_request(&s, "GET", path, NULL, &r) : st;
    json_t *doc = st == CLAVE_OK && r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    const char *b64 = json_string_value(json_object_get(doc, "bundle"));
    if (st == CLAVE_OK && r.status != 200) {
        (void)cli_http_fail("fl join: contract", &r);
        st = CLAVE_ERR_NOT_FOUND;
    } else if (st == CLAVE_OK) {
        st = b64 == NULL ? CLAVE_ERR_FORMAT
                         : clave_b64_decode_alloc(CLAVE_B64URL, b64, strlen(b64), out, len);
    }
    json_decref(doc);
    cli_response_free(&r);
    cli_session_free(&s);
    return st;
}

/* The contract, verified here: signatures, this id, active now, kind fl, protection tee. */
static int load_contract(struct tee_join *j)
{
    uint8_t *bundle = NULL;
    size_t len = 0;
    char hex[65];
    struct clave_contract_verdict v;
    clave_status st = bundle_bytes(j, &bundle, &len);
    st = st == CLAVE_OK ? clave_contract_bundle_parse(bundle, len, &j->c) : st;
    free(bundle);
    st = st == CLAVE_OK ? clave_hex_encode(clave_contract_id(j->c), 32, hex, sizeof(hex)) : st;
    if (st != CLAVE_OK) {
        return cli_fail("fl join: contract", st);
    }
    clave_contract_status(j->c, (uint64_t)time(NULL), &v);
    if (strcmp(hex, j->contract) != 0) {
        fprintf(stderr, "clave fl join: the bundle is another contract (%.16s…)\n", hex);
        return CLI_FAILED;
    }
    if (v.state != CLAVE_CONTRACT_ACTIVE) {
        fprintf(stderr, "clave fl join: the contract is %s (%s)\n",
                clave_contract_state_name(v.state), v.reason);
        return CLI_FAILED;
    }
    if ((st = clave_fl_contract_spec_of(j->c, &j->spec)) != CLAVE_OK) {
        return cli_fail("fl join: contract", st);
    }
    if (!j->spec.tee) {
        fprintf(stderr, "clave fl join: the contract's aggregation runs on the coordinator: "
                        "join without --aggregator\n");
        return CLI_FAILED;
    }
    return 0;
}

static int load_policy(struct tee_join *j)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char *dir = strdup(j->policy_path);
    clave_status st =
        dir != NULL ? cli_he_read_file(j->policy_path, POLICY_MAX, &text, &len) : CLAVE_ERR_NOMEM;
    st = st == CLAVE_OK
             ? clave_attest_policy_parse((const char *)text, len, dirname(dir), &j->policy)
             : st;
    free(text);
    free(dir);
    return st == CLAVE_OK ? 0 : cli_fail(j->policy_path, st);
}

/* The party's data and its identity key (before anything goes on the network). */
static int load_data(struct tee_join *j)
{
    int rc = fl_cli_load_party(&j->spec.run, j->data, &j->d);
    clave_status st = rc == 0 && j->sign_key != NULL
                          ? cli_private_key_load(j->sign_key, &j->party_key)
                          : CLAVE_OK;
    return rc != 0 ? rc : st == CLAVE_OK ? 0 : cli_fail(j->sign_key, st);
}

/* The JOIN signed by the party's key in a token: the signing input out, the raw signature in,
 * checked under the party's public key before it is framed. The runner waits 10 s for a JOIN. */
static clave_status token_join(const struct tee_join *j, const struct clave_fl_join_claim *claim,
                               uint8_t **msg, size_t *len)
{
    uint8_t *tbs = NULL, *sig = NULL, spki[CLAVE_COLLAB_SPKI_MAX];
    size_t tbs_len = 0, sig_len = 0, spki_len = 0;
    int64_t alg = 0;
    clave_status st = fl_cli_parse_alg(j->alg, &alg);
    st = st == CLAVE_OK ? cli_public_spki_load(j->identity_key, spki, &spki_len) : st;
    st = st == CLAVE_OK ? clave_fl_join_signing_input(claim, alg, &tbs, &tbs_len) : st;
    st = st == CLAVE_OK ? fl_cli_token_signature("clave fl join", tbs, tbs_len, j->signing_input,
                                                 j->raw_signature, TOKEN_WAIT_MS, &sig, &sig_len)
                        : st;
    st = st == CLAVE_OK ? clave_fl_join_assemble(claim, alg, spki, spki_len, sig, sig_len, msg, len)
                        : st;
    free(tbs);
    free(sig);
    return st;
}

/* JOIN: the party's signature over the HELLO's challenge, the certificate appraised, the
 * contract and the client id (the runner checks it against the contract's key for the party). */
static int send_join(struct tee_join *j, const struct clave_fl_hello *h)
{
    uint8_t *msg = NULL;
    size_t len = 0;
    struct clave_fl_join_claim claim = {j->party, h->challenge, j->link.cert_sha256, h->contract_id,
                                        h->client};
    clave_status st = j->party_key != NULL ? clave_fl_join_encode(&claim, j->party_key, &msg, &len)
                                           : token_join(j, &claim, &msg, &len);
    if (st != CLAVE_OK) {
        free(msg);
        return cli_fail("fl join: JOIN", st);
    }
    bool sent = fl_tee_send(&j->link, msg, len);
    free(msg);
    if (!sent) {
        fprintf(stderr, "clave fl join: the aggregator closed the link before the JOIN\n");
        return CLI_FAILED;
    }
    return 0;
}

/* The HELLO: the aggregator (measured code, over the attested channel) serves this contract and
 * gives this client its id and a challenge, answered by the JOIN. Then the client object. */
static int hello(struct tee_join *j)
{
    uint8_t *msg = NULL;
    size_t len = 0;
    struct clave_fl_hello h;
    const struct clave_fl_config *c = &j->spec.run.cfg;
    clave_status st =
        fl_tee_recv(&j->link, &msg, &len) ? clave_fl_hello_parse(msg, len, &h) : CLAVE_ERR_IO;
    free(msg);
    if (st != CLAVE_OK) {
        return cli_fail("fl join: the aggregator's hello", st);
    }
    if (!clave_ct_equal(h.contract_id, clave_contract_id(j->c), CLAVE_FL_CONTRACT_ID_LEN) ||
        h.clients != c->clients || h.rounds != c->rounds) {
        fprintf(stderr, "clave fl join: refused: the aggregator serves another contract or "
                        "federation; nothing was sent\n");
        return CLI_FAILED;
    }
    int rc = send_join(j, &h);
    if (rc != 0) {
        return rc;
    }
    j->dir = calloc(c->clients, sizeof(*j->dir));
    st = j->dir != NULL ? clave_pkey_generate(CLAVE_PKEY_ED25519, &j->identity) : CLAVE_ERR_NOMEM;
    st = st == CLAVE_OK ? clave_fl_client_new(c, h.client, j->identity, j->dir, j->d.train[0],
                                              j->d.test[0], &j->client)
                        : st;
    if (st != CLAVE_OK) {
        return cli_fail("fl join: client", st);
    }
    if (j->json) {
        printf("{\"client\":%u,\"clients\":%u,\"attested\":true}\n", h.client, h.clients);
    } else {
        printf("fl %s: client %u of %u, %zu training rows; aggregator attested (a workload of "
               "the contract)\n",
               j->spec.run.name, h.client, h.clients, clave_ml_dataset_rows(j->d.train[0]));
    }
    fflush(stdout);
    return 0;
}

static int end(const struct tee_join *j, const uint8_t *msg, size_t len)
{
    static const char *const WHY[] = {"all rounds done", "privacy budget spent",
                                      "the aggregator failed"};
    uint32_t rounds = 0;
    clave_fl_end_reason reason = CLAVE_FL_END_FAILED;
    clave_status st = clave_fl_end_parse(msg, len, &rounds, &reason);
    if (st != CLAVE_OK) {
        return cli_fail("fl join: the aggregator's end", st);
    }
    if (j->json) {
        printf("{\"state\":\"%s\",\"rounds\":%u}\n",
               reason == CLAVE_FL_END_FAILED ? "failed" : "done", rounds);
    } else {
        printf("federation over after %u round(s): %s\n", rounds, WHY[reason]);
    }
    return reason == CLAVE_FL_END_FAILED ? CLI_FAILED : 0;
}

/* One message: handle it and send the answer (empty when the client refused it). */
static bool answer(struct tee_join *j, const uint8_t *msg, size_t len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    uint32_t id = 0, round = 0;
    if (clave_fl_message_peek(msg, len, &id, &round) == CLAVE_OK && j->drop_after >= 0 &&
        round > (uint32_t)j->drop_after) {
        printf("dropping out before answering round %u (--drop-after)\n", round);
        return false;
    }
    clave_status st = clave_fl_client_handle(j->client, msg, len, &out, &out_len);
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave fl join: message refused: %s (%s)\n", clave_status_str(st),
                clave_error_last().detail);
        out_len = 0;
    } else if (!j->json) {
        /* a MODEL message the client just accepted: byte 32 is its mode (formats/fl.md) */
        bool eval = len > 32 && msg[5] == 1 && msg[32] == 2;
        printf("round %u: %s\n", round, eval ? "evaluated the new model" : "trained, update sent");
        fflush(stdout);
    }
    bool ok = fl_tee_send(&j->link, out, out_len);
    free(out);
    return ok;
}

static int follow(struct tee_join *j)
{
    for (bool first = true;; first = false) {
        uint8_t *msg = NULL;
        size_t len = 0;
        if (!fl_tee_recv(&j->link, &msg, &len)) {
            fprintf(stderr, "clave fl join: %s\n",
                    first ? "the aggregator closed the link before the first message: it did not "
                            "admit this client (JOIN refused: its log says why) or failed"
                          : "the aggregator closed the link without ending the federation");
            return CLI_FAILED;
        }
        int rc = -1;
        if (clave_fl_is_control(msg, len)) {
            rc = end(j, msg, len);
        } else if (!answer(j, msg, len)) {
            rc = j->drop_after >= 0 ? 0 : CLI_FAILED;
        }
        free(msg);
        if (rc >= 0) {
            return rc;
        }
    }
}

int fl_join_tee(int argc, char **argv)
{
    struct tee_join j;
    memset(&j, 0, sizeof(j));
    j.link.fd = -1;
    int rc = parse_args(argc, argv, &j);
    if (rc >= 0) {
        return rc;
    }
    struct fl_tee_trust trust = {NULL, NULL, NULL};
    if ((rc = load_contract(&j)) == 0 && (rc = load_policy(&j)) == 0 && (rc = load_data(&j)) == 0) {
        trust = (struct fl_tee_trust){j.policy, j.collateral, j.c};
        rc = fl_tee_connect(&trust, j.aggregator, j.wait_s, &j.link);
    }
    rc = rc == 0 ? hello(&j) : rc;
    rc = rc == 0 ? follow(&j) : rc;
    fl_tee_close(&j.link);
    clave_fl_client_free(j.client);
    clave_pkey_free(j.identity);
    clave_pkey_free(j.party_key);
    free(j.dir);
    fl_cli_data_free(&j.d);
    clave_attest_policy_free(j.policy);
    clave_contract_free(j.c);
    return rc;
}
