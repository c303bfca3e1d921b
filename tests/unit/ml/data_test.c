/* SPDX-License-Identifier: Apache-2.0 */
/* Datasets: CSV with a schema (scikit-learn header, names, none) and hostile CSV, IDX and hostile
 * IDX (truncation at every offset, counts that disagree, bad magic), standardisation, split,
 * IID and Dirichlet partitions (sizes, label skew, determinism). */
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t SEED[CLAVE_ML_SEED_LEN] = {9};

static void test_csv_sklearn(void **state)
{
    (void)state;
    static const char CSV[] = "3,2,malignant,benign\n1.5,2,0\n-3e1,0.25,1\r\n7,8,1";
    struct clave_ml_csv_schema s = {2, 2, CLAVE_ML_CSV_SKLEARN, 100};
    struct clave_ml_dataset *ds = NULL;
    T_OK(clave_ml_csv_parse(CSV, strlen(CSV), &s, &ds));
    assert_int_equal(clave_ml_dataset_rows(ds), 3);
    assert_true(clave_ml_dataset_x(ds)[2] == -30.0 && clave_ml_dataset_y(ds)[1] == 1.0);
    clave_ml_dataset_free(ds);
    for (size_t cut = 0; cut < strlen(CSV); cut++) {
        clave_status st = clave_ml_csv_parse(CSV, cut, &s, &ds);
        assert_true(st == CLAVE_ERR_FORMAT || (st == CLAVE_OK && cut >= strlen(CSV) - 1));
        clave_ml_dataset_free(ds);
        ds = NULL;
    }
    static const char *const BAD[] = {
        "4,2,a,b\n1,2,0\n",          /* declared rows disagree */
        "1,3,a,b\n1,2,0\n",          /* declared features disagree */
        "1,2,a,b,c\n1,2,0\n",        /* three class names */
        "1,2,a,b\n1,2\n",            /* too few fields */
        "1,2,a,b\n1,2,0,4\n",        /* too many */
        "1,2,a,b\n1,nan,0\n",        /* not finite */
        "1,2,a,b\n1,inf,0\n",        /* not finite */
        "1,2,a,b\n1,1e999,0\n",      /* overflow */
        "1,2,a,b\n1,,0\n",           /* empty field */
        "1,2,a,b\n1, 2,0\n",         /* space */
        "1,2,a,b\n1,2x,0\n",         /* junk */
        "1,2,a,b\n1,2,2\n",          /* label out of range */
        "1,2,a,b\n1,2,0.5\n",        /* label not an integer */
        "1,2,a,b\n1,2,-1\n",         /* negative label */
        "2,2,a,b\n1,2,0\n\n1,2,1\n", /* empty line */
        "0,2,a,b\n",                 /* no rows */
    };
    for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
        T_ERR(clave_ml_csv_parse(BAD[i], strlen(BAD[i]), &s, &ds), CLAVE_ERR_FORMAT);
        assert_null(ds);
    }
    static const char NUL[] = "1,2,a,b\n1,2\0,0\n";
    T_ERR(clave_ml_csv_parse(NUL, sizeof(NUL) - 1, &s, &ds), CLAVE_ERR_FORMAT);
    s.max_rows = 2;
    T_ERR(clave_ml_csv_parse(CSV, strlen(CSV), &s, &ds), CLAVE_ERR_TOO_LARGE);
    char *longline = malloc(70000);
    assert_non_null(longline);
    memset(longline, '1', 69999);
    longline[69999] = '\n';
    s.header = CLAVE_ML_CSV_NO_HEADER;
    T_ERR(clave_ml_csv_parse(longline, 70000, &s, &ds), CLAVE_ERR_TOO_LARGE);
    free(longline);
}

static void test_csv_other_headers(void **state)
{
    (void)state;
    struct clave_ml_dataset *ds = NULL;
    static const char NAMES[] = "a,b,target\n1,2,0.5\n3,4,-1\n";
    struct clave_ml_csv_schema s = {2, 0, CLAVE_ML_CSV_NAMES, 10};
    T_OK(clave_ml_csv_parse(NAMES, strlen(NAMES), &s, &ds));
    assert_true(clave_ml_dataset_classes(ds) == 0 && clave_ml_dataset_y(ds)[1] == -1.0);
    clave_ml_dataset_free(ds);
    static const char BADNAMES[] = "a,target\n1,2,0.5\n";
    T_ERR(clave_ml_csv_parse(BADNAMES, strlen(BADNAMES), &s, &ds), CLAVE_ERR_FORMAT);
    s.header = CLAVE_ML_CSV_NO_HEADER;
    T_ERR(clave_ml_csv_parse(NAMES, strlen(NAMES), &s, &ds), CLAVE_ERR_FORMAT);
    T_OK(clave_ml_csv_parse(NAMES + 11, strlen(NAMES) - 11, &s, &ds));
    clave_ml_dataset_free(ds);
    s.features = 0;
    T_ERR(clave_ml_csv_parse(NAMES, strlen(NAMES), &s, &ds), CLAVE_ERR_ARG);
}

/* A tiny IDX pair: `n` images of 2 x 3 pixels and their labels. */
static void make_idx(size_t n, uint8_t *img, size_t *img_len, uint8_t *lab, size_t *lab_len)
{
    static const uint8_t IH[] = {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3};
    static const uint8_t LH[] = {0, 0, 8, 1, 0, 0, 0, 0};
    memcpy(img, IH, sizeof(IH));
    memcpy(lab, LH, sizeof(LH));
    img[7] = (uint8_t)n;
    lab[7] = (uint8_t)n;
    for (size_t i = 0; i < n * 6; i++) {
        img[16 + i] = (uint8_t)(i * 37);
    }
    for (size_t i = 0; i < n; i++) {
        lab[8 + i] = (uint8_t)(i % 10);
    }
    *img_len = 16 + n * 6;
    *lab_len = 8 + n;
}

static void test_idx(void **state)
{
    (void)state;
    uint8_t img[16 + 5 * 6], lab[8 + 5];
    size_t il = 0, ll = 0;
    struct clave_ml_dataset *ds = NULL;
    make_idx(5, img, &il, lab, &ll);
    T_OK(clave_ml_idx_parse(img, il, lab, ll, 10, 100, &ds));
    assert_int_equal(clave_ml_dataset_rows(ds), 5);
    assert_int_equal(clave_ml_dataset_features(ds), 6);
    assert_true(fabs(clave_ml_dataset_x(ds)[1] - 37.0 / 255.0) < 1e-15);
    assert_true(clave_ml_dataset_y(ds)[4] == 4.0);
    clave_ml_dataset_free(ds);
    T_OK(clave_ml_idx_parse(img, il, lab, ll, 10, 2, &ds));
    assert_int_equal(clave_ml_dataset_rows(ds), 2);
    clave_ml_dataset_free(ds);
    for (size_t cut = 0; cut < il; cut++) {
        T_ERR(clave_ml_idx_parse(img, cut, lab, ll, 10, 100, &ds), CLAVE_ERR_TRUNCATED);
        assert_null(ds);
    }
    for (size_t cut = 0; cut < ll; cut++) {
        T_ERR(clave_ml_idx_parse(img, il, lab, cut, 10, 100, &ds), CLAVE_ERR_TRUNCATED);
    }
    T_ERR(clave_ml_idx_parse(img, il, lab, ll, 4, 100, &ds), CLAVE_ERR_FORMAT); /* label 4 */
    img[3] = 2;
    T_ERR(clave_ml_idx_parse(img, il, lab, ll, 10, 100, &ds), CLAVE_ERR_FORMAT);
    img[3] = 3;
    img[2] = 0x0d; /* float data */
    T_ERR(clave_ml_idx_parse(img, il, lab, ll, 10, 100, &ds), CLAVE_ERR_FORMAT);
    img[2] = 8;
    img[4] = 0x80; /* 2^31 images */
    T_ERR(clave_ml_idx_parse(img, il, lab, ll, 10, 100, &ds), CLAVE_ERR_FORMAT);
    lab[4] = 0x80;
    T_ERR(clave_ml_idx_parse(img, il, lab, ll, 10, 100, &ds), CLAVE_ERR_TRUNCATED);
    img[4] = lab[4] = 0;
    img[8] = 0x10; /* side 2^28 */
    T_ERR(clave_ml_idx_parse(img, il, lab, ll, 10, 100, &ds), CLAVE_ERR_TOO_LARGE);
    img[8] = 0;
    uint8_t longer[sizeof(img) + 1];
    memcpy(longer, img, il);
    longer[il] = 0;
    T_ERR(clave_ml_idx_parse(longer, il + 1, lab, ll, 10, 100, &ds), CLAVE_ERR_TRAILING);
}

static struct clave_ml_dataset *labelled(size_t n, uint32_t classes)
{
    double *x = malloc(n * 2 * sizeof(double)), *y = malloc(n * sizeof(double));
    assert_true(x != NULL && y != NULL);
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = (double)i;
        x[2 * i + 1] = 5.0;
        y[i] = (double)(i % classes);
    }
    struct clave_ml_dataset *ds = NULL;
    T_OK(clave_ml_dataset_new(n, 2, classes, x, y, &ds));
    free(x);
    free(y);
    return ds;
}

static void test_standardize_split(void **state)
{
    (void)state;
    struct clave_ml_dataset *ds = labelled(100, 2), *tr = NULL, *te = NULL;
    T_OK(clave_ml_dataset_split(ds, 0.25, SEED, &tr, &te));
    assert_int_equal(clave_ml_dataset_rows(tr), 75);
    assert_int_equal(clave_ml_dataset_rows(te), 25);
    T_OK(clave_ml_dataset_standardize(tr, te));
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < 75; i++) {
        mean += clave_ml_dataset_x(tr)[2 * i] / 75.0;
        assert_true(clave_ml_dataset_x(tr)[2 * i + 1] == 0.0); /* constant feature */
    }
    for (size_t i = 0; i < 75; i++) {
        var += pow(clave_ml_dataset_x(tr)[2 * i] - mean, 2) / 75.0;
    }
    assert_true(fabs(mean) < 1e-12 && fabs(var - 1.0) < 1e-12);
    clave_ml_dataset_free(tr);
    clave_ml_dataset_free(te);
    T_ERR(clave_ml_dataset_split(ds, 1.0, SEED, &tr, &te), CLAVE_ERR_ARG);
    T_ERR(clave_ml_dataset_split(ds, 0.001, SEED, &tr, &te), CLAVE_ERR_ARG);
    assert_null(tr);
    clave_ml_dataset_free(ds);
    struct clave_ml_dataset *a = NULL, *b = NULL;
    ds = labelled(100, 2);
    T_OK(clave_ml_dataset_split(ds, 0.5, SEED, &a, &b));
    T_OK(clave_ml_dataset_split(ds, 0.5, SEED, &tr, &te));
    assert_memory_equal(clave_ml_dataset_x(a), clave_ml_dataset_x(tr), 50 * 2 * sizeof(double));
    clave_ml_dataset_free(a);
    clave_ml_dataset_free(b);
    clave_ml_dataset_free(tr);
    clave_ml_dataset_free(te);
    clave_ml_dataset_free(ds);
}

/* Largest share of one class within a part, averaged over parts. */
static double skew(struct clave_ml_dataset **parts, size_t k, uint32_t classes)
{
    double total = 0.0;
    for (size_t p = 0; p < k; p++) {
        size_t counts[10] = {0}, n = clave_ml_dataset_rows(parts[p]), best = 0;
        for (size_t i = 0; i < n; i++) {
            counts[(size_t)clave_ml_dataset_y(parts[p])[i]]++;
        }
        for (uint32_t c = 0; c < classes; c++) {
            best = counts[c] > best ? counts[c] : best;
        }
        total += (double)best / (double)n;
    }
    return total / (double)k;
}

static void test_partition(void **state)
{
    (void)state;
    struct clave_ml_dataset *ds = labelled(2000, 10), *parts[12] = {0}, *again[12] = {0};
    T_OK(clave_ml_dataset_partition(ds, 10, 0.0, SEED, parts));
    size_t total = 0;
    for (size_t p = 0; p < 10; p++) {
        assert_int_equal(clave_ml_dataset_rows(parts[p]), 200);
        total += clave_ml_dataset_rows(parts[p]);
    }
    double iid = skew(parts, 10, 10);
    for (size_t p = 0; p < 10; p++) {
        clave_ml_dataset_free(parts[p]);
    }
    T_OK(clave_ml_dataset_partition(ds, 10, 0.1, SEED, parts));
    T_OK(clave_ml_dataset_partition(ds, 10, 0.1, SEED, again));
    total = 0;
    for (size_t p = 0; p < 10; p++) {
        assert_true(clave_ml_dataset_rows(parts[p]) >= 1);
        assert_int_equal(clave_ml_dataset_rows(parts[p]), clave_ml_dataset_rows(again[p]));
        total += clave_ml_dataset_rows(parts[p]);
    }
    assert_int_equal(total, 2000);
    double dir = skew(parts, 10, 10);
    assert_true(iid < 0.2 && dir > 0.5);
    for (size_t p = 0; p < 10; p++) {
        clave_ml_dataset_free(parts[p]);
        clave_ml_dataset_free(again[p]);
    }
    T_ERR(clave_ml_dataset_partition(ds, 2001, 0.0, SEED, parts), CLAVE_ERR_ARG);
    T_ERR(clave_ml_dataset_partition(ds, 10, -1.0, SEED, parts), CLAVE_ERR_ARG);
    T_ERR(clave_ml_dataset_partition(ds, 10, NAN, SEED, parts), CLAVE_ERR_ARG);
    clave_ml_dataset_free(ds);
    /* Tiny alpha: empty parts are refilled, every part has a row. */
    ds = labelled(12, 2);
    T_OK(clave_ml_dataset_partition(ds, 12, 0.01, SEED, parts));
    for (size_t p = 0; p < 12; p++) {
        assert_int_equal(clave_ml_dataset_rows(parts[p]), 1);
        clave_ml_dataset_free(parts[p]);
    }
    clave_ml_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_sklearn), cmocka_unit_test(test_csv_other_headers),
        cmocka_unit_test(test_idx),         cmocka_unit_test(test_standardize_split),
        cmocka_unit_test(test_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
