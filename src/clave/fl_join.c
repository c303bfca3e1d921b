/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave fl join: one FL client of the caller's party for an FL contract run by the coordinator
 * (docs/fl.md "Over the coordinator"). It verifies the contract bundle itself (active, kind fl)
 * and reads the federation from it, verifies the collaboration's membership itself, loads its
 * local CSV, joins with a fresh Ed25519 key certified by the party's identity key (a client-key
 * statement, fl_keys.c), waits for the directory of all clients and checks every entry's key
 * against its party's identity key in that membership, then polls for messages, answers each with
 * clave_fl_client_handle (local training, SecAgg+ steps, evaluation) and prints one line per
 * finished round, until the federation ends.
 */
#include "collab_cli.h"
#include "fl_cli.h"
#include "fl_tee.h"

#include "remote.h"

#include <clave/collab.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JOIN_DEFAULT_POLL_MS 50
#define JOIN_DEFAULT_WAIT_S 600
#define PATH_LEN 160

static const char JOIN_USAGE[] =
    "usage: clave fl join --contract ID --data FILE --party P SIGNING [--json] [--out MODEL]\n"
    "                     [--wait SECONDS]\n"
    "SIGNING is --sign-key KEY.pem (P's private identity key), or, for a key in a token,\n"
    "       --client-key CLIENT.pem --statement ST.cose (made by 'clave fl certify')\n"
    "\n"
    "Run one federated-learning client of your party for FL contract ID on the coordinator of\n"
    "the current session (docs/fl.md \"Over the coordinator\"). The contract (fetched and\n"
    "verified here: all approvals, kind fl) says the model, rounds and protection; FILE is this\n"
    "party's own CSV in the schema the contract names (default: the sklearn header), split into\n"
    "training and held-out rows here. FILE never leaves this process: the coordinator only sees\n"
    "SecAgg+ messages (masked updates) or Paillier ciphertexts, and the evaluation counts. Under\n"
    "paillier the key holder's key is checked against its party's identity key first.\n"
    "One line per round: clients reporting/selected, rejected messages, training loss,\n"
    "federated-evaluation accuracy, epsilon spent, round time.\n"
    "The client's Ed25519 key is certified by P's identity key (the one in the collaboration's\n"
    "signed membership); every other client's key is checked against its party's identity key\n"
    "in the membership verified here, and the client refuses to proceed on any mismatch.\n"
    "\n"
    "  --contract ID     the contract id (64 hex digits)\n"
    "  --data FILE       this party's training data (CSV)\n"
    "  --party P         this client's party (a member of the contract's collaboration)\n"
    "  --sign-key KEY    P's private identity key: certifies a fresh client key\n"
    "  --client-key K    a client Ed25519 key (PEM), with --statement ST: its statement\n"
    "  --json            JSON lines instead of text\n"
    "  --out MODEL       write the final global model (docs/formats/model.md)\n"
    "  --wait SECONDS    give up when the federation has not started by then (default 600)\n"
    "With --aggregator HOST:PORT: a contract whose aggregation runs in an attested runner\n"
    "(clave fl join --aggregator H:P --help).\n";

struct join {
    const char *contract, *data, *out, *party, *sign_key, *client_key, *statement_path;
    bool json;
    long wait_s;
    struct cli_session s;
    struct clave_fl_contract_spec spec;
    struct clave_contract *c;     /* verified here */
    struct clave_collab *members; /* verified here */
    struct fl_cli_data d;
    struct clave_pkey *identity;
    struct clave_pkey **dir;
    uint32_t id;
    uint8_t *he_pub; /* PAILLIER: the key holder's key, checked against its statement */
    size_t he_pub_len;
    struct clave_fl_client *client;
    json_int_t printed;
    uint8_t last[32]; /* SHA-256 of the last message handled */
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int parse_args(int argc, char **argv, struct join *j)
{
    static const struct option LONG_OPTIONS[] = {
        {"contract", required_argument, NULL, 'c'},
        {"data", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"out", required_argument, NULL, 'o'},
        {"wait", required_argument, NULL, 'w'},
        {"party", required_argument, NULL, 'p'},
        {"sign-key", required_argument, NULL, 's'},
        {"client-key", required_argument, NULL, 'k'},
        {"statement", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt = 0;
    char *end = NULL;
    j->wait_s = JOIN_DEFAULT_WAIT_S;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG_OPTIONS, NULL)) != -1) {
        if (opt == 'c') {
            j->contract = optarg;
        } else if (opt == 'd') {
            j->data = optarg;
        } else if (opt == 'j') {
            j->json = true;
        } else if (opt == 'o') {
            j->out = optarg;
        } else if (opt == 'p') {
            j->party = optarg;
        } else if (opt == 's') {
            j->sign_key = optarg;
        } else if (opt == 'k') {
            j->client_key = optarg;
        } else if (opt == 'S') {
            j->statement_path = optarg;
        } else if (opt == 'w') {
            j->wait_s = strtol(optarg, &end, 10);
            if (*end != '\0' || j->wait_s < 1 || j->wait_s > 86400) {
                fprintf(stderr, "clave fl join: --wait: 1..86400 seconds\n");
                return CLI_USAGE;
            }
        } else if (opt == 'h') {
            fputs(JOIN_USAGE, stdout);
            return 0;
        } else {
            fputs(JOIN_USAGE, stderr);
            return CLI_USAGE;
        }
    }
    bool own = j->sign_key != NULL && j->client_key == NULL && j->statement_path == NULL;
    bool given = j->sign_key == NULL && j->client_key != NULL && j->statement_path != NULL;
    if (j->contract == NULL || j->data == NULL || j->party == NULL || optind != argc ||
        !(own || given)) {
        fputs(JOIN_USAGE, stderr);
        return CLI_USAGE;
    }
    return fl_cli_contract_ok(j->contract) ? -1 : CLI_USAGE;
}

int fl_cli_get_json(const struct cli_session *s, const char *what, const char *path, long want,
                    json_t **out)
{
    struct cli_response r = {0};
    int rc = CLI_FAILED;
    *out = NULL;
    clave_status st = cli_request(s, "GET", path, NULL, &r);
    if (st != CLAVE_OK) {
        rc = cli_fail(what, st);
    } else if (r.status != want) {
        rc = cli_http_fail(what, &r);
    } else if ((*out = json_loadb(r.body, r.len, 0, NULL)) != NULL) {
        rc = 0;
    } else {
        rc = cli_fail(what, CLAVE_ERR_FORMAT);
    }
    cli_response_free(&r);
    return rc;
}

static int get_json(struct join *j, const char *what, const char *path, long want, json_t **out)
{
    return fl_cli_get_json(&j->s, what, path, want, out);
}

static int load_contract(struct join *j)
{
    return fl_cli_contract_load(&j->s, j->contract, &j->c, &j->spec);
}

int fl_cli_contract_load(const struct cli_session *s, const char *contract,
                         struct clave_contract **out, struct clave_fl_contract_spec *spec)
{
    char path[PATH_LEN], hex[65];
    json_t *doc = NULL;
    uint8_t *bundle = NULL;
    size_t len = 0, spec_len = 0;
    struct clave_contract *c = NULL;
    struct clave_contract_verdict v;
    *out = NULL;
    snprintf(path, sizeof(path), "/v1/contracts/%s/bundle", contract);
    int rc = fl_cli_get_json(s, "fl: contract", path, 200, &doc);
    const char *b64 = rc == 0 ? json_string_value(json_object_get(doc, "bundle")) : NULL;
    clave_status st = b64 == NULL
                          ? CLAVE_ERR_FORMAT
                          : clave_b64_decode_alloc(CLAVE_B64URL, b64, strlen(b64), &bundle, &len);
    if (rc == 0 && st == CLAVE_OK) {
        st = clave_contract_bundle_parse(bundle, len, &c);
    }
    if (rc == 0 && st == CLAVE_OK) {
        st = clave_hex_encode(clave_contract_id(c), CLAVE_CONTRACT_ID_LEN, hex, sizeof(hex));
        clave_contract_status(c, (uint64_t)time(NULL), &v);
        if (st == CLAVE_OK && strcmp(hex, contract) != 0) {
            fprintf(stderr, "clave fl: the coordinator sent another contract\n");
            rc = CLI_FAILED;
        } else if (st == CLAVE_OK && v.state != CLAVE_CONTRACT_ACTIVE) {
            fprintf(stderr, "clave fl: the contract is %s (%s)\n",
                    clave_contract_state_name(v.state), v.reason);
            rc = CLI_FAILED;
        } else if (st == CLAVE_OK && clave_contract_computation_kind(c) != CLAVE_COMPUTATION_FL) {
            fprintf(stderr, "clave fl: the contract's computation is not \"fl\"\n");
            rc = CLI_FAILED;
        } else if (st == CLAVE_OK) {
            const uint8_t *bytes = clave_contract_computation_spec(c, &spec_len);
            st = clave_fl_contract_spec_parse(bytes, spec_len, spec);
        }
    }
    if (rc == 0 && st != CLAVE_OK) {
        rc = cli_fail("fl: contract", st);
    }
    if (rc == 0) {
        *out = c;
        c = NULL;
    }
    clave_contract_free(c);
    free(bundle);
    json_decref(doc);
    return rc;
}

static int load_data(struct join *j)
{
    return fl_cli_load_party(&j->spec.run, j->data, &j->d);
}

/* This run's client key (fresh, or --client-key) and its client-key statement (made here with
 * --sign-key, or --statement); `raw` gets the public key. */
static clave_status client_key(struct join *j, uint8_t *raw, size_t *raw_len, uint8_t **st_out,
                               size_t *st_len)
{
    struct clave_pkey *id = NULL;
    clave_status st = j->client_key != NULL ? cli_private_key_load(j->client_key, &j->identity)
                                            : clave_pkey_generate(CLAVE_PKEY_ED25519, &j->identity);
    if (st == CLAVE_OK && clave_pkey_type(j->identity) != CLAVE_PKEY_ED25519) {
        fprintf(stderr, "clave fl join: --client-key: an Ed25519 key\n");
        st = CLAVE_ERR_KEY;
    }
    st = st == CLAVE_OK
             ? clave_pkey_export_raw_public(j->identity, raw, CLAVE_FL_CLIENT_KEY_LEN, raw_len)
             : st;
    if (st == CLAVE_OK && j->statement_path != NULL) {
        return cli_file_read(j->statement_path, CLAVE_FL_CLIENT_CERT_MAX_LEN, st_out, st_len);
    }
    struct clave_fl_client_claim claim = {clave_contract_collaboration(j->c),
                                          clave_contract_id(j->c), j->party, raw};
    st = st == CLAVE_OK ? cli_private_key_load(j->sign_key, &id) : st;
    st = st == CLAVE_OK ? clave_fl_client_cert_sign(&claim, id, st_out, st_len) : st;
    clave_pkey_free(id);
    return st;
}

static int join_federation(struct join *j)
{
    uint8_t raw[CLAVE_FL_CLIENT_KEY_LEN], *statement = NULL;
    size_t raw_len = 0, statement_len = 0;
    char *b64 = NULL, *st64 = NULL, path[PATH_LEN];
    struct cli_response r = {0};
    int rc = CLI_FAILED;
    clave_status st = client_key(j, raw, &raw_len, &statement, &statement_len);
    if (st == CLAVE_OK) {
        st = clave_b64_encode_alloc(CLAVE_B64URL, raw, raw_len, &b64);
    }
    if (st == CLAVE_OK) {
        st = clave_b64_encode_alloc(CLAVE_B64URL, statement, statement_len, &st64);
    }
    json_t *body =
        st == CLAVE_OK ? json_pack("{s:s,s:s}", "public_key", b64, "statement", st64) : NULL;
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    snprintf(path, sizeof(path), "/v1/fl/%s/clients", j->contract);
    if (text == NULL) {
        rc = cli_fail("fl join", st != CLAVE_OK ? st : CLAVE_ERR_NOMEM);
    } else if ((st = cli_request(&j->s, "POST", path, text, &r)) != CLAVE_OK) {
        rc = cli_fail("fl join", st);
    } else if (r.status != 201) {
        rc = cli_http_fail("fl join", &r);
    } else {
        json_t *doc = json_loadb(r.body, r.len, 0, NULL);
        json_int_t id = json_integer_value(json_object_get(doc, "client"));
        json_decref(doc);
        if (id >= 1 && id <= (json_int_t)j->spec.run.cfg.clients) {
            j->id = (uint32_t)id;
            rc = 0;
        } else {
            rc = cli_fail("fl join", CLAVE_ERR_FORMAT);
        }
    }
    cli_response_free(&r);
    free(text);
    json_decref(body);
    free(b64);
    free(st64);
    free(statement);
    return rc;
}

/* Directory entry i (client i + 1): its key, certified by its party's identity key in the
 * membership verified here; this client's own entry must carry its own key. */
static int take_entry(struct join *j, uint32_t i, const json_t *e)
{
    uint8_t *raw = NULL, *statement = NULL, own[CLAVE_FL_CLIENT_KEY_LEN];
    size_t len = 0, statement_len = 0, own_len = 0;
    const char *party = json_string_value(json_object_get(e, "party"));
    int rc = CLI_FAILED;
    clave_status st = json_integer_value(json_object_get(e, "client")) == (json_int_t)i + 1
                          ? cli_json_b64(e, "public_key", CLAVE_B64URL, &raw, &len)
                          : CLAVE_ERR_FORMAT;
    st = st == CLAVE_OK ? cli_json_b64(e, "statement", CLAVE_B64URL, &statement, &statement_len)
                        : st;
    if (st != CLAVE_OK) {
        rc = cli_fail("fl join: directory", st);
    } else if ((rc = fl_cli_check_entry(j->members, j->c, i + 1, party, raw, len, statement,
                                        statement_len)) == 0) {
        st = clave_pkey_export_raw_public(j->identity, own, sizeof(own), &own_len);
        if (i + 1 == j->id &&
            (st != CLAVE_OK || own_len != len || !clave_ct_equal(own, raw, len))) {
            fprintf(stderr,
                    "clave fl join: the directory gives this client (%u) another key; "
                    "refusing to proceed\n",
                    j->id);
            rc = CLI_FAILED;
        } else if ((st = clave_pkey_from_raw_public(CLAVE_PKEY_ED25519, raw, len, &j->dir[i])) !=
                   CLAVE_OK) {
            rc = cli_fail("fl join: directory", st);
        }
    }
    free(raw);
    free(statement);
    return rc;
}

/* No key twice: the coordinator must not give one client's key to two ids. */
static int distinct(const struct join *j, uint32_t n)
{
    uint8_t(*raw)[CLAVE_FL_CLIENT_KEY_LEN] = calloc(n, CLAVE_FL_CLIENT_KEY_LEN);
    size_t len = 0;
    int rc = raw != NULL ? 0 : cli_fail("fl join: directory", CLAVE_ERR_NOMEM);
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        if (clave_pkey_export_raw_public(j->dir[i], raw[i], CLAVE_FL_CLIENT_KEY_LEN, &len) !=
            CLAVE_OK) {
            rc = cli_fail("fl join: directory", CLAVE_ERR_KEY);
        }
        for (uint32_t k = 0; rc == 0 && k < i; k++) {
            if (memcmp(raw[k], raw[i], CLAVE_FL_CLIENT_KEY_LEN) == 0) { // lint:public
                fprintf(stderr,
                        "clave fl join: the directory lists one key for clients %u and %u; "
                        "refusing to proceed\n",
                        k + 1, i + 1);
                rc = CLI_FAILED;
            }
        }
    }
    free(raw);
    return rc;
}

/* The directory of every client's key, once all have joined, each entry checked. */
static int take_directory(struct join *j, const json_t *doc)
{
    uint32_t n = j->spec.run.cfg.clients;
    const json_t *dir = json_object_get(doc, "directory");
    j->dir = calloc(n, sizeof(*j->dir));
    if (j->dir == NULL || json_array_size(dir) != n) {
        return cli_fail("fl join: directory", j->dir == NULL ? CLAVE_ERR_NOMEM : CLAVE_ERR_FORMAT);
    }
    for (uint32_t i = 0; i < n; i++) {
        int rc = take_entry(j, i, json_array_get(dir, i));
        if (rc != 0) {
            return rc;
        }
    }
    if (j->spec.run.cfg.protection == CLAVE_FL_PAILLIER) {
        int rc =
            fl_cli_check_keyholder(j->members, j->c, j->spec.key_holder,
                                   json_object_get(doc, "key_holder"), &j->he_pub, &j->he_pub_len);
        if (rc != 0) {
            return rc;
        }
    }
    return distinct(j, n);
}

static int wait_directory(struct join *j)
{
    char path[PATH_LEN];
    time_t until = time(NULL) + j->wait_s;
    snprintf(path, sizeof(path), "/v1/fl/%s/clients", j->contract);
    for (;;) {
        json_t *doc = NULL;
        int rc = get_json(j, "fl join: clients", path, 200, &doc);
        if (rc != 0) {
            return rc;
        }
        json_int_t joined = json_integer_value(json_object_get(doc, "joined"));
        bool key = j->spec.run.cfg.protection != CLAVE_FL_PAILLIER ||
                   json_is_object(json_object_get(doc, "key_holder"));
        if (joined == (json_int_t)j->spec.run.cfg.clients && key) {
            rc = take_directory(j, doc);
            json_decref(doc);
            return rc;
        }
        json_decref(doc);
        if (time(NULL) > until) {
            fprintf(stderr, "clave fl join: %lld of %u clients joined after %lds; giving up\n",
                    (long long)joined, j->spec.run.cfg.clients, j->wait_s);
            return CLI_FAILED;
        }
        sleep_ms(200);
    }
}

/* Print the rounds the coordinator finished since the last call. */
static int progress(struct join *j, json_t **status)
{
    char path[PATH_LEN];
    json_t *doc = NULL;
    snprintf(path, sizeof(path), "/v1/fl/%s/status", j->contract);
    int rc = get_json(j, "fl join: status", path, 200, &doc);
    const json_t *history = rc == 0 ? json_object_get(doc, "history") : NULL;
    for (size_t i = (size_t)j->printed; i < json_array_size(history); i++) {
        const json_t *row = json_array_get(history, i);
        if (!json_is_true(json_object_get(row, "final"))) {
            break;
        }
        fl_cli_print_row(row, (json_int_t)j->spec.run.cfg.rounds, j->json);
        j->printed = (json_int_t)i + 1;
    }
    if (status != NULL) {
        *status = doc;
    } else {
        json_decref(doc);
    }
    return rc;
}

/* Handle one message (unless it is the one handled last) and post the answer. */
static void answer(struct join *j, const uint8_t *msg, size_t len)
{
    uint8_t sha[32], *out = NULL;
    size_t out_len = 0;
    char path[PATH_LEN];
    struct cli_response r = {0};
    if (clave_hash(CLAVE_HASH_SHA256, msg, len, sha, sizeof(sha)) != CLAVE_OK ||
        clave_ct_equal(sha, j->last, sizeof(sha))) {
        return;
    }
    memcpy(j->last, sha, sizeof(sha));
    clave_status st = clave_fl_client_handle(j->client, msg, len, &out, &out_len);
    if (st != CLAVE_OK) {
        fprintf(stderr, "clave fl join: message refused: %s (%s)\n", clave_status_str(st),
                clave_error_last().detail);
        return;
    }
    snprintf(path, sizeof(path), "/v1/fl/%s/clients/%u/message", j->contract, j->id);
    st = cli_request_bytes(&j->s, "POST", path, out, out_len, &r);
    if (st == CLAVE_OK && r.status != 202) {
        (void)cli_http_fail("fl join: answer", &r); /* late: out of this round, not fatal */
    }
    cli_response_free(&r);
    free(out);
}

/* Poll for messages until the coordinator says the federation is over (410). */
static int follow(struct join *j)
{
    char path[PATH_LEN];
    time_t next_status = 0;
    snprintf(path, sizeof(path), "/v1/fl/%s/clients/%u/message", j->contract, j->id);
    for (;;) {
        struct cli_response r = {0};
        clave_status st = cli_request(&j->s, "GET", path, NULL, &r);
        if (st != CLAVE_OK) {
            return cli_fail("fl join: message", st);
        }
        long status = r.status;
        if (status == 200) {
            answer(j, (const uint8_t *)r.body, r.len);
        } else if (status != 202 && status != 410) {
            int rc = cli_http_fail("fl join: message", &r);
            cli_response_free(&r);
            return rc;
        }
        cli_response_free(&r);
        if (status == 410) {
            return 0;
        }
        if (time(NULL) >= next_status) {
            (void)progress(j, NULL);
            next_status = time(NULL) + 1;
        }
        if (status == 202) {
            sleep_ms(JOIN_DEFAULT_POLL_MS);
        }
    }
}

static int finish(struct join *j)
{
    json_t *doc = NULL;
    int rc = progress(j, &doc);
    const char *state = json_string_value(json_object_get(doc, "state"));
    const char *reason = json_string_value(json_object_get(doc, "reason"));
    if (rc == 0 && !j->json) {
        printf("federation %s: %s\n", state != NULL ? state : "?", reason != NULL ? reason : "");
    } else if (rc == 0) {
        printf("{\"state\":\"%s\"}\n", state != NULL ? state : "?");
    }
    rc = rc == 0 && state != NULL && strcmp(state, "done") == 0 ? 0 : CLI_FAILED;
    json_decref(doc);
    if (rc == 0 && j->out != NULL) {
        char path[PATH_LEN];
        struct cli_response r = {0};
        snprintf(path, sizeof(path), "/v1/fl/%s/model", j->contract);
        clave_status st = cli_request(&j->s, "GET", path, NULL, &r);
        FILE *f = st == CLAVE_OK && r.status == 200 ? fopen(j->out, "wb") : NULL;
        bool ok = f != NULL && fwrite(r.body, 1, r.len, f) == r.len;
        ok = (f != NULL && fclose(f) == 0) && ok;
        if (!ok) {
            fprintf(stderr, "clave fl join: cannot save the model to %s\n", j->out);
            rc = CLI_FAILED;
        }
        cli_response_free(&r);
    }
    return rc;
}

int fl_join(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--aggregator", 12) == 0) {
            return fl_join_tee(argc, argv); /* the attested aggregator (fl_join_tee.c) */
        }
    }
    struct join j;
    memset(&j, 0, sizeof(j));
    int rc = parse_args(argc, argv, &j);
    if (rc >= 0) {
        return rc;
    }
    if (cli_session_load(&j.s) != CLAVE_OK) {
        return CLI_FAILED;
    }
    if ((rc = load_contract(&j)) == 0 && (rc = fl_cli_membership(&j.s, j.c, &j.members)) == 0 &&
        (rc = load_data(&j)) == 0 && (rc = join_federation(&j)) == 0) {
        if (!j.json) {
            printf("fl %s: client %u of %u, %zu training rows; waiting for the others\n",
                   j.spec.run.name, j.id, j.spec.run.cfg.clients,
                   clave_ml_dataset_rows(j.d.train[0]));
            fflush(stdout);
        }
        rc = wait_directory(&j);
    }
    if (rc == 0) {
        clave_status st = clave_fl_client_new(&j.spec.run.cfg, j.id, j.identity,
                                              (const struct clave_pkey *const *)j.dir, j.d.train[0],
                                              j.d.test[0], &j.client);
        if (st == CLAVE_OK && j.he_pub != NULL) {
            st = clave_fl_client_set_paillier_key(j.client, j.he_pub, j.he_pub_len);
        }
        rc = st == CLAVE_OK ? follow(&j) : cli_fail("fl join: client", st);
    }
    if (rc == 0) {
        rc = finish(&j);
    }
    clave_fl_client_free(j.client);
    for (uint32_t i = 0; j.dir != NULL && i < j.spec.run.cfg.clients; i++) {
        clave_pkey_free(j.dir[i]);
    }
    free(j.dir);
    free(j.he_pub);
    clave_pkey_free(j.identity);
    clave_collab_free(j.members);
    clave_contract_free(j.c);
    fl_cli_data_free(&j.d);
    cli_session_free(&j.s);
    return rc;
}
