#!/usr/bin/env bash
# The compile report's browser tests (tests/test_report_browser.py) drive Debian's chromium with
# Python playwright. Usage: .ci/install_browser.sh VENV. On Debian as root, apt-get installs
# chromium if missing; playwright is pip-installed into VENV. Never fatal: without either, those
# tests skip and say why. `playwright install` (a browser download) is deliberately not run:
# the tests launch /usr/bin/chromium (TRACEJIT_CHROMIUM names another binary).
set -uo pipefail
venv=${1:?usage: .ci/install_browser.sh VENV}
if [ -x /usr/bin/chromium ]; then
  :
elif [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) ||
    echo "warning: could not install chromium; tests/test_report_browser.py will skip"
else
  echo "not root on Debian: chromium not installed; tests/test_report_browser.py skips without /usr/bin/chromium"
fi
"$venv/bin/pip" install -q playwright ||
  echo "warning: could not install playwright; tests/test_report_browser.py will skip"
exit 0
