/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PKCS#11 keyring backend: AES-256 KEKs generated inside a token, used there with
 * CKM_AES_GCM (PKCS#11 v2.40 current mechanisms §2.12.3); the key value never leaves the token
 * (CKA_SENSITIVE, not CKA_EXTRACTABLE).
 *
 * A key belongs to the keyring if it is a token CKO_SECRET_KEY of type CKK_AES whose CKA_ID is a
 * clave key id ("kek-" + 16 hex); other objects on the token are ignored. PKCS#11 keeps no
 * creation time: CKA_START_DATE holds the creation day, and `created` is its midnight UTC, or 0
 * where the module cannot return it (SoftHSM2 2.6). Keys are listed by (created, id).
 *
 * The module's library state is process-wide: C_Finalize is called on free only if this keyring
 * called C_Initialize first (not on CKR_CRYPTOKI_ALREADY_INITIALIZED). Two keyrings over the
 * same module in one process therefore must be freed in reverse order of opening.
 */
#include "core/check.h"
#include "keys/keyring_internal.h"
#include "keys/pkcs11_rv.h"

#include <clave/crypto.h>
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TOKEN_LABEL_LEN 32 /* CK_TOKEN_INFO.label: blank-padded, not NUL-terminated */
#define MAX_SLOTS 256
#define FIND_BATCH 64
#define GCM_TAG_BITS 128

/* Turn a CK_RV other than CKR_OK into CLAVE_ERR_PKCS11 naming the call and the CKR. */
#define P11_CHECK(call, what)                                                                      \
    do {                                                                                           \
        CK_RV p11_rv_ = (call);                                                                    \
        if (p11_rv_ != CKR_OK) {                                                                   \
            st = CLAVE_ERR_PKCS11;                                                                 \
            clave__error_set(st, __FILE__, __LINE__, "pkcs11: %s: %s", (what),                     \
                             clave__pkcs11_rv_name(p11_rv_));                                      \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

struct p11_backend {
    void *module; /* dlopen handle */
    CK_FUNCTION_LIST *fn;
    bool initialized; /* we called C_Initialize, so we call C_Finalize */
    bool session_open;
    bool logged_in;
    CK_SESSION_HANDLE session;
};

struct p11_key {
    CK_OBJECT_HANDLE handle;
};

/* PKCS#11 v2 takes input buffers as non-const CK_BYTE_PTR; modules do not write through them. */
static CK_BYTE_PTR unconst(const void *p)
{
    return (CK_BYTE_PTR)(uintptr_t)p;
}

static void free_entry(void *data)
{
    free(data);
}

static void close_backend(void *data)
{
    struct p11_backend *pb = data;
    if (pb->logged_in) {
        (void)pb->fn->C_Logout(pb->session);
    }
    if (pb->session_open) {
        (void)pb->fn->C_CloseSession(pb->session);
    }
    if (pb->initialized) {
        (void)pb->fn->C_Finalize(NULL);
    }
    if (pb->module != NULL) {
        (void)dlclose(pb->module);
    }
    free(pb);
}

static clave_status load_module(struct p11_backend *pb, const char *path)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CK_C_GetFunctionList get_list = NULL;
    CK_C_INITIALIZE_ARGS args;
    pb->module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CLAVE_ENSURE(pb->module != NULL, CLAVE_ERR_PKCS11, "pkcs11: cannot load %s: %s", path,
                 dlerror());
    void *sym = dlsym(pb->module, "C_GetFunctionList");
    CLAVE_ENSURE(sym != NULL, CLAVE_ERR_PKCS11, "pkcs11: %s has no C_GetFunctionList", path);
    /* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
    memcpy(&get_list, &sym, sizeof(get_list));
    P11_CHECK(get_list(&pb->fn), "C_GetFunctionList");
    CLAVE_ENSURE(pb->fn != NULL, CLAVE_ERR_PKCS11, "pkcs11: C_GetFunctionList gave no list");
    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = pb->fn->C_Initialize(&args);
    if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        P11_CHECK(rv, "C_Initialize");
        pb->initialized = true;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* The slot whose token has label `label` (blank-padded comparison). */
static clave_status find_slot(struct p11_backend *pb, const char *label, CK_SLOT_ID *slot)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CK_SLOT_ID *slots = NULL;
    CK_ULONG count = 0;
    char want[TOKEN_LABEL_LEN];
    size_t label_len = strlen(label);
    CLAVE_ENSURE(label_len > 0 && label_len <= TOKEN_LABEL_LEN, CLAVE_ERR_ARG,
                 "pkcs11: a token label is 1..%d bytes", TOKEN_LABEL_LEN);
    memset(want, ' ', sizeof(want));
    memcpy(want, label, label_len);
    P11_CHECK(pb->fn->C_GetSlotList(CK_TRUE, NULL, &count), "C_GetSlotList");
    CLAVE_ENSURE(count <= MAX_SLOTS, CLAVE_ERR_LIMIT, "pkcs11: %lu slots", (unsigned long)count);
    slots = calloc(count + 1, sizeof(*slots));
    CLAVE_ENSURE_ALLOC(slots);
    P11_CHECK(pb->fn->C_GetSlotList(CK_TRUE, slots, &count), "C_GetSlotList");
    for (CK_ULONG i = 0; i < count; i++) {
        CK_TOKEN_INFO info;
        P11_CHECK(pb->fn->C_GetTokenInfo(slots[i], &info), "C_GetTokenInfo");
        if (memcmp(info.label, want, TOKEN_LABEL_LEN) == 0) { // lint:public token label
            *slot = slots[i];
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_RAISE(CLAVE_ERR_NOT_FOUND, "pkcs11: no token labelled \"%s\"", label);
done:
    free(slots);
    return st;
}

static clave_status login(struct p11_backend *pb, const struct clave_secret *pin)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CK_RV rv = pb->fn->C_Login(pb->session, CKU_USER, unconst(clave_secret_cdata(pin)),
                               clave_secret_len(pin));
    CLAVE_ENSURE(rv != CKR_PIN_INCORRECT && rv != CKR_PIN_LEN_RANGE, CLAVE_ERR_PASSPHRASE,
                 "pkcs11: C_Login: %s", clave__pkcs11_rv_name(rv));
    if (rv != CKR_USER_ALREADY_LOGGED_IN) {
        P11_CHECK(rv, "C_Login");
        pb->logged_in = true;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Midnight UTC of a CK_DATE ("YYYYMMDD" digits), or 0 if absent or malformed. */
static int64_t date_to_time(const CK_DATE *date)
{
    char digits[9];
    memcpy(digits, date->year, 4);
    memcpy(digits + 4, date->month, 2);
    memcpy(digits + 6, date->day, 2);
    digits[8] = '\0';
    int value[3] = {0, 0, 0};
    const int widths[3] = {4, 2, 2};
    const char *p = digits;
    for (int f = 0; f < 3; f++) {
        for (int i = 0; i < widths[f]; i++, p++) {
            if (*p < '0' || *p > '9') {
                return 0;
            }
            value[f] = value[f] * 10 + (*p - '0');
        }
    }
    if (value[0] < 1970 || value[1] < 1 || value[1] > 12 || value[2] < 1 || value[2] > 31) {
        return 0;
    }
    struct tm tm = {.tm_year = value[0] - 1900, .tm_mon = value[1] - 1, .tm_mday = value[2]};
    time_t t = timegm(&tm);
    return t < 0 ? 0 : (int64_t)t;
}

static void time_to_date(int64_t t, CK_DATE *date)
{
    struct tm tm;
    char digits[48];
    time_t tt = (time_t)t;
    memset(&tm, 0, sizeof(tm));
    (void)gmtime_r(&tt, &tm);
    (void)snprintf(digits, sizeof(digits), "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday);
    memcpy(date->year, digits, 4);
    memcpy(date->month, digits + 4, 2);
    memcpy(date->day, digits + 6, 2);
}

/* The creation day from CKA_START_DATE, as midnight UTC; 0 if the module cannot say.
 * Read on its own: SoftHSM2 2.6 stores the date but answers CKR_GENERAL_ERROR when asked for
 * it, which must not hide the other attributes. */
static int64_t read_created(struct p11_backend *pb, CK_OBJECT_HANDLE handle)
{
    CK_DATE date;
    memset(&date, 0, sizeof(date));
    CK_ATTRIBUTE attr = {CKA_START_DATE, &date, sizeof(date)};
    CK_RV rv = pb->fn->C_GetAttributeValue(pb->session, handle, &attr, 1);
    if (rv != CKR_OK || attr.ulValueLen != sizeof(date)) {
        return 0;
    }
    return date_to_time(&date);
}

/* Read CKA_ID, CKA_LABEL and the creation day of `handle`; `*ours` is false for keys whose id
 * or label are not clave's. */
static clave_status read_key(struct p11_backend *pb, CK_OBJECT_HANDLE handle,
                             struct clave_key_info *info, bool *ours)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    memset(info, 0, sizeof(*info));
    *ours = false;
    CK_ATTRIBUTE attrs[] = {
        {CKA_ID, info->id, CLAVE_KEY_ID_MAX - 1},
        {CKA_LABEL, info->label, CLAVE_KEY_LABEL_MAX - 1},
    };
    CK_RV rv = pb->fn->C_GetAttributeValue(pb->session, handle, attrs, 2);
    /* These leave the unreadable attributes at CK_UNAVAILABLE_INFORMATION (v2.40 §5.7). */
    if (rv != CKR_BUFFER_TOO_SMALL && rv != CKR_ATTRIBUTE_TYPE_INVALID &&
        rv != CKR_ATTRIBUTE_SENSITIVE) {
        P11_CHECK(rv, "C_GetAttributeValue");
    }
    if (attrs[0].ulValueLen >= CLAVE_KEY_ID_MAX || attrs[1].ulValueLen >= CLAVE_KEY_LABEL_MAX) {
        st = CLAVE_OK; /* includes CK_UNAVAILABLE_INFORMATION */
        goto done;
    }
    info->id[attrs[0].ulValueLen] = '\0';
    info->label[attrs[1].ulValueLen] = '\0';
    info->kind = CLAVE_KEY_AES256_KEK;
    *ours =
        clave__key_id_valid(info->id, CLAVE_KEY_AES256_KEK) && clave__key_label_valid(info->label);
    if (*ours) {
        info->created = read_created(pb, handle);
    }
    st = CLAVE_OK;
done:
    return st;
}

struct found_key {
    struct clave_key_info info;
    CK_OBJECT_HANDLE handle;
};

static int compare_found(const void *a, const void *b)
{
    const struct found_key *x = a;
    const struct found_key *y = b;
    if (x->info.created != y->info.created) {
        return x->info.created < y->info.created ? -1 : 1;
    }
    return strcmp(x->info.id, y->info.id);
}

/* Append each handle found by the current C_FindObjects search that is a clave key. */
static clave_status collect(struct p11_backend *pb, struct found_key *found, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CK_OBJECT_HANDLE batch[FIND_BATCH];
    CK_ULONG n = 0;
    do {
        P11_CHECK(pb->fn->C_FindObjects(pb->session, batch, FIND_BATCH, &n), "C_FindObjects");
        for (CK_ULONG i = 0; i < n && i < FIND_BATCH; i++) {
            bool ours = false;
            struct found_key key;
            CLAVE_CHECK(read_key(pb, batch[i], &key.info, &ours));
            if (ours) {
                CLAVE_ENSURE(*count < CLAVE_KEYRING_MAX_KEYS, CLAVE_ERR_LIMIT,
                             "pkcs11: more than %d clave keys on the token",
                             CLAVE_KEYRING_MAX_KEYS);
                key.handle = batch[i];
                found[(*count)++] = key;
            }
        }
    } while (n > 0);
    st = CLAVE_OK;
done:
    return st;
}

/* List the token's clave keys into the keyring, ordered by (created, id). */
static clave_status list_keys(struct clave_keyring *kr)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct p11_backend *pb = kr->backend;
    struct found_key *found = NULL;
    struct p11_key *key = NULL;
    size_t count = 0;
    bool searching = false;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE filter[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_TOKEN, &yes, sizeof(yes)},
    };
    found = calloc(CLAVE_KEYRING_MAX_KEYS, sizeof(*found));
    CLAVE_ENSURE_ALLOC(found);
    P11_CHECK(pb->fn->C_FindObjectsInit(pb->session, filter, 3), "C_FindObjectsInit");
    searching = true;
    CLAVE_CHECK(collect(pb, found, &count));
    searching = false;
    P11_CHECK(pb->fn->C_FindObjectsFinal(pb->session), "C_FindObjectsFinal");
    qsort(found, count, sizeof(*found), compare_found);
    for (size_t i = 0; i < count; i++) {
        key = calloc(1, sizeof(*key));
        CLAVE_ENSURE_ALLOC(key);
        key->handle = found[i].handle;
        CLAVE_CHECK(clave__keyring_append(kr, &found[i].info, key));
        key = NULL;
    }
    st = CLAVE_OK;
done:
    if (searching) {
        (void)pb->fn->C_FindObjectsFinal(pb->session);
    }
    free(key);
    free(found);
    return st;
}

static clave_status p11_open(struct clave_keyring *kr, const struct clave_keyring_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct p11_backend *pb = NULL;
    CK_SLOT_ID slot = 0;
    CLAVE_ENSURE(cfg->module != NULL && cfg->token_label != NULL, CLAVE_ERR_ARG,
                 "pkcs11 keyring: module and token_label are required");
    CLAVE_ENSURE(cfg->passphrase != NULL && clave_secret_len(cfg->passphrase) > 0,
                 CLAVE_ERR_PASSPHRASE, "pkcs11 keyring: no PIN");
    pb = calloc(1, sizeof(*pb));
    CLAVE_ENSURE_ALLOC(pb);
    kr->backend = pb; /* from here on, clave_keyring_free undoes what was done */
    CLAVE_CHECK(load_module(pb, cfg->module));
    CLAVE_CHECK(find_slot(pb, cfg->token_label, &slot));
    P11_CHECK(
        pb->fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &pb->session),
        "C_OpenSession");
    pb->session_open = true;
    CLAVE_CHECK(login(pb, cfg->passphrase));
    CLAVE_CHECK(list_keys(kr));
    st = CLAVE_OK;
done:
    return st;
}

/* A token is "created" as a keyring when it holds no clave keys yet. */
static clave_status p11_create(struct clave_keyring *kr, const struct clave_keyring_config *cfg)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(p11_open(kr, cfg));
    CLAVE_ENSURE(kr->key_count == 0, CLAVE_ERR_EXISTS,
                 "pkcs11: token \"%s\" already holds %zu clave keys", cfg->token_label,
                 kr->key_count);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status p11_generate(struct clave_keyring *kr, const struct clave_key_info *info)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct p11_backend *pb = kr->backend;
    struct p11_key *key = NULL;
    struct clave_key_info stored = *info;
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_ULONG len = CLAVE_KEK_LEN;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL no = CK_FALSE;
    CK_DATE date;
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    bool made = false;
    CLAVE_ENSURE(info->kind == CLAVE_KEY_AES256_KEK, CLAVE_ERR_UNSUPPORTED,
                 "pkcs11 keyring: only AES-256 KEKs (no %s)", clave__key_kind_name(info->kind));
    time_to_date(info->created, &date);
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &type, sizeof(type)},
        {CKA_VALUE_LEN, &len, sizeof(len)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)},
        {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_ENCRYPT, &yes, sizeof(yes)},
        {CKA_DECRYPT, &yes, sizeof(yes)},
        {CKA_WRAP, &no, sizeof(no)},
        {CKA_UNWRAP, &no, sizeof(no)},
        {CKA_SIGN, &no, sizeof(no)},
        {CKA_VERIFY, &no, sizeof(no)},
        {CKA_DERIVE, &no, sizeof(no)},
        {CKA_LABEL, unconst(info->label), strlen(info->label)},
        {CKA_ID, unconst(info->id), strlen(info->id)},
        {CKA_START_DATE, &date, sizeof(date)},
    };
    key = calloc(1, sizeof(*key));
    CLAVE_ENSURE_ALLOC(key);
    P11_CHECK(
        pb->fn->C_GenerateKey(pb->session, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &handle),
        "C_GenerateKey");
    made = true;
    key->handle = handle;
    stored.created = read_created(pb, handle); /* what a later open will read back */
    CLAVE_CHECK(clave__keyring_append(kr, &stored, key));
    key = NULL;
    made = false;
    st = CLAVE_OK;
done:
    if (made) {
        (void)pb->fn->C_DestroyObject(pb->session, handle);
    }
    free(key);
    return st;
}

static void gcm_params(CK_GCM_PARAMS *params, const uint8_t *nonce, const uint8_t *aad,
                       size_t aad_len)
{
    memset(params, 0, sizeof(*params));
    params->pIv = unconst(nonce);
    params->ulIvLen = CLAVE_AEAD_NONCE_LEN;
    params->ulIvBits = 8 * CLAVE_AEAD_NONCE_LEN;
    params->pAAD = aad_len > 0 ? unconst(aad) : NULL;
    params->ulAADLen = aad_len;
    params->ulTagBits = GCM_TAG_BITS;
}

static clave_status p11_wrap(struct clave_keyring *kr, size_t index, const struct clave_secret *dek,
                             const uint8_t *aad, size_t aad_len, uint8_t *out, size_t out_cap,
                             size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct p11_backend *pb = kr->backend;
    const struct p11_key *key = kr->keys[index].data;
    size_t dek_len = clave_secret_len(dek);
    CK_GCM_PARAMS params;
    CK_MECHANISM mech = {CKM_AES_GCM, &params, sizeof(params)};
    CLAVE_ENSURE(dek_len <= CLAVE_WRAPPED_KEY_MAX - CLAVE_KEK_WRAP_OVERHEAD, CLAVE_ERR_TOO_LARGE,
                 "keyring wrap: data key of %zu bytes too long", dek_len);
    CLAVE_ENSURE(out_cap >= dek_len + CLAVE_KEK_WRAP_OVERHEAD, CLAVE_ERR_LIMIT,
                 "keyring wrap: output needs %zu bytes", dek_len + CLAVE_KEK_WRAP_OVERHEAD);
    CLAVE_CHECK(clave_random(out, CLAVE_AEAD_NONCE_LEN));
    gcm_params(&params, out, aad, aad_len);
    CK_ULONG ct_len = out_cap - CLAVE_AEAD_NONCE_LEN;
    P11_CHECK(pb->fn->C_EncryptInit(pb->session, &mech, key->handle), "C_EncryptInit");
    P11_CHECK(pb->fn->C_Encrypt(pb->session, unconst(clave_secret_cdata(dek)), dek_len,
                                out + CLAVE_AEAD_NONCE_LEN, &ct_len),
              "C_Encrypt");
    CLAVE_ENSURE(ct_len == dek_len + CLAVE_AEAD_TAG_LEN, CLAVE_ERR_PKCS11,
                 "pkcs11: C_Encrypt returned %lu bytes", (unsigned long)ct_len);
    *out_len = CLAVE_AEAD_NONCE_LEN + ct_len;
    st = CLAVE_OK;
done:
    return st;
}

/* Whether a C_Decrypt failure under CKM_AES_GCM means "the input does not authenticate".
 * Modules differ: the standard code is CKR_ENCRYPTED_DATA_INVALID, SoftHSM2 2.6 answers a bad
 * tag with CKR_GENERAL_ERROR, others with CKR_FUNCTION_FAILED. Session, login and device
 * errors stay CLAVE_ERR_PKCS11. */
static bool is_auth_failure(CK_RV rv)
{
    return rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
           rv == CKR_DATA_INVALID || rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED;
}

static clave_status p11_unwrap(struct clave_keyring *kr, size_t index, const uint8_t *wrapped,
                               size_t wrapped_len, const uint8_t *aad, size_t aad_len,
                               struct clave_secret **dek)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct p11_backend *pb = kr->backend;
    const struct p11_key *key = kr->keys[index].data;
    struct clave_secret *buf = NULL;
    CK_GCM_PARAMS params;
    CK_MECHANISM mech = {CKM_AES_GCM, &params, sizeof(params)};
    CLAVE_ENSURE(wrapped_len > CLAVE_KEK_WRAP_OVERHEAD, CLAVE_ERR_AUTH,
                 "keyring unwrap: wrapped key too short");
    size_t body_len = wrapped_len - CLAVE_AEAD_NONCE_LEN; /* ct || tag */
    /* Room for ct || tag: some modules want the full input length before they check the tag. */
    CLAVE_CHECK(clave_secret_new(body_len, &buf));
    gcm_params(&params, wrapped, aad, aad_len);
    CK_ULONG pt_len = body_len;
    P11_CHECK(pb->fn->C_DecryptInit(pb->session, &mech, key->handle), "C_DecryptInit");
    CK_RV rv = pb->fn->C_Decrypt(pb->session, unconst(wrapped + CLAVE_AEAD_NONCE_LEN), body_len,
                                 clave_secret_data(buf), &pt_len);
    CLAVE_ENSURE(!is_auth_failure(rv), CLAVE_ERR_AUTH,
                 "keyring unwrap: wrapped key does not authenticate (%s)",
                 clave__pkcs11_rv_name(rv));
    P11_CHECK(rv, "C_Decrypt");
    CLAVE_ENSURE(pt_len == body_len - CLAVE_AEAD_TAG_LEN, CLAVE_ERR_PKCS11,
                 "pkcs11: C_Decrypt returned %lu bytes", (unsigned long)pt_len);
    CLAVE_CHECK(clave_secret_from(clave_secret_cdata(buf), pt_len, dek));
    st = CLAVE_OK;
done:
    clave_secret_free(buf);
    return st;
}

static clave_status p11_export_public(const struct clave_keyring *kr, size_t index, char **jwk_json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    (void)kr;
    (void)index;
    *jwk_json = NULL;
    CLAVE_RAISE(CLAVE_ERR_UNSUPPORTED, "pkcs11 keyring: holds no P-256 keys");
done:
    return st;
}

const struct keyring_ops clave__keyring_pkcs11_ops = {
    .name = "pkcs11",
    .create = p11_create,
    .open = p11_open,
    .generate = p11_generate,
    .wrap = p11_wrap,
    .unwrap = p11_unwrap,
    .export_public = p11_export_public,
    .free_entry = free_entry,
    .close = close_backend,
};
