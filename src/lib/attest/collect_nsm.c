/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS Nitro Security Module (/dev/nsm): one raw ioctl carries a CBOR request and response
 * (Linux drivers/misc/nsm.c, uapi <linux/nsm.h>; aws-nitro-enclaves-nsm-api driver):
 *   struct nsm_iovec { __u64 addr; __u64 len; };
 *   struct nsm_raw { struct nsm_iovec request; struct nsm_iovec response; };
 *   NSM_IOCTL_RAW = _IOWR(0x0A, 0x0, struct nsm_raw)
 * Request (serde externally tagged enum):
 *   {"Attestation": {"user_data": bstr / null, "nonce": bstr / null, "public_key": bstr / null}}
 * Response: {"Attestation": {"document": bstr}} or {"Error": text}.
 */
#include "attest/collect.h"
#include "core/cbor.h"
#include "core/check.h"

#include <clave/buf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define CBOR_NULL 0xf6

struct nsm_iovec {
    uint64_t addr;
    uint64_t len;
};

struct nsm_raw {
    struct nsm_iovec request;
    struct nsm_iovec response;
};

#define NSM_MAGIC 0x0A
#define NSM_IOCTL_RAW _IOWR(NSM_MAGIC, 0x0, struct nsm_raw)

static clave_status put_text(struct clave_writer *w, const char *s)
{
    clave_status st = clave__cbor_put_head(w, CLAVE_CBOR_MAJOR_TEXT, strlen(s));
    return st == CLAVE_OK ? clave_writer_bytes(w, (const uint8_t *)s, strlen(s)) : st;
}

clave_status clave__nsm_encode_request(const uint8_t *user_data, size_t len, uint8_t *buf,
                                       size_t cap, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_writer w;
    *out_len = 0;
    CLAVE_ENSURE(len <= 512, CLAVE_ERR_ARG, "nsm: user_data of %zu bytes (max 512)", len);
    clave_writer_init(&w, buf, cap);
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_MAP, 1));
    CLAVE_CHECK(put_text(&w, "Attestation"));
    CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_MAP, 3));
    CLAVE_CHECK(put_text(&w, "user_data"));
    if (user_data != NULL && len > 0) {
        CLAVE_CHECK(clave__cbor_put_head(&w, CLAVE_CBOR_MAJOR_BYTES, len));
        CLAVE_CHECK(clave_writer_bytes(&w, user_data, len));
    } else {
        CLAVE_CHECK(clave_writer_u8(&w, CBOR_NULL));
    }
    CLAVE_CHECK(put_text(&w, "nonce"));
    CLAVE_CHECK(clave_writer_u8(&w, CBOR_NULL));
    CLAVE_CHECK(put_text(&w, "public_key"));
    CLAVE_CHECK(clave_writer_u8(&w, CBOR_NULL));
    *out_len = w.len;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__nsm_parse_response(const uint8_t *resp, size_t len, uint8_t **doc,
                                       size_t *doc_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct clave__cbor_limits limits = {CLAVE_NSM_RESPONSE_MAX, 4, 16};
    cbor_item_t *root = NULL;
    *doc = NULL;
    *doc_len = 0;
    CLAVE_CHECK_CTX(clave__cbor_load(resp, len, &limits, &root), "nsm: response: ");
    CLAVE_ENSURE(cbor_isa_map(root) && cbor_map_size(root) == 1, CLAVE_ERR_FORMAT,
                 "nsm: response is not a one-entry map");
    const cbor_item_t *err = clave__cbor_map_get_text(root, "Error");
    CLAVE_ENSURE(err == NULL, CLAVE_ERR_IO, "nsm: the device returned an error");
    const cbor_item_t *att = clave__cbor_map_get_text(root, "Attestation");
    CLAVE_ENSURE(att != NULL && cbor_isa_map(att), CLAVE_ERR_FORMAT,
                 "nsm: response has no Attestation map");
    const cbor_item_t *d = clave__cbor_map_get_text(att, "document");
    CLAVE_ENSURE(d != NULL && cbor_isa_bytestring(d) && cbor_bytestring_is_definite(d) &&
                     cbor_bytestring_length(d) > 0,
                 CLAVE_ERR_FORMAT, "nsm: Attestation.document missing or not bytes");
    *doc_len = cbor_bytestring_length(d);
    *doc = malloc(*doc_len);
    CLAVE_ENSURE_ALLOC(*doc);
    memcpy(*doc, cbor_bytestring_handle(d), *doc_len);
    st = CLAVE_OK;
done:
    if (root != NULL) {
        cbor_decref(&root);
    }
    if (st != CLAVE_OK) {
        *doc_len = 0;
    }
    return st;
}

clave_status clave__nsm_collect(const uint8_t *report_data, size_t len, uint8_t **out,
                                size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t req[CLAVE_NSM_REQUEST_MAX];
    size_t req_len = 0;
    uint8_t *resp = calloc(1, CLAVE_NSM_RESPONSE_MAX);
    int fd = -1;
    CLAVE_ENSURE_ALLOC(resp);
    CLAVE_CHECK(clave__nsm_encode_request(report_data, len, req, sizeof(req), &req_len));
    fd = open(CLAVE_NSM_DEVICE, O_RDWR | O_CLOEXEC);
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "nsm: cannot open %s", CLAVE_NSM_DEVICE);
    struct nsm_raw raw = {{(uint64_t)(uintptr_t)req, req_len},
                          {(uint64_t)(uintptr_t)resp, CLAVE_NSM_RESPONSE_MAX}};
    CLAVE_ENSURE(ioctl(fd, NSM_IOCTL_RAW, &raw) == 0, CLAVE_ERR_IO, "nsm: ioctl failed");
    CLAVE_ENSURE(raw.response.len <= CLAVE_NSM_RESPONSE_MAX, CLAVE_ERR_IO,
                 "nsm: response length %llu", (unsigned long long)raw.response.len);
    CLAVE_CHECK(clave__nsm_parse_response(resp, (size_t)raw.response.len, out, out_len));
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    free(resp);
    return st;
}
