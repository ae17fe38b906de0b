#!/usr/bin/env bash
# Installs the Debian packages wharf's real-client tests use, when missing.
# Needs root (as in CI); elsewhere it only says what is missing.
set -euo pipefail
packages=(ca-certificates git postgresql
  # PyPI e2e (e2e/pypi): twine uploads, pip installs into venvs.
  twine python3-venv
  # Maven e2e (e2e/maven): mvn's plugins from Debian's /usr/share/maven-repo,
  # since Maven Central is not reachable.
  maven libmaven-deploy-plugin-java libmaven-dependency-plugin-java libmaven-install-plugin-java
  libmaven-resources-plugin-java libmaven-compiler-plugin-java libmaven-jar-plugin-java libsurefire-java
  # RubyGems e2e (e2e/rubygems): gem build/push/install and bundle install.
  ruby bundler
  # The console test (internal/app TestConsoleInChromium) drives headless Chromium with chromedp.
  chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing Debian packages: ${missing[*]} (run as root to install)" >&2
  exit 1
fi
if [[ -z "${WHARF_APT_UPDATED:-}" ]]; then apt-get update -q; fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
