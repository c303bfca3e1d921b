/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collaboration membership as a chain of signed statements.
 *
 * A collaboration's members are parties, each with an identity public key (Ed25519 or P-256,
 * SubjectPublicKeyInfo) and an optional region tag. Every change of membership (add, remove,
 * change key) is a tagged COSE_Sign1 statement by a member, and each statement names the SHA-256
 * of the one before it, so the whole history can be re-verified offline from its statements
 * alone (docs/collaborations.md has the rules and the CDDL).
 *
 * struct clave_collab is not thread-safe; separate objects may be used from separate threads.
 */
#ifndef CLAVE_COLLAB_H
#define CLAVE_COLLAB_H

#include <clave/sign.h>
#include <clave/status.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest collaboration name, party name and region tag (characters). */
#define CLAVE_COLLAB_NAME_MAX 64
/** Largest statement (bytes). */
#define CLAVE_COLLAB_STATEMENT_MAX_LEN 4096
/** Most members at any time, and most statements in one history. */
#define CLAVE_COLLAB_MEMBERS_MAX 64
#define CLAVE_COLLAB_HISTORY_MAX 1024
/** Length of a statement hash (SHA-256). */
#define CLAVE_COLLAB_HASH_LEN 32
/** Longest identity key (SubjectPublicKeyInfo DER of P-256). */
#define CLAVE_COLLAB_SPKI_MAX 128

/** The domain-separation string of the external AAD (followed by 0x00 || collaboration ||
 * 0x00 || signer). */
#define CLAVE_COLLAB_AAD "clave-collab-membership-v1"

enum clave_collab_op {
    CLAVE_COLLAB_ADD = 1,    /* a party joins with a key (and a region tag) */
    CLAVE_COLLAB_REMOVE = 2, /* a party leaves (itself) or is voted out (by all others) */
    CLAVE_COLLAB_REKEY = 3,  /* a member replaces its own key (signed with the old one) */
};

/**
 * What one statement says (a transparent value struct; pointers are borrowed). `seq` is the
 * statement's index in the history and `prev` the SHA-256 of statement seq-1 (zeros for 0).
 */
struct clave_collab_change {
    enum clave_collab_op op;
    const char *collaboration;
    uint64_t seq;
    uint8_t prev[CLAVE_COLLAB_HASH_LEN];
    const char *party;   /* the subject */
    const char *signer;  /* the member whose key signs */
    const uint8_t *spki; /* add, rekey: the subject's (new) key; NULL for remove */
    size_t spki_len;
    const char *region; /* add: optional region tag, else NULL */
    uint64_t time;      /* Unix seconds, informational */
};

/** A statement decoded WITHOUT verifying its signature (display, fuzzing). */
struct clave_collab_statement;

/**
 * Decode the payload of statement `cose` (`len` bytes, borrowed) without checking the signature.
 * `*out` is caller-frees with clave_collab_statement_free(); clave_collab_statement_change()
 * reads it. CLAVE_ERR_FORMAT / CLAVE_ERR_CBOR / CLAVE_ERR_TRUNCATED ... for malformed input,
 * with a detail naming the field.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_collab_statement_peek(const uint8_t *cose, size_t len, struct clave_collab_statement **out);

/** The fields of a decoded statement (pointers borrowed from `s`). */
CLAVE_API void clave_collab_statement_change(const struct clave_collab_statement *s,
                                             struct clave_collab_change *out);

/** Free a decoded statement; NULL is a no-op. */
CLAVE_API void clave_collab_statement_free(struct clave_collab_statement *s);

/** "add", "remove", "rekey" (or "?"). */
CLAVE_API const char *clave_collab_op_name(enum clave_collab_op op);

/**
 * Sign `change` with `key` (the signer's private identity key, borrowed): a tagged COSE_Sign1
 * (EdDSA for Ed25519, ES256 for P-256) into `*out` (caller frees with free()). The change is
 * validated first (names, key type, op fields). CLAVE_ERR_ARG / CLAVE_ERR_KEY.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_collab_sign(const struct clave_collab_change *change,
                                                        const struct clave_pkey *key, uint8_t **out,
                                                        size_t *out_len);

/**
 * For keys in a token: the exact COSE Sig_structure bytes to sign with `alg`
 * (CLAVE_COSE_ALG_EDDSA or CLAVE_COSE_ALG_ES256) into `*out` (caller frees with free()).
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_collab_signing_input(
    const struct clave_collab_change *change, int64_t alg, uint8_t **out, size_t *out_len);

/**
 * Wrap a raw 64-byte signature (Ed25519, or P-256 r||s) made over clave_collab_signing_input()
 * into the statement, and verify it under `signer_spki` (borrowed) before returning it in
 * `*out` (caller frees with free()). CLAVE_ERR_SIGNATURE if it does not verify.
 */
CLAVE_API CLAVE_MUST_USE clave_status
clave_collab_assemble(const struct clave_collab_change *change, int64_t alg,
                      const uint8_t *signer_spki, size_t signer_spki_len, const uint8_t *signature,
                      size_t signature_len, uint8_t **out, size_t *out_len);

/** A membership history. */
struct clave_collab;

/** A current member (pointers borrowed from the history, valid until it changes). */
struct clave_collab_member {
    const char *party;
    const uint8_t *spki;
    size_t spki_len;
    const char *region; /* "" when none */
};

/** An empty history of collaboration `name` (borrowed, copied). Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_collab_new(const char *name, struct clave_collab **out);

/** Free a history; NULL is a no-op. */
CLAVE_API void clave_collab_free(struct clave_collab *c);

/**
 * Verify statement `cose` (borrowed) as the next one of the history and apply it. Rules: the
 * statement names this collaboration, the next `seq` and the hash of the last statement; the
 * first is an add of the signer itself, signed by the key it adds; later adds are signed by any
 * current member; a removal is signed by the member itself (never the last member) or counts as
 * a vote, and the member leaves once every other current member voted; a rekey is signed by the
 * member itself with its current key. On failure the history is unchanged.
 * Returns CLAVE_ERR_SIGNATURE (bad signature), CLAVE_ERR_STATE (rule broken: not a member,
 * already a member, wrong seq/prev, ...), CLAVE_ERR_LIMIT, or a decoding error.
 */
CLAVE_API CLAVE_MUST_USE clave_status clave_collab_append(struct clave_collab *c,
                                                          const uint8_t *cose, size_t len);

/** What the next statement must carry: its `seq` and `prev`. */
CLAVE_API void clave_collab_next(const struct clave_collab *c, uint64_t *seq,
                                 uint8_t prev[CLAVE_COLLAB_HASH_LEN]);

/** The collaboration's name (borrowed). */
CLAVE_API const char *clave_collab_name(const struct clave_collab *c);

/** Number of current members, and member `i` (CLAVE_ERR_ARG past the end). */
CLAVE_API size_t clave_collab_member_count(const struct clave_collab *c);
CLAVE_API CLAVE_MUST_USE clave_status clave_collab_member(const struct clave_collab *c, size_t i,
                                                          struct clave_collab_member *out);

/** The current member `party`; CLAVE_ERR_NOT_FOUND if it is not one. */
CLAVE_API CLAVE_MUST_USE clave_status clave_collab_find(const struct clave_collab *c,
                                                        const char *party,
                                                        struct clave_collab_member *out);

/** Whether `spki` (borrowed) is the same public key as member `party`'s (false if no member). */
CLAVE_API bool clave_collab_key_matches(const struct clave_collab *c, const char *party,
                                        const uint8_t *spki, size_t spki_len);

/** Number of statements, and statement `i` (borrowed bytes; CLAVE_ERR_ARG past the end). */
CLAVE_API size_t clave_collab_statement_count(const struct clave_collab *c);
CLAVE_API CLAVE_MUST_USE clave_status clave_collab_statement(const struct clave_collab *c, size_t i,
                                                             const uint8_t **bytes, size_t *len);

/** True iff `s` is 1..64 characters of [A-Za-z0-9_-] (names of collaborations and parties,
 * region tags: the router's path alphabet). */
CLAVE_API bool clave_collab_valid_name(const char *s);

#ifdef __cplusplus
}
#endif
#endif
