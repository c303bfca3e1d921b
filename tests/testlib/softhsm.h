/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fresh SoftHSM2 token for one test: a temporary directory with a softhsm2.conf whose
 * directories.tokendir points inside it, SOFTHSM2_CONF set to that file, and one token
 * initialised with softhsm2-util. Fails the test (never skips) if SoftHSM2 is not installed.
 */
#ifndef CLAVE_TESTLIB_SOFTHSM_H
#define CLAVE_TESTLIB_SOFTHSM_H

#define T_SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"

struct t_softhsm {
    char *dir;          /* temporary directory; removed by t_softhsm_free */
    char *conf;         /* its softhsm2.conf */
    const char *module; /* path of the PKCS#11 module */
};

/* Create the directory, the configuration and a token `label` with the given PINs. */
struct t_softhsm *t_softhsm_new(const char *label, const char *user_pin, const char *so_pin);

/* Remove the token directory and unset SOFTHSM2_CONF. NULL is a no-op. */
void t_softhsm_free(struct t_softhsm *hsm);

#endif
