/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave status codes and the thread-local last-error detail.
 *
 * Codes are grouped by category and only ever appended; a value, once released, keeps its meaning.
 */
#ifndef CLAVE_STATUS_H
#define CLAVE_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#define CLAVE_API __attribute__((visibility("default")))
#define CLAVE_MUST_USE __attribute__((warn_unused_result))

typedef enum clave_status {
    CLAVE_OK = 0,

    /* 1xx: generic */
    CLAVE_ERR_INTERNAL = 100,    /* a bug in clave: an invariant did not hold */
    CLAVE_ERR_NOMEM = 101,       /* allocation failed */
    CLAVE_ERR_ARG = 102,         /* the caller passed an invalid argument */
    CLAVE_ERR_IO = 103,          /* a file or socket operation failed */
    CLAVE_ERR_NOT_FOUND = 104,   /* a named object does not exist */
    CLAVE_ERR_EXISTS = 105,      /* the object already exists */
    CLAVE_ERR_UNSUPPORTED = 106, /* a valid but unsupported algorithm, version or option */
    CLAVE_ERR_LIMIT = 107,       /* a configured limit would be exceeded */
    CLAVE_ERR_STATE = 108,       /* the operation is not valid in the object's current state */

    /* 2xx: parsing untrusted input */
    CLAVE_ERR_TRUNCATED = 200, /* input ended before a field was complete */
    CLAVE_ERR_TRAILING = 201,  /* bytes left over after the last field */
    CLAVE_ERR_FORMAT = 202,    /* a field has an invalid value */
    CLAVE_ERR_TOO_LARGE = 203, /* a length or count exceeds its maximum */
    CLAVE_ERR_JSON = 204,      /* malformed JSON or a field of the wrong type */
    CLAVE_ERR_CBOR = 205,      /* malformed CBOR or a field of the wrong type */
    CLAVE_ERR_ENCODING = 206,  /* invalid hex, base64 or text encoding */

    /* 3xx: cryptography */
    CLAVE_ERR_CRYPTO = 300, /* the crypto library failed */
    CLAVE_ERR_AUTH = 301,   /* authentication failed (tag, MAC, wrong key): deliberately generic */
    CLAVE_ERR_SIGNATURE = 302, /* a signature did not verify */
    CLAVE_ERR_CERT = 303,      /* a certificate or chain did not verify */
    CLAVE_ERR_KEY = 304,       /* a key is malformed, of the wrong type or too weak */
    CLAVE_ERR_RANDOM = 305,    /* the random generator failed */
    CLAVE_ERR_REVOKED = 306,   /* a certificate is revoked */
    CLAVE_ERR_EXPIRED = 307,   /* a certificate or collateral is outside its validity window */

    /* 4xx: keys and sealed data */
    CLAVE_ERR_KEYRING = 400,      /* the keyring file or token is unusable */
    CLAVE_ERR_PASSPHRASE = 401,   /* the keyring passphrase is wrong or missing */
    CLAVE_ERR_PKCS11 = 402,       /* a PKCS#11 call failed */
    CLAVE_ERR_TAMPERED = 403,     /* sealed data was modified, reordered, truncated or extended */
    CLAVE_ERR_NO_RECIPIENT = 404, /* none of the wrapped keys can be unwrapped with our keys */

    /* 5xx: storage */
    CLAVE_ERR_STORE = 500,      /* the database failed (the detail names the statement) */
    CLAVE_ERR_CONFLICT = 501,   /* a transaction lost a race (serialization failure, busy): retry */
    CLAVE_ERR_CONSTRAINT = 502, /* a foreign-key, NOT NULL or CHECK constraint was violated */
} clave_status;

/** Short, stable, human-readable name of a status ("truncated input"). Never NULL. */
CLAVE_API const char *clave_status_str(clave_status st);

/** Where and why the last failure on this thread happened. */
struct clave_error_info {
    clave_status status;
    const char *file;
    int line;
    const char *detail; /* e.g. "snp: report version 1 < 2"; never contains secrets */
};

/**
 * The last error recorded on the calling thread. The strings stay valid until the next failing
 * clave call on this thread. Returns status CLAVE_OK and an empty detail if nothing failed yet.
 */
CLAVE_API struct clave_error_info clave_error_last(void);

/** Forget the last error on the calling thread. */
CLAVE_API void clave_error_clear(void);

#ifdef __cplusplus
}
#endif
#endif
