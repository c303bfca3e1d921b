/* SPDX-License-Identifier: Apache-2.0 */
/* libclave: the whole public API. */
#ifndef CLAVE_CLAVE_H
#define CLAVE_CLAVE_H

#include <clave/status.h>
#include <clave/attest.h>
#include <clave/auth.h>
#include <clave/blob.h>
#include <clave/attest_intel.h>
#include <clave/attest_verify.h>
#include <clave/ratls.h>
#include <clave/buf.h>
#include <clave/collab.h>
#include <clave/contract.h>
#include <clave/cose.h>
#include <clave/dp.h>
#include <clave/query.h>
#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/he.h>
#include <clave/jose.h>
#include <clave/json.h>
#include <clave/kbs.h>
#include <clave/keyring.h>
#include <clave/fl.h>
#include <clave/ledger.h>
#include <clave/log.h>
#include <clave/merkle.h>
#include <clave/ml.h>
#include <clave/mpc.h>
#include <clave/mpc_node.h>
#include <clave/netaddr.h>
#include <clave/receipt.h>
#include <clave/secagg.h>
#include <clave/seal.h>
#include <clave/secret.h>
#include <clave/sign.h>
#include <clave/store.h>
#include <clave/x509.h>

#endif
