#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (with its driver) and a
# local copy of MathJax 3, which the tests serve in place of the CDN.
#   bash tests/browser/setup.sh
# MathJax goes outside the repository (XENT_MATHJAX_PREFIX, default
# ~/.cache/xent/mathjax) so that the book build never reads its files as pages.
set -euo pipefail

mathjax_dir="${XENT_MATHJAX_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/xent/mathjax}"

if [ ! -x /usr/bin/chromium ]; then
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo_cmd="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update
    $sudo_cmd apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core
fi

if [ ! -f "$mathjax_dir/node_modules/mathjax/es5/tex-mml-chtml.js" ]; then
    mkdir -p "$mathjax_dir"
    npm install --prefix "$mathjax_dir" --no-audit --no-fund mathjax@3.2.2
fi

/usr/bin/chromium --version
echo "MathJax: $mathjax_dir/node_modules/mathjax/es5/tex-mml-chtml.js"
