#!/usr/bin/env bash
# Installs the system programs the test suite drives for real: Chromium and a CJK font (browser tests),
# redis-server (Celery backend tests) and Mono with mcs (the .NET post-processor plug-in).
# Only runs apt-get when something is missing and we are root with apt; otherwise says
# what is missing and leaves it to the tests (which fail under CI=true, skip elsewhere).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# mono-runtime alone lacks netstandard.dll and aborts pythonnet: mono-devel is the one we need.
command -v mcs >/dev/null 2>&1 || missing+=(mono-devel)
# The UI's labels are Traditional Chinese: without a CJK font the browser tests' screenshots
# show empty boxes.
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "warning: missing system packages (${missing[*]}); the tests that need them will skip" >&2
fi
