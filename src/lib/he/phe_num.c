/* SPDX-License-Identifier: Apache-2.0 */
/*
 * python-paillier (phe) encrypted numbers. phe stores a number as a ciphertext of the signed
 * integer mantissa M with a public exponent e: value = M * 16^e (phe.encoding.EncodedNumber,
 * BASE = 16), and uses the same guard band as clave: M in [0, n/3) positive, (n - n/3, n)
 * negative. Two document forms are read and written:
 *
 *   pheutil:   {"v": "<ciphertext, decimal>", "e": <exponent>}              (one number)
 *   phe docs:  {"public_key": {"g": <n + 1>, "n": <n>},
 *               "values": [["<ciphertext, decimal>", <exponent>], ...]}     (a list)
 *
 * In the list form Python's json.dumps writes n and g as bare JSON integers of hundreds of
 * digits, which jansson cannot hold; a bounded pre-pass quotes bare integers of more than 18
 * digits before parsing, so they are read exactly as decimal strings.
 *
 * Exponent <-> scale: a clave vector has one public scale s and value = M / s, so e <= 0 maps
 * exactly to s = 16^-e for -15 <= e <= 0 (16^15 = 2^60 <= CLAVE_HE_SCALE_MAX). Numbers with
 * different exponents are aligned to the smallest one by c^(16^(e_i - e_min)) mod n^2, as phe's
 * decrease_exponent_to does. Outward, a scale 2^j becomes e = -ceil(j / 4) with each ciphertext
 * raised to 2^(4 ceil(j/4) - j); other scales have no exact phe exponent and are refused.
 */
#include "core/check.h"
#include "core/gmp.h"
#include "he/he_phe.h"

#include <clave/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HE_PHE_DEPTH_MAX 4
#define HE_PHE_SCALE_EXPONENT_MIN (-15)

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* String state of the lexer: a '"' outside a string opens one; inside, an unescaped '"'
 * closes it and a backslash escapes the next character. */
static void track_string(uint8_t c, bool *in_string, bool *escaped)
{
    if (!*in_string) {
        *in_string = c == '"';
    } else if (*escaped) {
        *escaped = false;
    } else if (c == '\\') {
        *escaped = true;
    } else if (c == '"') {
        *in_string = false;
    }
}

/* End of the number token starting at `i` (characters of a JSON number). */
static size_t number_end(const uint8_t *buf, size_t len, size_t i)
{
    while (i < len && (is_digit(buf[i]) || buf[i] == '-' || buf[i] == '+' || buf[i] == '.' ||
                       buf[i] == 'e' || buf[i] == 'E')) {
        i++;
    }
    return i;
}

/* True if buf[begin, end) is -?[0-9]+ with more than HE_PHE_BARE_DIGITS_MAX digits. */
static bool is_big_integer(const uint8_t *buf, size_t begin, size_t end)
{
    size_t digits_begin = buf[begin] == '-' ? begin + 1 : begin;
    for (size_t i = digits_begin; i < end; i++) {
        if (!is_digit(buf[i])) {
            return false;
        }
    }
    return end - digits_begin > HE_PHE_BARE_DIGITS_MAX;
}

clave_status clave__he_phe_quote_bigints(const uint8_t *buf, size_t len, size_t max, char **out,
                                         size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool in_string = false;
    bool escaped = false;
    size_t w = 0;
    /* Each quoted token has >= 19 characters and gains 2. */
    size_t cap = len + 2 * (len / (HE_PHE_BARE_DIGITS_MAX + 1)) + 1;
    char *text = NULL;
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(len <= max, CLAVE_ERR_TOO_LARGE, "phe: document of %zu bytes (max %zu)", len, max);
    text = malloc(cap);
    CLAVE_ENSURE_ALLOC(text);
    for (size_t i = 0; i < len;) {
        uint8_t c = buf[i];
        if (in_string || (c != '-' && !is_digit(c))) {
            track_string(c, &in_string, &escaped);
            text[w++] = (char)c;
            i++;
            continue;
        }
        size_t end = number_end(buf, len, i);
        bool quote = is_big_integer(buf, i, end);
        CLAVE_ENSURE(w + (end - i) + (quote ? 2 : 0) < cap, CLAVE_ERR_INTERNAL,
                     "phe: pre-pass overflow");
        if (quote) {
            text[w++] = '"';
        }
        memcpy(text + w, buf + i, end - i);
        w += end - i;
        if (quote) {
            text[w++] = '"';
        }
        i = end;
    }
    text[w] = '\0';
    *out = text;
    *out_len = w;
    text = NULL;
    st = CLAVE_OK;
done:
    free(text);
    return st;
}

clave_status clave__he_phe_parse(const uint8_t *buf, size_t len, size_t max, const char *what,
                                 json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *text = NULL;
    size_t text_len = 0;
    *out = NULL;
    CLAVE_CHECK(clave__he_phe_quote_bigints(buf, len, max, &text, &text_len));
    struct clave_json_limits lim = {text_len, HE_PHE_DEPTH_MAX};
    CLAVE_CHECK(clave_json_parse(text, text_len, &lim, what, out));
    st = CLAVE_OK;
done:
    free(text);
    return st;
}

clave_status clave__he_phe_get_decimal(const json_t *v, const char *where, mpz_t out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (json_is_integer(v)) {
        CLAVE_ENSURE(json_integer_value(v) >= 0, CLAVE_ERR_FORMAT, "%s: negative", where);
        mpz_set_ui(out, (unsigned long)json_integer_value(v));
    } else {
        CLAVE_ENSURE(json_is_string(v), CLAVE_ERR_JSON, "%s: expected a decimal integer", where);
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        CLAVE_ENSURE(len >= 1 && len <= HE_PHE_DECIMAL_MAX, CLAVE_ERR_FORMAT,
                     "%s: %zu digits (1..%d)", where, len, HE_PHE_DECIMAL_MAX);
        for (size_t i = 0; i < len; i++) {
            CLAVE_ENSURE(is_digit((uint8_t)s[i]), CLAVE_ERR_FORMAT,
                         "%s: not a decimal integer (character %zu)", where, i);
        }
        CLAVE_ENSURE(mpz_set_str(out, s, 10) == 0, CLAVE_ERR_FORMAT, "%s: not a decimal integer",
                     where);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* ------------------------------------------------------------------------------ reading */

struct phe_numbers {
    size_t count;
    mpz_t *c;
    int *e;
};

static void numbers_free(struct phe_numbers *nums)
{
    for (size_t i = 0; nums->c != NULL && i < nums->count; i++) {
        mpz_clear(nums->c[i]);
    }
    free(nums->c);
    free(nums->e);
    memset(nums, 0, sizeof(*nums));
}

static clave_status numbers_alloc(struct phe_numbers *nums, size_t count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(count >= 1 && count <= CLAVE_HE_VEC_MAX, CLAVE_ERR_TOO_LARGE,
                 "phe: %zu numbers (1..%u)", count, CLAVE_HE_VEC_MAX);
    nums->c = calloc(count, sizeof(*nums->c));
    nums->e = calloc(count, sizeof(*nums->e));
    CLAVE_ENSURE(nums->c != NULL && nums->e != NULL, CLAVE_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        mpz_init(nums->c[i]);
    }
    nums->count = count;
    st = CLAVE_OK;
done:
    return st;
}

/* One ciphertext (validated for `pub`) and its exponent. */
static clave_status read_one(const struct clave_he_pub *pub, const json_t *v, const json_t *e,
                             const char *where, mpz_t c, int *exponent)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char item[CLAVE_JSON_PATH_MAX];
    json_int_t x = 0;
    CLAVE_CHECK(clave__he_phe_get_decimal(v, where, c));
    CLAVE_CHECK(clave__he_validate_ct(pub, c, where));
    CLAVE_ENSURE(json_is_integer(e), CLAVE_ERR_JSON, "%s: exponent: expected integer",
                 clave_json_path_key(item, sizeof(item), where, "e"));
    x = json_integer_value(e);
    CLAVE_ENSURE(x >= -HE_PHE_EXPONENT_ABS_MAX && x <= HE_PHE_EXPONENT_ABS_MAX, CLAVE_ERR_FORMAT,
                 "%s: exponent %lld outside +-%d", where, (long long)x, HE_PHE_EXPONENT_ABS_MAX);
    *exponent = (int)x;
    st = CLAVE_OK;
done:
    return st;
}

/* The list form's public key must be `pub`'s: n equal, g (if given) n + 1. */
static clave_status check_list_key(const struct clave_he_pub *pub, const json_t *doc)
{
    static const char *const KEYS[] = {"g", "n", NULL};
    const char *where = "phe numbers.public_key";
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *pk = NULL;
    json_t *g = NULL;
    mpz_t v;
    mpz_init(v);
    CLAVE_CHECK(clave_json_get_object(doc, "phe numbers", "public_key", true, &pk));
    CLAVE_CHECK(clave_json_only_keys(pk, where, KEYS));
    CLAVE_CHECK(clave__he_phe_get_decimal(json_object_get(pk, "n"), "phe numbers.public_key.n", v));
    CLAVE_ENSURE(mpz_cmp(v, pub->n) == 0, CLAVE_ERR_KEY,
                 "phe numbers: encrypted under another key (n differs)");
    g = json_object_get(pk, "g");
    if (g != NULL) {
        CLAVE_CHECK(clave__he_phe_get_decimal(g, "phe numbers.public_key.g", v));
        mpz_sub_ui(v, v, 1);
        CLAVE_ENSURE(mpz_cmp(v, pub->n) == 0, CLAVE_ERR_UNSUPPORTED,
                     "phe numbers.public_key.g: only g = n + 1 is supported");
    }
    st = CLAVE_OK;
done:
    mpz_clear(v);
    return st;
}

static clave_status read_list(const struct clave_he_pub *pub, json_t *doc, struct phe_numbers *nums)
{
    static const char *const KEYS[] = {"public_key", "values", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CLAVE_JSON_PATH_MAX];
    json_t *values = NULL;
    CLAVE_CHECK(clave_json_only_keys(doc, "phe numbers", KEYS));
    CLAVE_CHECK(check_list_key(pub, doc));
    CLAVE_CHECK(
        clave_json_get_array(doc, "phe numbers", "values", true, CLAVE_HE_VEC_MAX, &values));
    CLAVE_CHECK(numbers_alloc(nums, json_array_size(values)));
    for (size_t i = 0; i < nums->count; i++) {
        const json_t *item = json_array_get(values, i);
        clave_json_path_index(where, sizeof(where), "phe numbers.values", i);
        CLAVE_ENSURE(json_is_array(item) && json_array_size(item) == 2, CLAVE_ERR_JSON,
                     "%s: expected [ciphertext, exponent]", where);
        CLAVE_CHECK(read_one(pub, json_array_get(item, 0), json_array_get(item, 1), where,
                             nums->c[i], &nums->e[i]));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Either form, every ciphertext validated for `pub`. */
static clave_status read_numbers(const struct clave_he_pub *pub, const uint8_t *buf, size_t len,
                                 struct phe_numbers *nums)
{
    static const char *const NUMBER_KEYS[] = {"v", "e", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *doc = NULL;
    memset(nums, 0, sizeof(*nums));
    CLAVE_CHECK(clave__gmp_init());
    CLAVE_ENSURE(pub != NULL && buf != NULL, CLAVE_ERR_ARG, "he: no key or input");
    CLAVE_CHECK(clave__he_phe_parse(buf, len, HE_JSON_MAX_BYTES, "phe numbers", &doc));
    CLAVE_CHECK(clave_json_expect_object(doc, "phe numbers"));
    if (json_object_get(doc, "v") != NULL) {
        CLAVE_CHECK(clave_json_only_keys(doc, "phe number", NUMBER_KEYS));
        CLAVE_CHECK(numbers_alloc(nums, 1));
        CLAVE_CHECK(read_one(pub, json_object_get(doc, "v"), json_object_get(doc, "e"),
                             "phe number", nums->c[0], &nums->e[0]));
    } else {
        CLAVE_ENSURE(json_object_get(doc, "values") != NULL, CLAVE_ERR_FORMAT,
                     "phe numbers: neither {\"v\",\"e\"} nor {\"public_key\",\"values\"}");
        CLAVE_CHECK(read_list(pub, doc, nums));
    }
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        numbers_free(nums);
    }
    json_decref(doc);
    return st;
}

/* ------------------------------------------------------------------------ import/export */

/* c <- c^(2^bits) mod n^2: multiplies the plaintext by 2^bits (public). */
static void shift_plaintext(const struct clave_he_pub *pub, mpz_t c, unsigned long bits)
{
    mpz_t k;
    mpz_init(k);
    mpz_setbit(k, bits);
    mpz_powm(c, c, k, pub->n2);
    mpz_clear(k);
}

clave_status clave_he_vec_import_phe(const struct clave_he_pub *pub, const uint8_t *buf, size_t len,
                                     struct clave_he_vec **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct phe_numbers nums;
    int target = 0;
    *out = NULL;
    CLAVE_CHECK(read_numbers(pub, buf, len, &nums));
    for (size_t i = 0; i < nums.count; i++) {
        target = nums.e[i] < target ? nums.e[i] : target;
    }
    CLAVE_ENSURE(target >= HE_PHE_SCALE_EXPONENT_MIN, CLAVE_ERR_UNSUPPORTED,
                 "phe numbers: exponent %d has no clave scale (16^%d > 2^62); the key holder can "
                 "decrypt it directly (clave_he_decrypt_phe, clave he decrypt)",
                 target, -target);
    CLAVE_CHECK(clave__he_vec_new(pub, CLAVE_HE_VEC_INT, 1ull << (HE_PHE_BASE_LOG2 * -target),
                                  nums.count, nums.count, out));
    for (size_t i = 0; i < nums.count; i++) {
        if (nums.e[i] > target) {
            shift_plaintext(pub, nums.c[i],
                            (unsigned long)HE_PHE_BASE_LOG2 * (unsigned long)(nums.e[i] - target));
        }
        mpz_swap((*out)->c[i], nums.c[i]);
    }
    st = CLAVE_OK;
done:
    numbers_free(&nums);
    return st;
}

/* phe exponent for a power-of-two scale 2^j: e = -ceil(j/4), plaintexts shifted by 4|e| - j. */
static clave_status scale_exponent(uint64_t scale, int *exponent, unsigned *shift)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(scale != 0 && (scale & (scale - 1)) == 0, CLAVE_ERR_UNSUPPORTED,
                 "he: scale %llu is not a power of 2, so no phe exponent (a power of 16) "
                 "represents it exactly; encrypt with a scale such as 65536 = 16^4",
                 (unsigned long long)scale);
    unsigned j = (unsigned)__builtin_ctzll(scale);
    unsigned k = (j + HE_PHE_BASE_LOG2 - 1) / HE_PHE_BASE_LOG2;
    *exponent = -(int)k;
    *shift = HE_PHE_BASE_LOG2 * k - j;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status set_decimal(json_t *arr_or_obj, const char *key, const mpz_t v)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *text = malloc(mpz_sizeinbase(v, 10) + 2);
    json_t *s = NULL;
    CLAVE_ENSURE_ALLOC(text);
    (void)mpz_get_str(text, 10, v);
    s = json_string(text);
    CLAVE_ENSURE(s != NULL, CLAVE_ERR_NOMEM, "out of memory");
    if (key != NULL) {
        CLAVE_ENSURE(json_object_set_new(arr_or_obj, key, s) == 0, CLAVE_ERR_NOMEM,
                     "out of memory");
    } else {
        CLAVE_ENSURE(json_array_append_new(arr_or_obj, s) == 0, CLAVE_ERR_NOMEM, "out of memory");
    }
    st = CLAVE_OK;
done:
    free(text);
    return st;
}

static clave_status list_header(const struct clave_he_pub *pub, json_t *root)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *pk = json_object();
    mpz_t g;
    mpz_init(g);
    CLAVE_ENSURE(pk != NULL && json_object_set_new(root, "public_key", pk) == 0, CLAVE_ERR_NOMEM,
                 "out of memory");
    mpz_add_ui(g, pub->n, 1);
    CLAVE_CHECK(set_decimal(pk, "g", g));
    CLAVE_CHECK(set_decimal(pk, "n", pub->n));
    st = CLAVE_OK;
done:
    mpz_clear(g);
    return st;
}

/* One exported ciphertext: [decimal, e] appended to `values`, or "v"/"e" set on `root`. */
static clave_status put_number(json_t *root, json_t *values, const mpz_t c, int exponent)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *pair = values != NULL ? json_array() : NULL;
    json_t *target = values != NULL ? pair : root;
    CLAVE_ENSURE(target != NULL, CLAVE_ERR_NOMEM, "out of memory");
    CLAVE_CHECK(set_decimal(target, values != NULL ? NULL : "v", c));
    if (values != NULL) {
        CLAVE_ENSURE(json_array_append_new(pair, json_integer(exponent)) == 0 &&
                         json_array_append(values, pair) == 0,
                     CLAVE_ERR_NOMEM, "out of memory");
    } else {
        CLAVE_ENSURE(json_object_set_new(root, "e", json_integer(exponent)) == 0, CLAVE_ERR_NOMEM,
                     "out of memory");
    }
    st = CLAVE_OK;
done:
    json_decref(pair);
    return st;
}

clave_status clave_he_vec_export_phe(const struct clave_he_pub *pub, const struct clave_he_vec *vec,
                                     enum clave_he_phe_form form, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    json_t *values = NULL;
    int exponent = 0;
    unsigned shift = 0;
    mpz_t c;
    mpz_init(c);
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(pub != NULL && vec != NULL, CLAVE_ERR_ARG, "he: no key or vector");
    CLAVE_ENSURE(form == CLAVE_HE_PHE_NUMBER || form == CLAVE_HE_PHE_LIST, CLAVE_ERR_ARG,
                 "he: unknown phe form %d", (int)form);
    CLAVE_CHECK(clave__he_vec_same_key(pub, vec));
    CLAVE_ENSURE(vec->kind == CLAVE_HE_VEC_INT, CLAVE_ERR_UNSUPPORTED,
                 "he: phe has no packed numbers; export an int vector");
    CLAVE_ENSURE(form == CLAVE_HE_PHE_LIST || vec->count == 1, CLAVE_ERR_ARG,
                 "he: the pheutil form holds one number, the vector has %zu", vec->count);
    CLAVE_CHECK(scale_exponent(vec->scale, &exponent, &shift));
    root = json_object();
    CLAVE_ENSURE(root != NULL, CLAVE_ERR_NOMEM, "out of memory");
    if (form == CLAVE_HE_PHE_LIST) {
        CLAVE_CHECK(list_header(pub, root));
        values = json_array();
        CLAVE_ENSURE(values != NULL && json_object_set(root, "values", values) == 0,
                     CLAVE_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < vec->count; i++) {
        mpz_set(c, vec->c[i]);
        if (shift > 0) {
            shift_plaintext(pub, c, shift);
        }
        CLAVE_CHECK(put_number(root, values, c, exponent));
    }
    st = clave__he_json_dump(root, JSON_COMPACT | JSON_PRESERVE_ORDER, (char **)out, out_len);
    root = NULL;
done:
    mpz_clear(c);
    json_decref(values);
    json_decref(root);
    return st;
}

/* --------------------------------------------------------------------------- decryption */

/* mantissa * 16^exponent as a double (mantissa truncated to 53 bits by mpz_get_d_2exp). */
static clave_status to_double(const mpz_t mantissa, int exponent, const char *where, double *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    long exp2 = 0;
    double d = mpz_get_d_2exp(&exp2, mantissa);
    long total = exp2 + (long)HE_PHE_BASE_LOG2 * exponent;
    CLAVE_ENSURE(total <= 1024, CLAVE_ERR_LIMIT, "%s: value does not fit a double", where);
    *out = ldexp(d, (int)(total < -1100 ? -1100 : total));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status decrypt_one(const struct clave_he_key *key, const mpz_t c, int exponent,
                                const char *where, double *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave_he_pub *pub = key->pub;
    mpz_t m;
    mpz_init(m);
    CLAVE_CHECK(clave__he_decrypt_raw(key, c, m));
    /* phe's decode: the same guard band as clave__he_decode_i64, without the 64-bit limit. */
    CLAVE_ENSURE(mpz_cmp(m, pub->third) < 0 || mpz_cmp(m, pub->two_third) > 0, CLAVE_ERR_LIMIT,
                 "%s: overflow: the decrypted value is in the guard band", where);
    if (mpz_cmp(m, pub->third) >= 0) {
        mpz_sub(m, m, pub->n);
    }
    CLAVE_CHECK(to_double(m, exponent, where, out));
    st = CLAVE_OK;
done:
    mpz_clear(m);
    return st;
}

clave_status clave_he_decrypt_phe(const struct clave_he_key *key, const uint8_t *buf, size_t len,
                                  double *out, size_t cap, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct phe_numbers nums;
    char where[CLAVE_JSON_PATH_MAX];
    memset(&nums, 0, sizeof(nums));
    *count = 0;
    CLAVE_ENSURE(key != NULL && out != NULL, CLAVE_ERR_ARG, "he: no key or output");
    CLAVE_CHECK(read_numbers(key->pub, buf, len, &nums));
    CLAVE_ENSURE(cap >= nums.count, CLAVE_ERR_ARG, "he: %zu numbers, room for %zu", nums.count,
                 cap);
    for (size_t i = 0; i < nums.count; i++) {
        clave_json_path_index(where, sizeof(where), "phe numbers", i);
        CLAVE_CHECK(decrypt_one(key, nums.c[i], nums.e[i], where, &out[i]));
    }
    *count = nums.count;
    st = CLAVE_OK;
done:
    numbers_free(&nums);
    return st;
}

/* ------------------------------------------------------------------------------ detection */

enum clave_he_doc clave_he_detect(const uint8_t *buf, size_t len)
{
    enum clave_he_doc kind = CLAVE_HE_DOC_UNKNOWN;
    json_t *doc = NULL;
    size_t i = 0;
    while (buf != NULL && i < len &&
           (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')) {
        i++;
    }
    if (buf == NULL || i == len) {
        return CLAVE_HE_DOC_UNKNOWN;
    }
    if (buf[i] != '{') {
        return CLAVE_HE_DOC_BINARY;
    }
    if (clave__he_phe_parse(buf, len, HE_JSON_MAX_BYTES, "he document", &doc) != CLAVE_OK ||
        !json_is_object(doc)) {
        kind = CLAVE_HE_DOC_UNKNOWN;
    } else if (json_object_get(doc, "format") != NULL) {
        kind = CLAVE_HE_DOC_JSON;
    } else if (json_object_get(doc, "kty") != NULL) {
        kind = json_object_get(doc, "pub") != NULL ? CLAVE_HE_DOC_PHE_PRIVATE
                                                   : CLAVE_HE_DOC_PHE_PUBLIC;
    } else if (json_object_get(doc, "v") != NULL || json_object_get(doc, "values") != NULL) {
        kind = CLAVE_HE_DOC_PHE_NUMBERS;
    }
    json_decref(doc);
    clave_error_clear(); /* a document that is not JSON is an answer here, not a failure */
    return kind;
}
