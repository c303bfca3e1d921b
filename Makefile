# SPDX-License-Identifier: Apache-2.0
# The two entry points. Both install what they need first.
.PHONY: demo check

demo:
	bash scripts/deps.sh
	bash scripts/demo.sh

check:
	bash scripts/deps.sh
	bash scripts/check.sh
