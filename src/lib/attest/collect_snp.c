/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AMD SEV-SNP guest device (/dev/sev-guest, Linux uapi <linux/sev-guest.h>): SNP_GET_REPORT
 * takes struct snp_report_req {u8 user_data[64]; u32 vmpl; u8 rsvd[28]} and fills struct
 * snp_report_resp {u8 data[4000]} with the firmware's MSG_REPORT_RSP:
 *   0x00 u32 STATUS (0 = success), 0x04 u32 REPORT_SIZE, 0x08 24 reserved, 0x20 REPORT.
 */
#include "attest/collect.h"
#include "core/check.h"

#include <clave/attest_verify.h>
#include <clave/buf.h>
#include <fcntl.h>
#include <linux/sev-guest.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

_Static_assert(sizeof(((struct snp_report_resp *)0)->data) == CLAVE_SNP_RESP_LEN,
               "snp_report_resp size");

clave_status clave__snp_parse_response(const uint8_t *resp, size_t len, uint8_t **report,
                                       size_t *report_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    uint32_t status = 0;
    uint32_t size = 0;
    const uint8_t *view = NULL;
    *report = NULL;
    *report_len = 0;
    clave_reader_init(&r, resp, len);
    CLAVE_CHECK(clave_reader_u32le(&r, &status));
    CLAVE_CHECK(clave_reader_u32le(&r, &size));
    CLAVE_CHECK(clave_reader_skip(&r, 24));
    CLAVE_ENSURE(status == 0, CLAVE_ERR_IO, "snp: firmware status 0x%x", status);
    CLAVE_ENSURE(size == CLAVE_SNP_REPORT_LEN, CLAVE_ERR_FORMAT, "snp: report size %u", size);
    CLAVE_CHECK(clave_reader_view(&r, size, &view));
    *report = malloc(size);
    CLAVE_ENSURE_ALLOC(*report);
    memcpy(*report, view, size);
    *report_len = size;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__snp_collect(const uint8_t *report_data, size_t len, uint8_t **out,
                                size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct snp_report_req req;
    struct snp_report_resp *resp = calloc(1, sizeof(*resp));
    struct snp_guest_request_ioctl io;
    int fd = -1;
    CLAVE_ENSURE_ALLOC(resp);
    CLAVE_ENSURE(len <= sizeof(req.user_data), CLAVE_ERR_ARG, "snp: report data over 64 bytes");
    memset(&req, 0, sizeof(req));
    if (len > 0) {
        memcpy(req.user_data, report_data, len);
    }
    memset(&io, 0, sizeof(io));
    io.msg_version = 1;
    io.req_data = (uint64_t)(uintptr_t)&req;
    io.resp_data = (uint64_t)(uintptr_t)resp;
    fd = open(CLAVE_SEV_GUEST_DEVICE, O_RDWR | O_CLOEXEC);
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "snp: cannot open %s", CLAVE_SEV_GUEST_DEVICE);
    CLAVE_ENSURE(ioctl(fd, SNP_GET_REPORT, &io) == 0, CLAVE_ERR_IO,
                 "snp: SNP_GET_REPORT failed (fw_error 0x%x)", io.fw_error);
    CLAVE_CHECK(clave__snp_parse_response(resp->data, sizeof(resp->data), out, out_len));
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    free(resp);
    return st;
}
