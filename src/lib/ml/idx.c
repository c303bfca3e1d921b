/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The IDX format of (Fashion-)MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS FOR THE
 * MNIST DATABASE"): big-endian magic 0x00 0x00 type ndim (type 0x08 = unsigned byte), then ndim
 * big-endian u32 dimension sizes, then the data in row-major order.
 */
#include "core/check.h"
#include "ml/dataset.h"

#include <clave/buf.h>
#include <stdlib.h>

#define IDX_TYPE_UBYTE 0x08
#define IDX_MAX_SIDE 4096u

/*
 * images: 0 magic u32 0x00000803, 4 count u32, 8 rows u32, 12 cols u32, 16 pixels u8[count][r][c]
 * labels: 0 magic u32 0x00000801, 4 count u32, 8 labels u8[count]
 */
static clave_status read_header(struct clave_reader *r, uint8_t ndim, uint32_t *dims)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t magic[4];
    CLAVE_CHECK(clave_reader_bytes(r, magic, sizeof(magic)));
    CLAVE_ENSURE(magic[0] == 0 && magic[1] == 0 && magic[2] == IDX_TYPE_UBYTE && magic[3] == ndim,
                 CLAVE_ERR_FORMAT, "idx: magic %02x%02x%02x%02x, expected 000008%02x", magic[0],
                 magic[1], magic[2], magic[3], ndim);
    for (uint8_t i = 0; i < ndim; i++) {
        CLAVE_CHECK(clave_reader_u32be(r, &dims[i]));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_sizes(struct clave_reader *ri, const uint32_t *dims, uint32_t nlabels,
                                size_t *pixels)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(dims[0] == nlabels, CLAVE_ERR_FORMAT, "idx: %u images but %u labels", dims[0],
                 nlabels);
    CLAVE_ENSURE(dims[0] >= 1, CLAVE_ERR_FORMAT, "idx: no images");
    CLAVE_ENSURE(dims[1] >= 1 && dims[1] <= IDX_MAX_SIDE && dims[2] >= 1 && dims[2] <= IDX_MAX_SIDE,
                 CLAVE_ERR_TOO_LARGE, "idx: image side %u x %u", dims[1], dims[2]);
    *pixels = (size_t)dims[1] * dims[2];
    CLAVE_ENSURE(*pixels <= CLAVE_ML_MAX_WIDTH, CLAVE_ERR_TOO_LARGE, "idx: %zu pixels per image",
                 *pixels);
    size_t need = 0;
    CLAVE_ENSURE(!__builtin_mul_overflow(*pixels, (size_t)dims[0], &need), CLAVE_ERR_TOO_LARGE,
                 "idx: too many pixels");
    CLAVE_ENSURE(need <= clave_reader_remaining(ri), CLAVE_ERR_TRUNCATED,
                 "idx: %u images need %zu bytes, %zu present", dims[0], need,
                 clave_reader_remaining(ri));
    CLAVE_ENSURE(need == clave_reader_remaining(ri), CLAVE_ERR_TRAILING,
                 "idx: bytes after the last image");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ml_idx_parse(const uint8_t *images, size_t images_len, const uint8_t *labels,
                                size_t labels_len, uint32_t classes, size_t max_rows,
                                struct clave_ml_dataset **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader ri, rl;
    uint32_t dims[3] = {0}, nlabels = 0;
    size_t pixels = 0;
    const uint8_t *pix = NULL, *lab = NULL;
    struct clave_ml_dataset *ds = NULL;
    CLAVE_ENSURE(out != NULL && (images != NULL || images_len == 0) &&
                     (labels != NULL || labels_len == 0),
                 CLAVE_ERR_ARG, "idx: NULL argument");
    *out = NULL;
    CLAVE_ENSURE(classes >= 2 && classes <= 256 && max_rows >= 1, CLAVE_ERR_ARG,
                 "idx: classes %u outside 2..256 or max_rows 0", classes);
    clave_reader_init(&ri, images, images_len);
    clave_reader_init(&rl, labels, labels_len);
    CLAVE_CHECK_CTX(read_header(&ri, 3, dims), "idx images");
    CLAVE_CHECK_CTX(read_header(&rl, 1, &nlabels), "idx labels");
    CLAVE_CHECK(check_sizes(&ri, dims, nlabels, &pixels));
    CLAVE_CHECK_CTX(clave_reader_view(&rl, nlabels, &lab), "idx labels");
    CLAVE_CHECK_CTX(clave_reader_expect_end(&rl), "idx labels");
    CLAVE_CHECK(clave_reader_view(&ri, pixels * dims[0], &pix));
    size_t rows = dims[0] < max_rows ? dims[0] : max_rows;
    CLAVE_CHECK(ml__dataset_alloc(rows, pixels, classes, &ds));
    for (size_t i = 0; i < rows; i++) {
        CLAVE_ENSURE(lab[i] < classes, CLAVE_ERR_FORMAT, "idx: label %u of image %zu >= %u", lab[i],
                     i, classes);
        ds->y[i] = lab[i];
        for (size_t j = 0; j < pixels; j++) {
            ds->x[i * pixels + j] = pix[i * pixels + j] / 255.0;
        }
    }
    *out = ds;
    ds = NULL;
    st = CLAVE_OK;
done:
    clave_ml_dataset_free(ds);
    return st;
}
