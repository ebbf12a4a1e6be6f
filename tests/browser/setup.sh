#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (with its driver), a
# local copy of MathJax 4 and its font, which the tests serve in place of the CDN, and axe-core
# (pinned in tests/browser/package-lock.json), the accessibility checker the tests
# run in each page.
#   bash tests/browser/setup.sh
# MathJax goes outside the repository (XENT_MATHJAX_PREFIX, default
# ~/.cache/xent/mathjax) so that the book build never reads its files as pages.
set -euo pipefail

# The version _config.yml loads (sphinx.config.mathjax_path).
mathjax_version=4.1.3
mathjax_dir="${XENT_MATHJAX_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/xent/mathjax-$mathjax_version}"

if [ ! -x /usr/bin/chromium ]; then
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo_cmd="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update
    $sudo_cmd apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core
fi

if [ ! -f "$mathjax_dir/node_modules/mathjax/tex-mml-chtml.js" ]; then
    mkdir -p "$mathjax_dir"
    npm install --prefix "$mathjax_dir" --no-audit --no-fund "mathjax@$mathjax_version"
fi

browser_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -f "$browser_dir/node_modules/axe-core/axe.min.js" ]; then
    npm ci --prefix "$browser_dir" --no-audit --no-fund
fi

/usr/bin/chromium --version
echo "MathJax: $mathjax_dir/node_modules/mathjax/tex-mml-chtml.js"
echo "axe-core: $browser_dir/node_modules/axe-core/axe.min.js"
