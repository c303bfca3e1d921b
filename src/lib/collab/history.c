/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A membership history: the chain of statements and the member set it produces.
 *
 * Rules (docs/collaborations.md "Membership rules"), checked for statement n against the state
 * after statements 0..n-1:
 *   - it names this collaboration, seq = n, prev = SHA-256(statement n-1) (zeros for n = 0);
 *   - n = 0: an add whose signer is the party it adds, verified under the key it adds;
 *   - add: the signer is a current member, the party is not; at most CLAVE_COLLAB_MEMBERS_MAX;
 *   - remove by the party itself: it leaves (unless it is the last member);
 *     remove by another member: a vote; the party leaves once every other current member has
 *     voted (votes of members who left no longer count; re-evaluated after every statement);
 *   - rekey: by the member itself, verified under its current key;
 *   - every statement verifies under the signer's key as of before it.
 */
#include "collab/collab_internal.h"

#include "core/check.h"

#include <clave/crypto.h>
#include <stdlib.h>
#include <string.h>

struct member {
    char party[CLAVE_COLLAB_NAME_MAX + 1];
    uint8_t spki[CLAVE_COLLAB_SPKI_MAX];
    size_t spki_len;
    char region[CLAVE_COLLAB_NAME_MAX + 1];
    /* votes[j]: member j (by party name) voted to remove this one */
    char votes[CLAVE_COLLAB_MEMBERS_MAX][CLAVE_COLLAB_NAME_MAX + 1];
    size_t vote_count;
};

struct stored {
    uint8_t *bytes;
    size_t len;
};

struct clave_collab {
    char name[CLAVE_COLLAB_NAME_MAX + 1];
    struct member *members; /* CLAVE_COLLAB_MEMBERS_MAX slots */
    size_t member_count;
    struct stored *statements; /* CLAVE_COLLAB_HISTORY_MAX slots */
    size_t statement_count;
    uint8_t last_hash[CLAVE_COLLAB_HASH_LEN];
};

clave_status clave_collab_new(const char *name, struct clave_collab **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_collab *c = NULL;
    *out = NULL;
    CLAVE_ENSURE(clave_collab_valid_name(name), CLAVE_ERR_ARG, "collab: name: [A-Za-z0-9_-]{1,64}");
    c = calloc(1, sizeof(*c));
    CLAVE_ENSURE_ALLOC(c);
    c->members = calloc(CLAVE_COLLAB_MEMBERS_MAX, sizeof(*c->members));
    c->statements = calloc(CLAVE_COLLAB_HISTORY_MAX, sizeof(*c->statements));
    CLAVE_ENSURE_ALLOC(c->members);
    CLAVE_ENSURE_ALLOC(c->statements);
    memcpy(c->name, name, strlen(name) + 1);
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    clave_collab_free(c);
    return st;
}

void clave_collab_free(struct clave_collab *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; c->statements != NULL && i < c->statement_count; i++) {
        free(c->statements[i].bytes);
    }
    free(c->statements);
    free(c->members);
    free(c);
}

static struct member *find(const struct clave_collab *c, const char *party)
{
    for (size_t i = 0; i < c->member_count; i++) {
        if (strcmp(c->members[i].party, party) == 0) {
            return &c->members[i];
        }
    }
    return NULL;
}

static void drop(struct clave_collab *c, const struct member *m)
{
    size_t i = (size_t)(m - c->members);
    memmove(&c->members[i], &c->members[i + 1], (c->member_count - i - 1) * sizeof(*m));
    c->member_count--;
    memset(&c->members[c->member_count], 0, sizeof(*m));
}

static bool voted(const struct member *m, const char *party)
{
    for (size_t i = 0; i < m->vote_count; i++) {
        if (strcmp(m->votes[i], party) == 0) {
            return true;
        }
    }
    return false;
}

/* Remove every member all of whose co-members voted it out, until nothing changes. */
static void settle_votes(struct clave_collab *c)
{
    bool changed = true;
    while (changed && c->member_count > 1) {
        changed = false;
        for (size_t i = 0; i < c->member_count && !changed; i++) {
            const struct member *m = &c->members[i];
            bool all = m->vote_count > 0;
            for (size_t j = 0; j < c->member_count && all; j++) {
                all = j == i || voted(m, c->members[j].party);
            }
            if (all) {
                drop(c, m);
                changed = true;
            }
        }
    }
}

/* The rule checks that need no signature; `*key_of` gets the member whose key verifies (NULL:
 * the statement's own key, for the founding add). */
static clave_status check_rules(const struct clave_collab *c,
                                const struct clave_collab_statement *s,
                                const struct member **signer)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct member *subject = find(c, s->party);
    *signer = find(c, s->signer);
    CLAVE_ENSURE(strcmp(s->collaboration, c->name) == 0, CLAVE_ERR_STATE,
                 "collab: the statement is about collaboration %s, not %s", s->collaboration,
                 c->name);
    CLAVE_ENSURE(s->seq == c->statement_count, CLAVE_ERR_STATE,
                 "collab: statement seq %llu, expected %zu", (unsigned long long)s->seq,
                 c->statement_count);
    CLAVE_ENSURE(clave_ct_equal(s->prev, c->last_hash, CLAVE_COLLAB_HASH_LEN), CLAVE_ERR_STATE,
                 "collab: statement %llu does not follow the last one (prev hash)",
                 (unsigned long long)s->seq);
    if (c->statement_count == 0) {
        CLAVE_ENSURE(s->op == CLAVE_COLLAB_ADD && strcmp(s->party, s->signer) == 0, CLAVE_ERR_STATE,
                     "collab: the first statement is an add signed by the party");
        return CLAVE_OK;
    }
    CLAVE_ENSURE(*signer != NULL, CLAVE_ERR_STATE, "collab: signer %s is not a member", s->signer);
    if (s->op == CLAVE_COLLAB_ADD) {
        CLAVE_ENSURE(subject == NULL, CLAVE_ERR_STATE, "collab: %s is already a member", s->party);
        CLAVE_ENSURE(c->member_count < CLAVE_COLLAB_MEMBERS_MAX, CLAVE_ERR_LIMIT,
                     "collab: at most %d members", CLAVE_COLLAB_MEMBERS_MAX);
    } else {
        CLAVE_ENSURE(subject != NULL, CLAVE_ERR_STATE, "collab: %s is not a member", s->party);
    }
    CLAVE_ENSURE(s->op != CLAVE_COLLAB_REMOVE || subject != *signer || c->member_count > 1,
                 CLAVE_ERR_STATE, "collab: the last member cannot leave");
    CLAVE_ENSURE(s->op != CLAVE_COLLAB_REMOVE || subject == *signer || !voted(subject, s->signer),
                 CLAVE_ERR_STATE, "collab: %s already voted to remove %s", s->signer, s->party);
    st = CLAVE_OK;
done:
    return st;
}

static void apply(struct clave_collab *c, const struct clave_collab_statement *s)
{
    struct member *subject = find(c, s->party);
    if (s->op == CLAVE_COLLAB_ADD) {
        struct member *m = &c->members[c->member_count++];
        memset(m, 0, sizeof(*m));
        memcpy(m->party, s->party, sizeof(m->party));
        memcpy(m->spki, s->spki, s->spki_len);
        m->spki_len = s->spki_len;
        memcpy(m->region, s->region, sizeof(m->region));
    } else if (s->op == CLAVE_COLLAB_REKEY) {
        memset(subject->spki, 0, sizeof(subject->spki));
        memcpy(subject->spki, s->spki, s->spki_len);
        subject->spki_len = s->spki_len;
    } else if (strcmp(s->party, s->signer) == 0) {
        drop(c, subject);
    } else {
        memcpy(subject->votes[subject->vote_count++], s->signer, sizeof(subject->votes[0]));
    }
    settle_votes(c);
}

clave_status clave_collab_append(struct clave_collab *c, const uint8_t *cose, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_collab_statement *s = NULL;
    const struct member *signer = NULL;
    uint8_t *copy = NULL;
    CLAVE_ENSURE(c != NULL, CLAVE_ERR_ARG, "collab: NULL history");
    CLAVE_ENSURE(c->statement_count < CLAVE_COLLAB_HISTORY_MAX, CLAVE_ERR_LIMIT,
                 "collab: at most %d statements", CLAVE_COLLAB_HISTORY_MAX);
    CLAVE_CHECK(clave_collab_statement_peek(cose, len, &s));
    CLAVE_CHECK(check_rules(c, s, &signer));
    if (signer != NULL) {
        CLAVE_CHECK(clave__collab_verify(cose, len, signer->spki, signer->spki_len, s));
    } else {
        CLAVE_CHECK(clave__collab_verify(cose, len, s->spki, s->spki_len, s));
    }
    copy = malloc(len);
    CLAVE_ENSURE_ALLOC(copy);
    memcpy(copy, cose, len);
    CLAVE_CHECK(clave_hash(CLAVE_HASH_SHA256, cose, len, c->last_hash, CLAVE_COLLAB_HASH_LEN));
    c->statements[c->statement_count].bytes = copy;
    c->statements[c->statement_count].len = len;
    c->statement_count++;
    copy = NULL;
    apply(c, s);
    st = CLAVE_OK;
done:
    free(copy);
    clave_collab_statement_free(s);
    return st;
}

void clave_collab_next(const struct clave_collab *c, uint64_t *seq,
                       uint8_t prev[CLAVE_COLLAB_HASH_LEN])
{
    *seq = c->statement_count;
    memcpy(prev, c->last_hash, CLAVE_COLLAB_HASH_LEN);
}

const char *clave_collab_name(const struct clave_collab *c)
{
    return c->name;
}

size_t clave_collab_member_count(const struct clave_collab *c)
{
    return c->member_count;
}

static void view(const struct member *m, struct clave_collab_member *out)
{
    out->party = m->party;
    out->spki = m->spki;
    out->spki_len = m->spki_len;
    out->region = m->region;
}

clave_status clave_collab_member(const struct clave_collab *c, size_t i,
                                 struct clave_collab_member *out)
{
    memset(out, 0, sizeof(*out));
    if (i >= c->member_count) {
        return CLAVE_ERR_ARG;
    }
    view(&c->members[i], out);
    return CLAVE_OK;
}

clave_status clave_collab_find(const struct clave_collab *c, const char *party,
                               struct clave_collab_member *out)
{
    const struct member *m = party != NULL ? find(c, party) : NULL;
    memset(out, 0, sizeof(*out));
    if (m == NULL) {
        return CLAVE_ERR_NOT_FOUND;
    }
    view(m, out);
    return CLAVE_OK;
}

bool clave_collab_key_matches(const struct clave_collab *c, const char *party, const uint8_t *spki,
                              size_t spki_len)
{
    const struct member *m = party != NULL ? find(c, party) : NULL;
    return m != NULL && spki != NULL &&
           clave__collab_same_key(m->spki, m->spki_len, spki, spki_len);
}

size_t clave_collab_statement_count(const struct clave_collab *c)
{
    return c->statement_count;
}

clave_status clave_collab_statement(const struct clave_collab *c, size_t i, const uint8_t **bytes,
                                    size_t *len)
{
    *bytes = NULL;
    *len = 0;
    if (i >= c->statement_count) {
        return CLAVE_ERR_ARG;
    }
    *bytes = c->statements[i].bytes;
    *len = c->statements[i].len;
    return CLAVE_OK;
}
