/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tour of clave/mpc.h (docs/mpc.md): fixed-point values shared among three parties with
 * replicated sharing, multiplied with one PRSS zero-sharing and a resharing step, truncated,
 * opened with the cross-check; and a 3-of-5 Shamir sharing of a 32-byte key.
 * Build: cc mpc_tour.c $(pkg-config --cflags --libs clave)
 */
#include <clave/clave.h>
#include <stdio.h>
#include <string.h>

#define FRAC 16

static int fail(const char *what, clave_status st)
{
    fprintf(stderr, "%s: %s (%s)\n", what, clave_status_str(st), clave_error_last().detail);
    return 1;
}

int main(void)
{
    clave_status st = CLAVE_OK;
    uint64_t x = 0, y = 0, xc[3], yc[3], zero[3], z[3], out = 0;
    uint64_t *xp[3] = {&xc[0], &xc[1], &xc[2]}, *yp[3] = {&yc[0], &yc[1], &yc[2]};
    uint8_t keys[3][CLAVE_MPC_PRSS_KEY_LEN];
    struct clave_mpc_prss *prss[3] = {NULL, NULL, NULL};
    int rc = 1;

    if ((st = clave_mpc_fixed_encode(3.5, FRAC, &x)) != CLAVE_OK ||
        (st = clave_mpc_fixed_encode(-1.25, FRAC, &y)) != CLAVE_OK ||
        (st = clave_mpc_rss_share(&x, 1, xp)) != CLAVE_OK ||
        (st = clave_mpc_rss_share(&y, 1, yp)) != CLAVE_OK) {
        return fail("share", st);
    }
    /* Party i drew keys[i] and gave it to party i-1: party i holds keys i and i+1. */
    for (int i = 0; i < 3 && st == CLAVE_OK; i++) {
        st = clave_random(keys[i], sizeof(keys[i]));
    }
    for (int i = 0; i < 3 && st == CLAVE_OK; i++) {
        st = clave_mpc_prss_new(keys[i], keys[(i + 1) % 3], &prss[i]);
    }
    for (int i = 0; i < 3 && st == CLAVE_OK; i++) {
        st = clave_mpc_prss_zero(prss[i], &zero[i], 1);
        /* Party i computes z_i from its pair (x_i, x_{i+1}), (y_i, y_{i+1}) ... */
        clave_mpc_rss_mul_local(&xc[i], &xc[(i + 1) % 3], &yc[i], &yc[(i + 1) % 3], &zero[i], 1,
                                &z[i]);
    }
    /* ... and sends z_i to party i-1, so party i now holds (z_i, z_{i+1}). Open from 0 and 1. */
    if (st != CLAVE_OK ||
        (st = clave_mpc_rss_open(0, &z[0], &z[1], 1, &z[1], &z[2], 1, &out)) != CLAVE_OK) {
        rc = fail("multiply", st);
        goto done;
    }
    printf("3.5 * -1.25 = %g\n", clave_mpc_fixed_decode(clave_mpc_fixed_trunc(out, FRAC), FRAC));

    /* Shamir 3-of-5 over F_p of a 32-byte key; reconstruct from holders 2, 4 and 5. */
    uint8_t key[32], back[32];
    uint64_t elems[5], shares[5 * 5], sub[3 * 5], rec[5];
    const uint64_t xs[5] = {1, 2, 3, 4, 5}, pick_xs[3] = {2, 4, 5};
    if ((st = clave_random(key, sizeof(key))) != CLAVE_OK ||
        (st = clave_mpc_bytes_to_elems(key, 32, elems, 5)) != CLAVE_OK ||
        (st = clave_mpc_shamir_split(elems, 5, 3, xs, 5, shares)) != CLAVE_OK) {
        rc = fail("shamir split", st);
        goto done;
    }
    memcpy(sub, shares + 1 * 5, 5 * sizeof(uint64_t));
    memcpy(sub + 5, shares + 3 * 5, 5 * sizeof(uint64_t));
    memcpy(sub + 10, shares + 4 * 5, 5 * sizeof(uint64_t));
    if ((st = clave_mpc_shamir_combine(pick_xs, sub, 3, 5, 3, rec)) != CLAVE_OK ||
        (st = clave_mpc_elems_to_bytes(rec, 5, back, 32)) != CLAVE_OK) {
        rc = fail("shamir combine", st);
        goto done;
    }
    printf("shamir 3-of-5: key %s\n", clave_ct_equal(key, back, 32) ? "recovered" : "WRONG");
    rc = clave_ct_equal(key, back, 32) ? 0 : 1;
done:
    for (int i = 0; i < 3; i++) {
        clave_mpc_prss_free(prss[i]);
    }
    clave_wipe(keys, sizeof(keys));
    return rc;
}
